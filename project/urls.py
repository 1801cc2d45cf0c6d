from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from infohub import views as core_views
from infohub.forms import LoginForm

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("me/", core_views.me, name="me"),
    path("notifications/", core_views.notifications, name="notifications"),
    path("notifications/read/", core_views.notifications_read, name="notifications_read"),
    path("healthz/", core_views.healthz, name="healthz"),
    path("favicon.ico", core_views.favicon, name="favicon"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True, authentication_form=LoginForm),
         name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("items/", include("submissions.urls")),
    path("reviews/", include("reviews.urls")),
    path("alerts/", include("alerts.urls")),
    path("publications/", include("publications.urls")),
    path("instructions/", include("instructions.urls")),
    path("topics/", include("topics.urls")),
    path("assessment/", include("assessment.urls")),
    path("admin/", admin.site.urls),
    path("api/", include("project.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    # ReDoc's page shows Redocly's logo from their CDN, which an intranet cannot reach: the API's documentation is the
    # Swagger UI page, served with everything it loads (drf-spectacular-sidecar).
    path("api/redoc/", RedirectView.as_view(pattern_name="api-docs"), name="api-redoc"),
]

handler400 = "infohub.api_errors.bad_request"  # JSON with the error shape under /api/
handler404 = "infohub.api_errors.not_found"  # JSON with the error shape under /api/

admin.site.site_header = "InfoHub 政务信息报送与审核 · 管理"
admin.site.site_title = "InfoHub"

from django.urls import include, path
from rest_framework.authtoken.views import obtain_auth_token

from infohub.apis import MeApi, MyUnitsApi

urlpatterns = [
    path("auth/token/", obtain_auth_token, name="api-token"),
    path("me/", MeApi.as_view(), name="api-me"),
    path("me/units/", MyUnitsApi.as_view(), name="api-my-units"),
    path("", include("submissions.api_urls")),
    path("", include("reviews.api_urls")),
    path("", include("alerts.api_urls")),
]

from django.urls import include, path

from . import views

app_name = "assessment"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/", views.overview, name="overview"),
    path("<int:pk>/sheet/", views.sheet, name="sheet"),
    path("<int:pk>/drill/", views.drill, name="drill"),
    path("<int:pk>/people/", views.people, name="people"),
    path("<int:pk>/ledger/", views.ledger, name="ledger"),
    path("<int:pk>/units/<int:unit_pk>/", views.unit_detail, name="unit"),
    path("entries/<int:pk>/", views.entry_detail, name="entry"),
    # --- 通报 (bulletins): assessment/bulletin_urls.py --------------------------------------------------------------
    path("", include("assessment.bulletin_urls")),
]

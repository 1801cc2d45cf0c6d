"""The 通报 pages' URLs (under /assessment/bulletins/), included by assessment/urls.py."""

from django.urls import path

from . import bulletin_views as views

urlpatterns = [
    path("bulletins/", views.bulletin_list, name="bulletin_list"),
    path("bulletins/new/", views.bulletin_create, name="bulletin_create"),
    path("bulletins/<int:pk>/", views.bulletin_detail, name="bulletin_detail"),
    path("bulletins/<int:pk>/issue/", views.bulletin_issue, name="bulletin_issue"),
    path("bulletins/<int:pk>/regenerate/", views.bulletin_regenerate, name="bulletin_regenerate"),
    path("bulletins/<int:pk>/download/<slug:fmt>/", views.bulletin_download, name="bulletin_download"),
]

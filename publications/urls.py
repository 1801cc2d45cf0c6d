from django.urls import path

from . import views

app_name = "publications"

urlpatterns = [
    path("", views.issue_list, name="issue_list"),
    path("new/", views.issue_start, name="issue_start"),
    path("adopted/", views.adopted, name="adopted"),
    path("<int:pk>/", views.issue_detail, name="issue_detail"),
    path("<int:pk>/items/", views.entry_add, name="entry_add"),
    path("<int:pk>/items/<int:entry_pk>/", views.entry_change, name="entry_change"),
    path("<int:pk>/order/", views.issue_order, name="issue_order"),
    path("<int:pk>/edit/", views.issue_edit, name="issue_edit"),
    path("<int:pk>/print/", views.issue_print, name="issue_print"),
    path("<int:pk>/export/<slug:fmt>/", views.export, name="export"),
    path("<int:pk>/download/<slug:fmt>/", views.download, name="download"),
    path("<int:pk>/<slug:action>/", views.issue_act, name="issue_act"),
]

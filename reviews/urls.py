from django.urls import path

from . import views

app_name = "reviews"

urlpatterns = [
    path("signoff/", views.signoff_list, name="signoff_list"),
    path("signoff/batch/", views.signoff_batch, name="signoff_batch"),
    path("signoff/<int:pk>/", views.signoff_detail, name="signoff_detail"),
    path("signoff/<int:pk>/approve/", views.signoff_approve, name="signoff_approve"),
    path("signoff/<int:pk>/return/", views.signoff_return, name="signoff_return"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/merge/", views.merge, name="merge"),
    path("inbox/duplicates/", views.inbox_duplicates, name="inbox_duplicates"),
    path("items/<int:pk>/duplicates/", views.item_duplicates, name="item_duplicates"),
    path("items/<int:pk>/same-event/", views.same_event, name="same_event"),
    path("hops/<int:pk>/", views.hop_detail, name="hop_detail"),
    path("hops/<int:pk>/edit/", views.hop_edit, name="hop_edit"),
    path("hops/<int:pk>/<slug:action>/", views.hop_act, name="hop_act"),
    path("forwards/", views.forward_list, name="forward_list"),
    path("items/<int:pk>/lineage/", views.lineage, name="lineage"),
]

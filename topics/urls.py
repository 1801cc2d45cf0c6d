from django.urls import path

from . import views

app_name = "topics"

urlpatterns = [
    path("", views.request_list, name="request_list"),
    path("new/", views.request_create, name="request_create"),
    path("<int:pk>/", views.request_detail, name="request_detail"),
    path("<int:pk>/board.xlsx", views.board_export, name="board_export"),
    path("<int:pk>/withdraw/", views.request_withdraw, name="request_withdraw"),
    path("targets/<int:pk>/<slug:action>/", views.target_act, name="target_act"),
]

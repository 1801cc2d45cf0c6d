from django.urls import path

from . import views

app_name = "instructions"

urlpatterns = [
    path("", views.instruction_list, name="list"),
    path("new/", views.instruct, name="instruct"),
    path("register/", views.register, name="register"),
    path("<int:pk>/", views.instruction_detail, name="detail"),
    path("<int:pk>/assign/", views.instruction_assign, name="assign"),
    path("<int:pk>/<str:action>/", views.instruction_act, name="act"),
    path("assignments/<int:pk>/", views.assignment_detail, name="assignment"),
    path("assignments/<int:pk>/<str:action>/", views.assignment_act, name="assignment_act"),
    path("feedback/<int:pk>/<str:action>/", views.feedback_act, name="feedback_act"),
    path("feedback/<int:pk>/files/<int:attachment_pk>/", views.attachment_download, name="attachment"),
    path("extensions/<int:pk>/<str:action>/", views.extension_act, name="extension_act"),
]

from django.urls import path

from . import views

app_name = "alerts"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("wall/", views.wall, name="wall"),
    path("clocks/<int:pk>/", views.clock_detail, name="clock_detail"),
    path("clocks/<int:pk>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("clocks/<int:pk>/phone/", views.phone_report, name="phone_report"),
    path("chases/", views.chase_list, name="chase_list"),
    path("chases/new/", views.chase_create, name="chase_create"),
    path("lapses/", views.lapse_list, name="lapse_list"),
    path("items/<int:item_pk>/lapse/", views.lapse_create, name="lapse_create"),
]

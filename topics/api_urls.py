from django.urls import path
from rest_framework.routers import SimpleRouter

from . import apis

router = SimpleRouter()
router.register("topics/requests", apis.TopicRequestViewSet, basename="topic-request")
router.register("topics/targets", apis.TargetViewSet, basename="topic-target")

urlpatterns = [
    path("topics/targetable/", apis.TargetableApi.as_view(), name="api-topics-targetable"),
    *router.urls,
]

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import apis

router = SimpleRouter()
router.register("publications/types", apis.PublicationTypeViewSet, basename="publication-type")
router.register("publications/issues", apis.IssueViewSet, basename="issue")

urlpatterns = [
    path("publications/credits/", apis.CreditListApi.as_view(), name="api-publication-credits"),
    *router.urls,
]

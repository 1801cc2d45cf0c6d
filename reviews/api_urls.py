from django.urls import path
from rest_framework.routers import SimpleRouter

from . import apis

router = SimpleRouter()
router.register("inbox", apis.HopViewSet, basename="hop")

urlpatterns = [
    path("signoff/", apis.SignoffQueueApi.as_view(), name="api-signoff-queue"),
    path("signoff/batch/", apis.SignoffBatchApi.as_view(), name="api-signoff-batch"),
    path("items/<int:pk>/signoff/", apis.SignoffApproveApi.as_view(), name="api-signoff"),
    path("items/<int:pk>/signoff-return/", apis.SignoffReturnApi.as_view(), name="api-signoff-return"),
    path("items/<int:pk>/lineage/", apis.LineageApi.as_view(), name="api-lineage"),
    path("forwards/", apis.ForwardQueueApi.as_view(), name="api-forward-queue"),
    *router.urls,
]

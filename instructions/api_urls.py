from rest_framework.routers import SimpleRouter

from . import apis

router = SimpleRouter()
router.register("instructions/assignments", apis.AssignmentViewSet, basename="assignment")
router.register("instructions/feedback", apis.FeedbackViewSet, basename="feedback")
router.register("instructions/extensions", apis.ExtensionViewSet, basename="extension")
router.register("instructions", apis.InstructionViewSet, basename="instruction")

urlpatterns = router.urls

from rest_framework.routers import SimpleRouter

from . import apis

router = SimpleRouter()
router.register("alerts/clocks", apis.ClockViewSet, basename="clock")
router.register("alerts/chases", apis.ChaseViewSet, basename="chase")
router.register("alerts/lapses", apis.LapseViewSet, basename="lapse")

urlpatterns = router.urls

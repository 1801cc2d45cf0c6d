from rest_framework.routers import SimpleRouter

from . import apis

router = SimpleRouter()
router.register("assessment/rulesets", apis.RuleSetViewSet, basename="assessment-ruleset")
router.register("assessment/entries", apis.EntryViewSet, basename="assessment-entry")

urlpatterns = router.urls

from rest_framework.routers import SimpleRouter

from . import apis, bulletin_apis

router = SimpleRouter()
router.register("assessment/rulesets", apis.RuleSetViewSet, basename="assessment-ruleset")
router.register("assessment/entries", apis.EntryViewSet, basename="assessment-entry")
# --- 通报 (bulletins): assessment/bulletin_apis.py ------------------------------------------------------------------
router.register("assessment/bulletins", bulletin_apis.BulletinViewSet, basename="bulletin")

urlpatterns = router.urls

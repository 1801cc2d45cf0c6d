from rest_framework.routers import SimpleRouter

from .apis import ItemViewSet

router = SimpleRouter()
router.register("items", ItemViewSet, basename="item")

urlpatterns = router.urls

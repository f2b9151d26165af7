from rest_framework.routers import SimpleRouter

from errors.api.views import AppErrorViewSet

router = SimpleRouter()
router.register("app-errors", AppErrorViewSet, basename="app-error")

urlpatterns = router.urls

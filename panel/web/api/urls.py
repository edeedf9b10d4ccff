from rest_framework.routers import DefaultRouter

from panel.web.api.views import WebsiteViewSet

router = DefaultRouter()
router.register("websites", WebsiteViewSet, basename="website")

urlpatterns = router.urls

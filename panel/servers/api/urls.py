from rest_framework.routers import DefaultRouter

from panel.servers.api.views import PlacementViewSet, ServerViewSet

router = DefaultRouter()
router.register("servers", ServerViewSet, basename="server")
router.register("placements", PlacementViewSet, basename="placement")

urlpatterns = [*router.urls]

from rest_framework.routers import DefaultRouter

from panel.dns.api.views import RecordViewSet, ZoneViewSet

router = DefaultRouter()
router.register("zones", ZoneViewSet, basename="zone")
router.register("records", RecordViewSet, basename="record")

urlpatterns = router.urls

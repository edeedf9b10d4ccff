from rest_framework.routers import DefaultRouter

from panel.names.api.views import NameProofViewSet

router = DefaultRouter()
router.register("names", NameProofViewSet, basename="nameproof")

urlpatterns = router.urls

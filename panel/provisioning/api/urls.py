from rest_framework.routers import DefaultRouter

from panel.provisioning.api.views import ChangeSetViewSet, RunViewSet

router = DefaultRouter()
router.register("changesets", ChangeSetViewSet, basename="changeset")
router.register("runs", RunViewSet, basename="run")

urlpatterns = router.urls

from rest_framework.routers import DefaultRouter

from panel.systemusers.api.views import SshKeyViewSet, SystemUserViewSet

router = DefaultRouter()
# Keys first: "keys" would otherwise be read as a user id by the users' detail route.
router.register("systemusers/keys", SshKeyViewSet, basename="sshkey")
router.register("systemusers", SystemUserViewSet, basename="systemuser")

urlpatterns = router.urls

from django.urls import path
from rest_framework.routers import DefaultRouter

from panel.accounts.api.views import AccountViewSet, ApiTokenViewSet, ContactViewSet, MeView, ObtainTokenView

router = DefaultRouter()
router.register("accounts", AccountViewSet, basename="account")
router.register("contacts", ContactViewSet, basename="contact")
router.register("tokens", ApiTokenViewSet, basename="token")

urlpatterns = [
    path("me/", MeView.as_view(), name="me"),
    path("auth/token/", ObtainTokenView.as_view(), name="token-obtain"),
    *router.urls,
]

from rest_framework.routers import DefaultRouter

from panel.mail.api.views import AddressViewSet, AutoresponseViewSet, MailboxViewSet, MailDomainViewSet

router = DefaultRouter()
router.register("mail/domains", MailDomainViewSet, basename="maildomain")
router.register("mail/mailboxes", MailboxViewSet, basename="mailbox")
router.register("mail/addresses", AddressViewSet, basename="address")
router.register("mail/autoresponses", AutoresponseViewSet, basename="autoresponse")

urlpatterns = router.urls

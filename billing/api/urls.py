from django.urls import path
from rest_framework.routers import DefaultRouter

from billing.api.views import BillingRunView, InvoiceViewSet

router = DefaultRouter()
router.register("invoices", InvoiceViewSet, basename="invoice")

urlpatterns = [
    path("billing/run/", BillingRunView.as_view(), name="billing-run"),
    *router.urls,
]

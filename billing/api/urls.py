from django.urls import path
from rest_framework.routers import DefaultRouter

from billing.api.views import (
    BillingRunView,
    DebitsView,
    InvoiceViewSet,
    PaymentSourceViewSet,
    SepaBatchView,
    TransactionViewSet,
)

router = DefaultRouter()
router.register("invoices", InvoiceViewSet, basename="invoice")
router.register("payment-sources", PaymentSourceViewSet, basename="payment-source")
router.register("transactions", TransactionViewSet, basename="transaction")

urlpatterns = [
    path("billing/run/", BillingRunView.as_view(), name="billing-run"),
    path("billing/debits/", DebitsView.as_view(), name="billing-debits"),
    path("billing/sepa-batches/", SepaBatchView.as_view(), name="billing-sepa-batches"),
    *router.urls,
]

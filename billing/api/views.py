"""Billing API: invoices (customers read their own issued ones and download the PDF; staff issue and amend),
the staff billing run (a preview unless `commit` is true), payment sources (customers manage their own SEPA
mandate) and, for staff only, debits, their transitions and SEPA batch exports."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from django.http import FileResponse, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from billing.api.serializers import (
    BillingRunResultSerializer,
    BillingRunSerializer,
    DebitsCreateSerializer,
    InvoiceAmendSerializer,
    InvoiceIssueSerializer,
    InvoiceSerializer,
    PaymentSourceSerializer,
    SepaBatchSerializer,
    TransactionSerializer,
)
from billing.models import Transaction
from billing.payments import (
    debits_create,
    payment_source_create,
    payment_source_update,
    sepa_batch_export,
    transaction_execute,
    transaction_reject,
    transaction_secure,
    transfer_record,
)
from billing.selectors import invoice_list, payment_source_list, transaction_list
from billing.services import Bill, billing_run, invoice_amend, invoice_issue
from panel.core.api.permissions import IsStaff
from panel.core.api.viewsets import SelectorReadOnlyViewSet, ServiceModelViewSet, request_actor
from panel.core.errors import NotFound


class InvoiceViewSet(SelectorReadOnlyViewSet):
    """Invoices of the caller's account, issued ones only (staff: every invoice, drafts included). Read-only:
    drafts come from the billing run, and an issued invoice changes only by an amendment."""

    serializer_class = InvoiceSerializer
    selector = staticmethod(invoice_list)
    filterset_fields: ClassVar[list[str]] = ["account", "kind", "state", "series", "year"]
    search_fields: ClassVar[list[str]] = ["account__handle"]
    ordering_fields: ClassVar[list[str]] = ["issued_on", "due_on", "created_at"]

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The issued invoice"),
            404: OpenApiResponse(description="Not visible to the caller, a draft, or not rendered yet"),
        }
    )
    @action(detail=True, methods=["get"])
    def pdf(self, request: Request, pk: str | None = None) -> FileResponse:
        invoice = self.get_object()
        if not invoice.pdf:
            raise NotFound(f"{invoice} has no PDF yet; it is rendered shortly after issue.", code="no_pdf")
        return FileResponse(
            invoice.pdf.open("rb"), as_attachment=True, filename=f"{invoice.code}.pdf", content_type="application/pdf"
        )

    @extend_schema(request=InvoiceIssueSerializer, responses=InvoiceSerializer)
    @action(detail=True, methods=["post"], permission_classes=[IsStaff], serializer_class=InvoiceIssueSerializer)
    def issue(self, request: Request, pk: str | None = None) -> Response:
        """Number and freeze a draft; its PDF is rendered and mailed to the billing contacts afterwards."""
        serializer = InvoiceIssueSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        invoice = invoice_issue(invoice=self.get_object(), actor=request_actor(request), **serializer.validated_data)
        return Response(InvoiceSerializer(invoice_list(actor=request.user).get(pk=invoice.pk)).data)

    @extend_schema(request=InvoiceAmendSerializer, responses={201: InvoiceSerializer})
    @action(detail=True, methods=["post"], permission_classes=[IsStaff], serializer_class=InvoiceAmendSerializer)
    def amend(self, request: Request, pk: str | None = None) -> Response:
        """Credit an issued invoice (every line, or the given ones) with a draft amendment."""
        serializer = InvoiceAmendSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        amendment = invoice_amend(invoice=self.get_object(), actor=request_actor(request), **serializer.validated_data)
        data = InvoiceSerializer(invoice_list(actor=request.user).get(pk=amendment.pk)).data
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={201: TransactionSerializer})
    @action(detail=True, methods=["post"], permission_classes=[IsStaff])
    def transfer(self, request: Request, pk: str | None = None) -> Response:
        """The invoice's total arrived by bank transfer: a secured transaction, and the invoice is paid (409 for a
        draft, a credit note, a paid invoice, or one with a direct debit on its way)."""
        transfer = transfer_record(invoice=self.get_object(), actor=request_actor(request))
        data = TransactionSerializer(transaction_list(actor=request.user).get(pk=transfer.pk)).data
        return Response(data, status=status.HTTP_201_CREATED)


class BillingRunView(APIView):
    """Bill orders up to a date: a preview of the lines and totals per account, or with `commit` the draft
    invoices themselves (answered with counts and the drafts' ids). Running twice for the same date bills
    nothing the second time."""

    permission_classes: ClassVar[list[type]] = [IsStaff]  # type: ignore[misc]

    @extend_schema(request=BillingRunSerializer, responses=BillingRunResultSerializer)
    def post(self, request: Request) -> Response:
        serializer = BillingRunSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        previews: list[Bill] = []
        drafts: list[int] = []

        def keep(bill: Bill) -> None:
            # A commit answers with ids only: a run over every account would otherwise hold every bill.
            if not data["commit"]:
                previews.append(bill)
            drafts.extend(draft.pk for draft in (bill.invoice, bill.amendment) if draft is not None)

        summary = billing_run(
            on=data["date"],
            accounts=data.get("accounts"),
            commit=data["commit"],
            actor=request_actor(request),
            each=keep,
        )
        return Response(BillingRunResultSerializer({"summary": summary, "bills": previews, "drafts": drafts}).data)


class PaymentSourceViewSet(ServiceModelViewSet):
    """Payment sources of the caller's account (staff: of every account). Creating one replaces the account's
    active source; sources are never deleted (PATCH `is_active: false` revokes a mandate)."""

    serializer_class = PaymentSourceSerializer
    selector = staticmethod(payment_source_list)
    create_service = staticmethod(payment_source_create)
    update_service = staticmethod(payment_source_update)
    instance_kwarg = "source"
    http_method_names: ClassVar[list[str]] = ["get", "post", "patch", "head", "options"]  # type: ignore[misc]
    filterset_fields: ClassVar[list[str]] = ["account", "method", "is_active"]


class TransactionViewSet(SelectorReadOnlyViewSet):
    """Debits (staff only): list them and record what the bank reports."""

    serializer_class = TransactionSerializer
    selector = staticmethod(transaction_list)
    permission_classes: ClassVar[list[type]] = [IsStaff]  # type: ignore[misc]
    filterset_fields: ClassVar[list[str]] = ["state", "invoice", "source", "batch"]

    def _move(self, service: Callable[..., Transaction]) -> Response:
        debit = service(transaction=self.get_object(), actor=request_actor(self.request))
        return Response(TransactionSerializer(transaction_list(actor=self.request.user).get(pk=debit.pk)).data)

    @extend_schema(request=None, responses=TransactionSerializer)
    @action(detail=True, methods=["post"])
    def execute(self, request: Request, pk: str | None = None) -> Response:
        """The bank collected the debit (processed -> executed)."""
        return self._move(transaction_execute)

    @extend_schema(request=None, responses=TransactionSerializer)
    @action(detail=True, methods=["post"])
    def secure(self, request: Request, pk: str | None = None) -> Response:
        """The debit can no longer be returned (executed -> secured); its invoice is paid."""
        return self._move(transaction_secure)

    @extend_schema(request=None, responses=TransactionSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        """The debit was refused or returned (processed or executed -> rejected); its invoice is unpaid again."""
        return self._move(transaction_reject)


class DebitsView(APIView):
    """Create a waiting debit for every issued, unpaid invoice due by `due_on` under an active SEPA mandate."""

    permission_classes: ClassVar[list[type]] = [IsStaff]  # type: ignore[misc]

    @extend_schema(request=DebitsCreateSerializer, responses={201: TransactionSerializer(many=True)})
    def post(self, request: Request) -> Response:
        serializer = DebitsCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        created = debits_create(due_on=serializer.validated_data["due_on"], actor=request_actor(request))
        return Response(TransactionSerializer(created, many=True).data, status=status.HTTP_201_CREATED)


class SepaBatchView(APIView):
    """Export waiting debits as a pain.008.001.02 file for the bank; they become processed."""

    permission_classes: ClassVar[list[type]] = [IsStaff]  # type: ignore[misc]

    @extend_schema(
        request=SepaBatchSerializer,
        responses={(200, "application/xml"): OpenApiResponse(OpenApiTypes.BINARY, description="pain.008.001.02")},
    )
    def post(self, request: Request) -> HttpResponse:
        serializer = SepaBatchSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        xml = sepa_batch_export(actor=request_actor(request), **serializer.validated_data)
        response = HttpResponse(xml, content_type="application/xml")
        response["Content-Disposition"] = 'attachment; filename="sepa-direct-debits.xml"'
        return response

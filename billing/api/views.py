"""Billing API: invoices (customers read their own issued ones and download the PDF; staff issue and amend)
and the staff billing run (a preview unless `commit` is true)."""

from __future__ import annotations

from typing import ClassVar

from django.http import FileResponse
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
    InvoiceAmendSerializer,
    InvoiceIssueSerializer,
    InvoiceSerializer,
)
from billing.selectors import invoice_list
from billing.services import billing_run, invoice_amend, invoice_issue
from panel.core.api.permissions import IsStaff
from panel.core.api.viewsets import SelectorReadOnlyViewSet, request_actor
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


class BillingRunView(APIView):
    """Bill orders up to a date: a preview of the lines and totals per account, or with `commit` the draft
    invoices themselves. Running twice for the same date bills nothing the second time."""

    permission_classes: ClassVar[list[type]] = [IsStaff]  # type: ignore[misc]

    @extend_schema(request=BillingRunSerializer, responses=BillingRunResultSerializer)
    def post(self, request: Request) -> Response:
        serializer = BillingRunSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        bills = billing_run(
            on=data["date"], accounts=data.get("accounts"), commit=data["commit"], actor=request_actor(request)
        )
        result = {"date": data["date"], "commit": data["commit"], "bills": bills}
        return Response(BillingRunResultSerializer(result).data)

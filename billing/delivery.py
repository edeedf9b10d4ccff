"""After an invoice is issued: its PDF is stored and sent to the account's billing contacts.

Both steps run in a Huey task enqueued when the issue commits (rendering takes a while and must not hold the
numbering lock), and both are idempotent so a retried task neither renders nor mails twice.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from billing.models import Invoice
from billing.pdf import invoice_pdf
from panel.accounts.models import User
from panel.core.errors import Conflict

log = logging.getLogger(__name__)


def invoice_pdf_store(*, invoice: Invoice, actor: User | None) -> Invoice:
    """Render the PDF of an issued invoice and store it, unless it is stored already."""
    if invoice.pdf:
        return invoice
    content = invoice_pdf(invoice)  # outside the transaction: no lock is held while weasyprint works
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if not invoice.pdf:
            invoice.pdf.save(f"{invoice.code}.pdf", ContentFile(content), save=False)
            invoice.save(update_fields=["pdf", "updated_at"])
    return invoice


def invoice_send(*, invoice: Invoice, actor: User | None) -> int:
    """E-mail the stored PDF to every billing contact of the account; returns how many were addressed."""
    if not invoice.pdf:
        raise Conflict(f"{invoice} has no PDF yet.", field="pdf", code="no_pdf")
    if invoice.mailed_at is not None:
        return 0
    recipients = sorted(set(invoice.account.contacts.filter(is_billing=True).values_list("email", flat=True)))
    if not recipients:
        log.warning("invoice %s: the account has no billing contact to send it to", invoice)
        return 0
    snapshot = invoice.snapshot or {}
    seller = snapshot.get("seller", {})
    message = EmailMessage(
        subject=f"{invoice.get_kind_display()} {invoice.code} from {seller.get('name', '')}".strip(),
        body=(
            f"Please find attached {invoice.get_kind_display().lower()} {invoice.code} "
            f"for {snapshot.get('totals', {}).get('total', '')}, due on {snapshot.get('due_on', '')}.\n\n"
            f"{snapshot.get('payment_instructions', settings.BATON_BILLING_PAYMENT_INSTRUCTIONS)}\n"
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=recipients,
        reply_to=[seller["email"]] if seller.get("email") else None,
    )
    with invoice.pdf.open("rb") as pdf:
        message.attach(f"{invoice.code}.pdf", pdf.read(), "application/pdf")
    message.send()
    Invoice.objects.filter(pk=invoice.pk).update(mailed_at=timezone.now())
    return len(recipients)

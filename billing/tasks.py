"""Huey tasks of billing. They only call services."""

from __future__ import annotations

import logging

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from billing.delivery import invoice_pdf_store, invoice_send
from billing.models import Invoice

log = logging.getLogger(__name__)


@db_task(retries=3, retry_delay=60)
def render_invoice_pdf(invoice_id: int) -> None:
    """Store the PDF of a freshly issued invoice, then mail it to the account's billing contacts."""
    invoice = invoice_pdf_store(invoice=Invoice.objects.select_related("account").get(pk=invoice_id), actor=None)
    invoice_send(invoice=invoice, actor=None)


@db_periodic_task(crontab(minute="0", hour=str(settings.BATON_BILLING_HOUR), day=str(settings.BATON_BILLING_DAY)))
def monthly_billing_run() -> None:
    """On the billing day: bill every account's orders up to today into draft invoices."""
    from billing.services import billing_run  # services enqueue render_invoice_pdf from here

    summary = billing_run(actor=None, commit=True)
    log.info(
        "billing run %s: %d accounts, %d draft invoices, %d draft amendments, %d skipped without billing contact",
        summary.on,
        summary.accounts,
        summary.invoices,
        summary.amendments,
        summary.skipped,
    )

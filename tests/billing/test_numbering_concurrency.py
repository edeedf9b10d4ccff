"""Invoice numbers under concurrency, on PostgreSQL (SQLite serialises every writer, so it proves nothing):
parallel issuers in their own connections and transactions get every number of the series exactly once."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from django.db import connection, connections

from billing.models import Invoice
from billing.services import invoice_create, invoice_issue, invoice_line_add
from panel.accounts.models import Account, User
from panel.accounts.services import contact_create

ISSUERS = 8


@pytest.mark.django_db(transaction=True)
def test_parallel_issuers_get_gapless_unique_numbers(staff: User, account_a: Account) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL: run through ./scripts/test")
    contact_create(account=account_a, name="Accounts", email="accounts@alice-home.org", usages=["billing"], actor=None)
    drafts = []
    for i in range(ISSUERS * 2):
        invoice = invoice_create(account=account_a, actor=staff)
        invoice_line_add(invoice=invoice, description=f"item {i}", quantity="1", unit_price="5.00", actor=staff)
        drafts.append(invoice.pk)
    start = threading.Barrier(ISSUERS)
    errors: list[BaseException] = []

    def issue(ids: list[int]) -> None:
        try:
            start.wait()
            for pk in ids:
                invoice_issue(invoice=Invoice.objects.get(pk=pk), actor=staff, on=date(2026, 11, 21))
        except BaseException as error:  # reported by the main thread
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=issue, args=(drafts[i::ISSUERS],)) for i in range(ISSUERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    numbers = sorted(Invoice.objects.filter(pk__in=drafts).values_list("number", flat=True))
    assert numbers == list(range(1, ISSUERS * 2 + 1))

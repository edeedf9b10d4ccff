"""Two monthly runs at once, on PostgreSQL (SQLite serialises every writer, so it proves nothing): e.g. the
periodic task and a staff run through the API. The orders are locked while a chunk is billed, and the run
that waited reads them again after the other committed, so no period is billed twice."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection, connections

from billing.models import Invoice, InvoiceLine
from billing.services import billing_run
from panel.accounts.models import Account, User
from panel.accounts.services import contact_create
from panel.orders.models import MetricStorage, Order
from panel.orders.services import service_create
from tests.factories import make_account

ACCOUNTS = 12
RUNS = 2
MAR, APR, MAY = date(2024, 3, 1), date(2024, 4, 1), date(2024, 5, 1)


@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_bill_each_order_once(staff: User, monkeypatch: pytest.MonkeyPatch) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL: run through ./scripts/test")
    monkeypatch.setattr("billing.services.CHUNK_ORDERS", 4)  # several chunks, so the runs interleave
    accounts = [make_account(f"conc{i:02d}") for i in range(ACCOUNTS)]
    service = service_create(
        description="Hosting",
        content_type="accounts.account",
        nominal_price="10.00",
        billing_point="fixed_day",
        actor=staff,
    )
    kind = ContentType.objects.get_for_model(Account)
    for account in accounts:
        contact_create(account=account, name="A", email=f"a@{account.handle}-home.org", usages=["billing"], actor=None)
        for n in range(3):
            order = Order.objects.create(
                account=account,
                service=service,
                content_type=kind,
                object_id=account.pk * 10 + n,
                description=f"unit {n}",
                registered_on=date(2024, 3, 1),
            )
            MetricStorage.objects.create(order=order, value=1, created_on=date(2024, 3, 1), updated_on=date(2024, 3, 1))
    start = threading.Barrier(RUNS)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            start.wait()
            billing_run(on=date(2024, 4, 1), actor=staff, commit=True)
        except BaseException as error:  # reported by the main thread
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(RUNS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    # One draft per account, whichever run made it, and no period of any order on two lines. Prepaid monthly
    # from March 1, billed on April 1: March and April, each once.
    assert Invoice.objects.count() == ACCOUNTS
    lines = list(InvoiceLine.objects.values_list("order_id", "period_start", "period_end"))
    assert len(lines) == len(set(lines)) == ACCOUNTS * 3 * 2, sorted(lines)
    assert {(start, end) for _, start, end in lines} == {(MAR, APR), (APR, MAY)}
    assert set(Order.objects.values_list("billed_until", flat=True)) == {MAY}

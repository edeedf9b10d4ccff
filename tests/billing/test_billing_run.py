"""The monthly run over many accounts, read and written a chunk of accounts at a time: whatever the chunk size,
each account gets exactly the invoice it gets billed alone (its own plans, its own compensation sources,
its own refunds), accounts without a billing contact are skipped, and a second run bills nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType

from billing.models import Invoice
from panel.accounts.models import Account, User
from panel.accounts.services import contact_create
from panel.core.models import ObjectChange
from panel.orders.choices import OnCancel
from panel.orders.models import MetricStorage, Order, Service
from panel.orders.services import contracted_plan_create, plan_create, rate_create, service_create
from tests.factories import make_account

pytestmark = pytest.mark.django_db

ON = date(2024, 4, 1)
MAR, APR, MAY = date(2024, 3, 1), date(2024, 4, 1), date(2024, 5, 1)
D = Decimal


def _service(staff: User, description: str, price: str, **fields: Any) -> Service:
    return service_create(
        description=description,
        content_type="accounts.account",
        nominal_price=price,
        billing_point="fixed_day",
        actor=staff,
        **fields,
    )


def _order(account: Account, service: Service, description: str, registered_on: date, **state: Any) -> Order:
    """An order with a given billing state: past runs and cancellations are set directly, as the engine's
    inputs, so the run's own work is all that is tested."""
    metrics = state.pop("metrics", ((registered_on, "1"),))
    order = Order.objects.create(
        account=account,
        service=service,
        content_type=ContentType.objects.get_for_model(Account),
        object_id=Order.objects.count() + 1,
        description=description,
        registered_on=registered_on,
        **state,
    )
    for since, value in metrics:
        MetricStorage.objects.create(order=order, value=D(value), created_on=since, updated_on=since)
    return order


@pytest.fixture
def accounts(staff: User) -> dict[str, Account]:
    # Accounts first: made after the services, they would be ordered automatically.
    made = {handle: make_account(handle) for handle in ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot")}
    hosting = _service(staff, "Hosting", "10.00", tax_rate="21", on_cancel=OnCancel.COMPENSATE)
    backup = _service(staff, "Backup", "6.00", on_cancel=OnCancel.REFUND)
    mailbox = _service(staff, "Mailbox", "2.00", tax_rate="21")
    friends = plan_create(name="Friends", actor=staff)
    rate_create(plan=friends, service=mailbox, quantity="0", price="1.00", actor=staff)
    for handle, account in made.items():
        if handle != "delta":
            contact_create(
                account=account, name="Accounts", email=f"acc@{handle}-home.org", usages=["billing"], actor=None
            )
    prepaid_march = {"billed_on": MAR, "billed_until": APR, "billed_metric": D(1)}
    # alpha: a cancelled prepaid order's unused days (Mar 20 - Apr 1) compensate its new one.
    _order(made["alpha"], hosting, "Hosting X", MAR, cancelled_on=date(2024, 3, 20), **prepaid_march)
    _order(made["alpha"], hosting, "Hosting Y", date(2024, 3, 15))
    # bravo: the same service, not compensated by alpha's order; a refund goes to an amendment.
    _order(made["bravo"], hosting, "Hosting W", MAR)
    _order(made["bravo"], backup, "Backup Z", date(2024, 2, 1), cancelled_on=date(2024, 3, 10), **prepaid_march)
    # charlie has the plan: mailboxes at 1.00 instead of 2.00; N grows from 1 to 2 on Mar 16.
    contracted_plan_create(account=made["charlie"], plan=friends, start_on=date(2024, 1, 1), actor=staff)
    _order(made["charlie"], mailbox, "Mailbox M", MAR, metrics=((MAR, "3"),))
    _order(made["charlie"], mailbox, "Mailbox N", MAR, metrics=((MAR, "1"), (date(2024, 3, 16), "2")))
    # delta has no billing contact: the run over every account skips it.
    _order(made["delta"], hosting, "Hosting D", MAR)
    # echo: no plan, so 3 mailboxes cost 3 x 2.00; its hosting is prepaid to May already.
    _order(
        made["echo"],
        mailbox,
        "Mailbox E",
        MAR,
        metrics=((MAR, "3"),),
        billed_on=MAR,
        billed_until=APR,
        billed_metric=D(3),
    )
    _order(made["echo"], hosting, "Hosting E", MAR, billed_on=APR, billed_until=MAY, billed_metric=D(1))
    # foxtrot: everything billed already.
    _order(made["foxtrot"], hosting, "Hosting F", MAR, billed_on=APR, billed_until=MAY, billed_metric=D(1))
    return made


def invoices() -> list[tuple[Any, ...]]:
    """Every invoice as (account, kind, lines), each line with its sub-lines, in a comparable form."""
    return [
        (
            invoice.account.handle,
            invoice.kind,
            [
                (
                    line.position,
                    line.description,
                    line.period_start,
                    line.period_end,
                    line.quantity,
                    line.subtotal,
                    line.tax_rate,
                    [(sub.kind, sub.amount, sub.source_order.description) for sub in line.sublines.all()],
                )
                for line in invoice.lines.order_by("position")
            ],
        )
        for invoice in Invoice.objects.order_by("account__handle", "kind")
    ]


def order_states() -> dict[str, tuple[Any, ...]]:
    return {
        order.description: (order.billed_on, order.billed_until, order.billed_metric, order.compensated_until)
        for order in Order.objects.all()
    }


# 10.00 x 17/31 (Mar 15 - Apr 1) = 5.48, less X's 12 unused days 10.00 x 12/31 = 3.87; April 10.00.
ALPHA = [
    (0, "Hosting Y", date(2024, 3, 15), APR, D(1), D("5.48"), D(21), [("compensation", D("-3.87"), "Hosting X")]),
    (1, "Hosting Y", APR, MAY, D(1), D("10.00"), D(21), []),
]
BRAVO = [
    (0, "Hosting W", MAR, APR, D(1), D("10.00"), D(21), []),
    (1, "Hosting W", APR, MAY, D(1), D("10.00"), D(21), []),
]
# 6.00 x 22/31 (Mar 10 - Apr 1) = 4.26 back.
BRAVO_REFUND = [(0, "Backup Z: refund of unused prepaid time", date(2024, 3, 10), APR, D(1), D("-4.26"), D(0), [])]
# M: 3 x 1.00 a month. N: 1 x 1.00 x 15/31 = 0.48, 2 x 1.00 x 16/31 = 1.03, then 2.00.
CHARLIE = [
    (0, "Mailbox M", MAR, APR, D(3), D("3.00"), D(21), []),
    (1, "Mailbox M", APR, MAY, D(3), D("3.00"), D(21), []),
    (2, "Mailbox N", MAR, date(2024, 3, 16), D(1), D("0.48"), D(21), []),
    (3, "Mailbox N", date(2024, 3, 16), APR, D(2), D("1.03"), D(21), []),
    (4, "Mailbox N", APR, MAY, D(2), D("2.00"), D(21), []),
]
ECHO = [(0, "Mailbox E", APR, MAY, D(3), D("6.00"), D(21), [])]
EXPECTED_INVOICES = [
    ("alpha", "invoice", ALPHA),
    ("bravo", "amendment", BRAVO_REFUND),
    ("bravo", "invoice", BRAVO),
    ("charlie", "invoice", CHARLIE),
    ("echo", "invoice", ECHO),
]
BILLED = (APR, MAY)
EXPECTED_STATES = {
    "Hosting X": (MAR, APR, D(1), APR),
    "Hosting Y": (*BILLED, D(1), None),
    "Hosting W": (*BILLED, D(1), None),
    "Backup Z": (APR, date(2024, 3, 10), D(1), None),
    "Mailbox M": (*BILLED, D(3), None),
    "Mailbox N": (*BILLED, D(2), None),
    "Hosting D": (None, None, None, None),
    "Mailbox E": (*BILLED, D(3), None),
    "Hosting E": (APR, MAY, D(1), None),
    "Hosting F": (APR, MAY, D(1), None),
}


@pytest.mark.parametrize("chunk_orders", [1, 3, 10_000])
def test_the_run_bills_each_account_as_alone_whatever_the_chunk_size(
    staff: User, accounts: dict[str, Account], monkeypatch: pytest.MonkeyPatch, chunk_orders: int
) -> None:
    monkeypatch.setattr("billing.services.CHUNK_ORDERS", chunk_orders)
    from billing.services import billing_run

    billing_run(on=ON, actor=staff, commit=True)
    assert invoices() == EXPECTED_INVOICES
    assert order_states() == EXPECTED_STATES

    billing_run(on=ON, actor=staff, commit=True)
    assert invoices() == EXPECTED_INVOICES and order_states() == EXPECTED_STATES


def test_the_run_counts_what_it_wrote_and_hands_each_bill_over(staff: User, accounts: dict[str, Account]) -> None:
    from billing.services import Bill, billing_run

    previews: list[Bill] = []
    preview = billing_run(on=ON, actor=staff, each=previews.append)
    assert not Invoice.objects.exists() and order_states()["Hosting Y"] == (None, None, None, None)
    # Previewing bills delta too: only a committed run needs a contact to send the invoice to.
    assert [bill.account.handle for bill in previews] == ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot"]
    assert (preview.accounts, preview.invoices, preview.amendments, preview.skipped) == (6, 5, 1, 0)

    bills: list[Bill] = []
    summary = billing_run(on=ON, actor=staff, commit=True, each=bills.append)
    assert (summary.accounts, summary.invoices, summary.amendments, summary.skipped) == (5, 4, 1, 1)
    # alpha 11.61 + 2.44 tax, bravo 20.00 + 4.20, charlie 9.51 + 2.00, echo 6.00 + 1.26
    assert summary.total == D("14.05") + D("24.20") + D("11.51") + D("7.26")
    written = {bill.account.handle: bill for bill in bills}
    assert written["bravo"].invoice is not None and written["bravo"].amendment is not None
    assert written["foxtrot"].invoice is None and written["foxtrot"].lines == ()
    assert {draft.pk for bill in bills for draft in (bill.invoice, bill.amendment) if draft} == set(
        Invoice.objects.values_list("pk", flat=True)
    )
    audited = ObjectChange.objects.filter(content_type__model="invoice", action="create")
    assert sorted(audited.values_list("object_id", "account_ref")) == sorted(
        (str(pk), account) for pk, account in Invoice.objects.values_list("pk", "account_id")
    )


def test_a_failing_chunk_leaves_its_accounts_unbilled_and_the_next_run_finishes(
    staff: User, accounts: dict[str, Account], monkeypatch: pytest.MonkeyPatch
) -> None:
    from billing import services

    monkeypatch.setattr(services, "CHUNK_ORDERS", 2)  # alpha, bravo, charlie, delta, echo + foxtrot
    save_states = services._save_states
    calls = 0

    def failing_third(states: Any) -> None:
        nonlocal calls
        calls += 1
        save_states(states)  # written, then rolled back with the rest of the chunk
        if calls == 3:
            raise RuntimeError("the database went away")

    monkeypatch.setattr(services, "_save_states", failing_third)
    with pytest.raises(RuntimeError):
        services.billing_run(on=ON, actor=staff, commit=True)
    assert [handle for handle, *_ in invoices()] == ["alpha", "bravo", "bravo"]
    assert order_states()["Mailbox M"] == (None, None, None, None)  # charlie's chunk: nothing half done

    monkeypatch.setattr(services, "_save_states", save_states)
    services.billing_run(on=ON, actor=staff, commit=True)
    assert invoices() == EXPECTED_INVOICES and order_states() == EXPECTED_STATES


def test_billing_chosen_orders_still_uses_the_accounts_compensation_sources(
    staff: User, accounts: dict[str, Account]
) -> None:
    from billing.services import bill_orders

    chosen = Order.objects.filter(description__in=["Hosting Y", "Hosting W", "Mailbox N"])
    bills = bill_orders(orders=chosen, date=ON, actor=staff)
    assert [bill.account.handle for bill in bills] == ["alpha", "bravo", "charlie"]
    assert (
        invoices()
        == [
            ("alpha", "invoice", ALPHA),  # X, not chosen, still compensates Y
            ("bravo", "invoice", BRAVO),  # Z, not chosen, is not refunded
            ("charlie", "invoice", [(n - 2, *rest) for n, *rest in CHARLIE[2:]]),
        ]
    )
    states = order_states()
    assert states["Hosting X"][3] == APR and states["Backup Z"] == (MAR, APR, D(1), None)
    assert states["Mailbox M"] == (None, None, None, None)


def test_a_run_over_named_accounts_bills_only_those(staff: User, accounts: dict[str, Account]) -> None:
    from billing.services import billing_run

    summary = billing_run(on=ON, accounts=[accounts["echo"], accounts["alpha"]], actor=staff, commit=True)
    assert (summary.accounts, summary.invoices) == (2, 2)
    assert invoices() == [("alpha", "invoice", ALPHA), ("echo", "invoice", ECHO)]

"""Every write to invoices: billing orders into drafts, editing drafts, issuing, amending.

The maths is in billing.engine; these functions read orders into its plain data, store what it returns and
keep the rules of the documents: drafts are editable, issued invoices are numbered, frozen and only amended.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from billing import engine
from billing.choices import DEFAULT_SERIES, InvoiceKind, InvoiceState
from billing.models import Invoice, InvoiceCounter, InvoiceLine, InvoiceSubLine
from panel.accounts.models import Account, Contact, User
from panel.core.access import require_staff
from panel.core.audit import record_change, record_creations, snapshot
from panel.core.choices import ChangeAction
from panel.core.errors import Conflict, ValidationFailed
from panel.orders.choices import OnCancel
from panel.orders.models import Order, Service
from panel.orders.selectors import metric_history, orders_per_account, orders_to_bill, plan_rates
from panel.orders.services import decimal_input, today

INVOICE_EDITABLE = ("due_on", "series")

log = logging.getLogger(__name__)


# Bills are read, computed and written for a chunk of accounts at a time, in a few queries per chunk: about
# CHUNK_ORDERS orders, never splitting an account, and at most CHUNK_ACCOUNTS accounts (ids in one query).
# The run's memory is then one chunk's, however many orders there are.
CHUNK_ORDERS = 2000
CHUNK_ACCOUNTS = 500
# Rows per INSERT or UPDATE: statements of bounded size (on SQLite, Django lowers it further to stay within
# 999 parameters).
WRITE_BATCH = 500


@dataclass(frozen=True)
class Bill:
    """What billing one account produces: the lines of an invoice and the refunds for an amendment."""

    account: Account
    lines: tuple[engine.Line, ...]
    refunds: tuple[engine.Line, ...]
    totals: engine.Totals
    invoice: Invoice | None = None
    amendment: Invoice | None = None


@dataclass
class BillingRunSummary:
    """What a billing run did (previewing: would do), in counts. The bills themselves are handed to the run's
    `each` callback chunk by chunk and not kept, so a run over every account stays within one chunk's memory."""

    on: date
    commit: bool
    accounts: int = 0  # accounts with orders that were billed, whether or not anything was due
    invoices: int = 0
    amendments: int = 0
    skipped: int = 0  # accounts without a billing contact, left out of a committed run over every account
    total: Decimal = engine.ZERO  # of the invoices, tax included

    def add(self, bill: Bill) -> None:
        self.accounts += 1
        self.invoices += bool(bill.lines)
        self.amendments += bool(bill.refunds)
        self.total += bill.totals.total


def billing_contact(account: Account) -> Contact:
    contact = account.contacts.filter(is_billing=True).order_by("pk").first()
    if contact is None:
        raise _no_billing_contact(account, "account")
    return contact


def _no_billing_contact(account: Account, field: str) -> ValidationFailed:
    return ValidationFailed(
        f"The account {account} has no billing contact; add one before billing it.",
        field=field,
        code="no_billing_contact",
    )


def _contactable(account_ids: Sequence[int]) -> set[int]:
    """The accounts among `account_ids` that have a billing contact."""
    found: set[int] = set()
    for batch in _batches(account_ids, CHUNK_ACCOUNTS):
        contacts = Contact.objects.filter(account_id__in=batch, is_billing=True)
        found.update(contacts.values_list("account_id", flat=True))
    return found


def _batches(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# From the database to the engine ---------------------------------------------------------------------------

_STATE_FIELDS = (
    "id",
    "service_id",
    "description",
    "registered_on",
    "cancelled_on",
    "billed_on",
    "billed_until",
    "billed_metric",
    "compensated_until",
)


def rule_of(service: Service) -> engine.Rule:
    return engine.Rule(
        service_id=service.pk,
        nominal_price=service.nominal_price,
        billing_period=service.billing_period,
        billing_point=service.billing_point,
        fixed_day=service.fixed_day,
        pricing_period=service.pricing_period,
        payment=service.payment,
        tax_rate=service.tax_rate,
        rating=service.rating,
        on_cancel=service.on_cancel,
        trial_days=service.trial_days,
    )


@dataclass(frozen=True)
class _Chunk:
    """Everything billing some accounts reads, fetched in a few queries for all of them together."""

    orders: dict[int, list[engine.OrderState]]  # by account
    rules: dict[int, engine.Rule]  # by service
    rates: dict[int, dict[int, dict[str, list[engine.Tier]]]]  # by account, then as engine.bill takes them


def _read(account_ids: Sequence[int], on: date, lock: bool) -> _Chunk:
    # The orders first: with `lock` their rows stay locked while the rest is read and the bills written.
    rows = list(orders_to_bill(accounts=account_ids, lock=lock).values(*_STATE_FIELDS, "account_id"))
    metrics: dict[int, list[engine.MetricPoint]] = defaultdict(list)
    for order_id, since, value in metric_history(accounts=account_ids):
        metrics[order_id].append(engine.MetricPoint(since=since, value=value))
    orders: dict[int, list[engine.OrderState]] = defaultdict(list)
    for row in rows:
        account_id = row.pop("account_id")
        orders[account_id].append(engine.OrderState(**row, metrics=tuple(metrics.pop(row["id"], ()))))
    services = Service.objects.filter(pk__in={row["service_id"] for row in rows})
    rates = {
        account_id: {
            service_id: {
                plan: [engine.Tier(quantity=r.quantity, price=r.price) for r in tiers] for plan, tiers in plans.items()
            }
            for service_id, plans in by_service.items()
        }
        for account_id, by_service in plan_rates(accounts=account_ids, on=on).items()
    }
    return _Chunk(orders=orders, rules={service.pk: rule_of(service) for service in services}, rates=rates)


def _can_compensate(order: engine.OrderState, rule: engine.Rule) -> bool:
    """A cancelled order whose unused prepaid time has not all been credited to other orders yet."""
    return (
        rule.on_cancel == OnCancel.COMPENSATE
        and order.cancelled_on is not None
        and order.billed_until is not None
        and order.billed_until > order.cancelled_on
        and (order.compensated_until is None or order.compensated_until < order.billed_until)
    )


def _compute(chunk: _Chunk, account_id: int, chosen: set[int] | None, on: date) -> engine.Result:
    """Bill the chosen orders of an account (all by default), with the account's cancelled orders that can
    still compensate them."""
    orders = chunk.orders.get(account_id, [])
    if chosen is not None:
        services = {order.service_id for order in orders if order.id in chosen}
        orders = [
            order
            for order in orders
            if order.id in chosen
            or (order.service_id in services and _can_compensate(order, chunk.rules[order.service_id]))
        ]
    return engine.bill(orders, chunk.rules, chunk.rates.get(account_id, {}), on)


# Billing ---------------------------------------------------------------------------------------------------


def _drafts(wanted: Sequence[tuple[Account, str, Sequence[engine.Line]]], actor: User | None) -> list[Invoice]:
    """Draft invoices of (account, kind, lines), written with a few inserts however many there are."""
    invoices = [
        Invoice(account=account, kind=kind, series=DEFAULT_SERIES[InvoiceKind(kind)]) for account, kind, _ in wanted
    ]
    Invoice.objects.bulk_create(invoices, batch_size=WRITE_BATCH)
    rows = [
        (_line_row(invoice, position, line), line.sublines)
        for invoice, (_, _, lines) in zip(invoices, wanted, strict=True)
        for position, line in enumerate(lines)
    ]
    # The lines' ids come back from the insert (RETURNING, on SQLite and PostgreSQL) for their sub-lines.
    InvoiceLine.objects.bulk_create([row for row, _ in rows], batch_size=WRITE_BATCH)
    subrows = [_subline_row(row, sub) for row, sublines in rows for sub in sublines]
    InvoiceSubLine.objects.bulk_create(subrows, batch_size=WRITE_BATCH)
    record_creations(actor=actor, objects=invoices)
    return invoices


def _line_row(invoice: Invoice, position: int, line: engine.Line) -> InvoiceLine:
    return InvoiceLine(
        invoice=invoice,
        position=position,
        order_id=line.order_id,
        description=line.description[:300],
        period_start=line.period_start,
        period_end=line.period_end,
        quantity=line.quantity,
        unit_price=line.unit_price,
        subtotal=line.subtotal,
        tax_rate=line.tax_rate,
    )


def _subline_row(line: InvoiceLine, sub: engine.SubLine) -> InvoiceSubLine:
    return InvoiceSubLine(
        line=line,
        kind=sub.kind,
        description=sub.description[:300],
        amount=sub.amount,
        source_order_id=sub.source_order_id,
    )


def _draft(account: Account, kind: str, lines: Sequence[engine.Line], actor: User | None) -> Invoice:
    return _drafts([(account, kind, lines)], actor)[0]


def _save_states(states: Iterable[engine.OrderState]) -> None:
    """Store the orders' new billing fields. A run moves most orders to the same few dates, so orders with
    the same new values share one UPDATE."""
    same: dict[tuple[Any, ...], list[int]] = defaultdict(list)
    for state in states:
        same[(state.billed_on, state.billed_until, state.billed_metric, state.compensated_until)].append(state.id)
    for (billed_on, billed_until, billed_metric, compensated_until), ids in same.items():
        for batch in _batches(ids, WRITE_BATCH):
            Order.objects.filter(pk__in=batch).update(
                billed_on=billed_on,
                billed_until=billed_until,
                billed_metric=billed_metric,
                compensated_until=compensated_until,
            )


def _store(results: Sequence[tuple[Account, engine.Result]], actor: User | None) -> list[Bill]:
    """Write the drafts (an invoice for the lines, an amendment for the refunds) and the orders' new state."""
    wanted = [
        (account, kind, lines)
        for account, result in results
        for kind, lines in ((InvoiceKind.INVOICE, result.lines), (InvoiceKind.AMENDMENT, result.refunds))
        if lines
    ]
    drafts = iter(_drafts(wanted, actor))
    _save_states(state for _, result in results for state in result.orders)
    return [
        _bill(account, result, next(drafts) if result.lines else None, next(drafts) if result.refunds else None)
        for account, result in results
    ]


def _bill(
    account: Account, result: engine.Result, invoice: Invoice | None = None, amendment: Invoice | None = None
) -> Bill:
    totals = engine.totals(result.lines)
    return Bill(
        account=account, lines=result.lines, refunds=result.refunds, totals=totals, invoice=invoice, amendment=amendment
    )


def _bill_chunk(
    account_ids: Sequence[int],
    *,
    on: date,
    actor: User | None,
    commit: bool,
    chosen: Mapping[int, set[int]] | None = None,
    skip_contactless: bool = False,
) -> tuple[list[Bill], int]:
    """Bill some accounts (only their `chosen` orders if given), in the caller's transaction. Committing, an
    account without a billing contact is refused, or left out with a warning when `skip_contactless`.
    Returns the bills and how many accounts were left out."""
    accounts = Account.objects.in_bulk(account_ids)
    skipped = 0
    if commit:
        contactable = _contactable(account_ids)
        lacking = [pk for pk in account_ids if pk not in contactable]
        if lacking and not skip_contactless:
            raise _no_billing_contact(accounts[lacking[0]], "account")
        for pk in lacking:
            log.warning("billing run %s: account %s skipped, it has no billing contact", on, accounts[pk])
        account_ids, skipped = [pk for pk in account_ids if pk in contactable], len(lacking)
    chunk = _read(account_ids, on, lock=commit)
    results = [(accounts[pk], _compute(chunk, pk, None if chosen is None else chosen[pk], on)) for pk in account_ids]
    if not commit:
        return [_bill(account, result) for account, result in results], skipped
    return _store(results, actor), skipped


def _chunks(among: Sequence[int] | None) -> Iterator[list[int]]:
    """Ids of the accounts with orders (only those in the sorted `among`, if given), ascending, a chunk at a
    time. Each page is read after the previous chunk is billed, so nothing is listed in advance."""
    after = 0
    while counts := orders_per_account(after=after, among=among, limit=CHUNK_ACCOUNTS):
        chunk: list[int] = []
        size = 0
        for account_id, count in counts:
            if chunk and size + count > CHUNK_ORDERS:
                break
            chunk.append(account_id)
            size += count
        yield chunk
        after = chunk[-1]


@transaction.atomic
def bill_orders(
    *, orders: Iterable[Order], date: date | None = None, actor: User | None, commit: bool = True
) -> list[Bill]:
    """Bill orders up to `date`, one draft invoice per account (plus a draft amendment for refunds).

    commit=False computes the same bills and changes nothing: a preview. Orders are locked while billed, so
    two runs cannot bill the same days twice. All or nothing: an account without a billing contact refuses
    the whole call.
    """
    require_staff(actor, "bill orders")
    on = date or today()
    chosen: dict[int, set[int]] = defaultdict(set)
    for order in orders:
        chosen[order.account_id].add(order.pk)
    bills: list[Bill] = []
    for account_ids in _chunks(sorted(chosen)):
        bills += _bill_chunk(account_ids, on=on, actor=actor, commit=commit, chosen=chosen)[0]
    return bills


def billing_run(
    *,
    on: date | None = None,
    accounts: Sequence[Account] | None = None,
    actor: User | None,
    commit: bool = False,
    each: Callable[[Bill], object] | None = None,
) -> BillingRunSummary:
    """Bill every order of `accounts` (by default every account with orders) up to `on`, a chunk of accounts
    per transaction: an account's invoice, amendment and order states are written together or not at all.
    `each` is called with every account's bill once its chunk is written (previewing: computed); the
    returned summary only counts them.

    Named accounts without a billing contact are refused before anything is written. When every account is
    billed (the monthly run) such accounts are skipped and logged instead, so one missing contact does not
    hold back everybody's invoices. Running twice on the same day bills nothing the second time.
    """
    require_staff(actor, "run billing")
    summary = BillingRunSummary(on=on or today(), commit=commit)
    named = None if accounts is None else sorted({account.pk for account in accounts})
    if commit and accounts is not None and named is not None:
        contactable = _contactable(named)
        lacking = [pk for pk in named if pk not in contactable]
        if lacking:
            raise _no_billing_contact(next(a for a in accounts if a.pk == lacking[0]), "accounts")
    for account_ids in _chunks(named):
        with transaction.atomic():
            bills, skipped = _bill_chunk(
                account_ids, on=summary.on, actor=actor, commit=commit, skip_contactless=commit and named is None
            )
        summary.skipped += skipped
        for bill in bills:
            summary.add(bill)
            if each is not None:
                each(bill)
    return summary


# Drafts ----------------------------------------------------------------------------------------------------


def _editable(invoice: Invoice) -> Invoice:
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if not invoice.is_draft:
        raise Conflict(
            f"Invoice {invoice} is {invoice.state} and can no longer change; amend it instead.",
            code="immutable",
        )
    return invoice


@transaction.atomic
def invoice_create(*, account: Account, kind: str = InvoiceKind.FEE, actor: User | None) -> Invoice:
    """An empty draft for manual items (a fee, a pro forma); lines are added with invoice_line_add."""
    require_staff(actor, "create invoices")
    if kind not in InvoiceKind.values:
        raise ValidationFailed(f"Unknown kind {kind!r}.", field="kind")
    return _draft(account, kind, [], actor)


@transaction.atomic
def invoice_update(*, invoice: Invoice, actor: User | None, **changes: Any) -> Invoice:
    require_staff(actor, "edit invoices")
    unknown = sorted(set(changes) - set(INVOICE_EDITABLE))
    if unknown:
        raise ValidationFailed(f"'{unknown[0]}' cannot be changed.", field=unknown[0])
    invoice = _editable(invoice)
    before = snapshot(invoice)
    for name, value in changes.items():
        setattr(invoice, name, value)
    invoice.save()
    record_change(actor=actor, action=ChangeAction.UPDATE, obj=invoice, before=before, after=snapshot(invoice))
    return invoice


@transaction.atomic
def invoice_line_add(
    *,
    invoice: Invoice,
    description: str,
    quantity: Any,
    unit_price: Any,
    tax_rate: Any = Decimal(0),
    actor: User | None,
) -> InvoiceLine:
    """A manual line: subtotal = quantity x unit price, rounded half-up to the cent."""
    require_staff(actor, "edit invoices")
    invoice = _editable(invoice)
    minimum = None if invoice.kind == InvoiceKind.AMENDMENT else Decimal(0)
    amount = decimal_input(unit_price, field="unit_price", minimum=minimum)
    count = decimal_input(quantity, field="quantity")
    rate = decimal_input(tax_rate, field="tax_rate")
    if rate > 100:
        raise ValidationFailed("A tax rate is a percentage from 0 to 100.", field="tax_rate")
    if not description.strip():
        raise ValidationFailed("Describe what is billed.", field="description")
    line = InvoiceLine.objects.create(
        invoice=invoice,
        position=invoice.lines.count(),
        description=description.strip()[:300],
        quantity=count,
        unit_price=amount,
        subtotal=engine.money(count * amount),
        tax_rate=rate,
    )
    record_change(actor=actor, action=ChangeAction.UPDATE, obj=invoice, after={"line_added": snapshot(line)})
    return line


# Issuing and amending --------------------------------------------------------------------------------------


def invoice_lines(invoice: Invoice) -> list[engine.Line]:
    return [
        engine.Line(
            order_id=line.order_id,
            description=line.description,
            period_start=line.period_start or date.min,
            period_end=line.period_end or date.min,
            quantity=line.quantity,
            unit_price=line.unit_price,
            subtotal=line.subtotal,
            tax_rate=line.tax_rate,
            sublines=tuple(
                engine.SubLine(
                    kind=s.kind, description=s.description, amount=s.amount, source_order_id=s.source_order_id
                )
                for s in line.sublines.all()
            ),
        )
        for line in invoice.lines.prefetch_related("sublines")
    ]


def invoice_totals(invoice: Invoice) -> engine.Totals:
    return engine.totals(invoice_lines(invoice))


def _next_number(series: str, year: int) -> int:
    try:
        with transaction.atomic():
            InvoiceCounter.objects.get_or_create(series=series, year=year)
    except IntegrityError:
        pass  # another transaction created the counter first; the lock below waits for it
    counter = InvoiceCounter.objects.select_for_update().get(series=series, year=year)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return counter.last_number


def _snapshot(invoice: Invoice, contact: Contact) -> dict[str, Any]:
    def amount(value: Decimal) -> str:
        return str(value)

    def period(day: date) -> str | None:
        return None if day == date.min else day.isoformat()

    lines = invoice_lines(invoice)
    totals = engine.totals(lines)
    account = invoice.account
    return {
        "code": invoice.code,
        "kind": invoice.kind,
        "issued_on": invoice.issued_on.isoformat() if invoice.issued_on else None,
        "due_on": invoice.due_on.isoformat() if invoice.due_on else None,
        "amends": invoice.amends.code if invoice.amends else None,
        "seller": dict(settings.BATON_BILLING_SELLER),
        "buyer": {
            "handle": account.handle,
            "name": account.name,
            "contact": contact.name,
            "email": contact.email,
            "address": contact.address,
            "postal_code": contact.postal_code,
            "city": contact.city,
            "country": contact.country,
        },
        "lines": [
            {
                "description": line.description,
                "period_start": period(line.period_start),
                "period_end": period(line.period_end),
                "quantity": amount(line.quantity),
                "unit_price": amount(line.unit_price),
                "subtotal": amount(line.subtotal),
                "tax_rate": amount(line.tax_rate),
                "sublines": [
                    {"kind": s.kind, "description": s.description, "amount": amount(s.amount)} for s in line.sublines
                ],
                "total": amount(line.total),
            }
            for line in lines
        ],
        "payment_instructions": settings.BATON_BILLING_PAYMENT_INSTRUCTIONS,
        "totals": {
            "by_rate": [{"rate": amount(t.rate), "base": amount(t.base), "tax": amount(t.tax)} for t in totals.by_rate],
            "base": amount(totals.base),
            "tax": amount(totals.tax),
            "total": amount(totals.total),
        },
    }


@transaction.atomic
def invoice_issue(*, invoice: Invoice, actor: User | None, on: date | None = None) -> Invoice:
    """Number the draft in its series and year, date it and freeze its snapshot."""
    require_staff(actor, "issue invoices")
    invoice = _editable(invoice)
    if not invoice.lines.exists():
        raise ValidationFailed("An invoice without lines cannot be issued.", field="lines", code="empty")
    contact = billing_contact(invoice.account)
    before = snapshot(invoice)
    invoice.issued_on = on or today()
    invoice.due_on = invoice.due_on or invoice.issued_on + timedelta(days=settings.BATON_BILLING_DUE_DAYS)
    invoice.year = invoice.issued_on.year
    invoice.number = _next_number(invoice.series, invoice.year)
    invoice.set_state(InvoiceState.ISSUED)
    invoice.snapshot = _snapshot(invoice, contact)
    invoice.save()
    record_change(actor=actor, action=ChangeAction.UPDATE, obj=invoice, before=before, after=snapshot(invoice))
    from billing.tasks import render_invoice_pdf  # the tasks module calls these services

    # The PDF is rendered from the committed snapshot, outside the numbering lock; a rolled-back issue sends nothing.
    issued_id = invoice.pk
    transaction.on_commit(lambda: render_invoice_pdf(issued_id))
    return invoice


@transaction.atomic
def invoice_amend(*, invoice: Invoice, actor: User | None, lines: Sequence[int] | None = None) -> Invoice:
    """Credit an issued invoice: a draft amendment with the chosen lines (all by default) negated, sub-lines
    included. The original is marked amended and otherwise stays as issued."""
    require_staff(actor, "amend invoices")
    original = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if original.is_draft:
        raise Conflict("A draft is edited, not amended.", code="draft")
    if original.kind in (InvoiceKind.AMENDMENT, InvoiceKind.PROFORMA):
        raise Conflict(f"A {original.get_kind_display()} cannot be amended.", code="not_amendable")
    stored = list(original.lines.order_by("position", "pk"))
    wanted = {row.pk for row in stored} if lines is None else set(lines)
    unknown = sorted(wanted - {row.pk for row in stored})
    if unknown:
        raise ValidationFailed(f"Line {unknown[0]} is not on invoice {original}.", field="lines")
    credit = [
        replace(
            line,
            description=f"Credit: {line.description}",
            subtotal=-line.subtotal,
            sublines=tuple(replace(sub, amount=-sub.amount) for sub in line.sublines),
        )
        for line, row in zip(invoice_lines(original), stored, strict=True)
        if row.pk in wanted
    ]
    before = snapshot(original)
    original.set_state(InvoiceState.AMENDED)
    original.save(update_fields=["state", "updated_at"])
    record_change(actor=actor, action=ChangeAction.UPDATE, obj=original, before=before, after=snapshot(original))
    amendment = _draft(original.account, InvoiceKind.AMENDMENT, credit, actor)
    amendment.amends = original
    amendment.save(update_fields=["amends", "updated_at"])
    return amendment

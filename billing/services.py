"""Every write to invoices: billing orders into drafts, editing drafts, issuing, amending.

The maths is in billing.engine; these functions read orders into its plain data, store what it returns and
keep the rules of the documents: drafts are editable, issued invoices are numbered, frozen and only amended.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q

from billing import engine
from billing.choices import DEFAULT_SERIES, InvoiceKind, InvoiceState
from billing.models import Invoice, InvoiceCounter, InvoiceLine, InvoiceSubLine
from panel.accounts.models import Account, Contact, User
from panel.core.access import require_staff
from panel.core.audit import record_change, snapshot
from panel.core.choices import ChangeAction
from panel.core.errors import Conflict, ValidationFailed
from panel.orders.choices import OnCancel
from panel.orders.models import Order, Service
from panel.orders.selectors import orders_with_history, plan_rates
from panel.orders.services import decimal_input, today

INVOICE_EDITABLE = ("due_on", "series")

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Bill:
    """What billing one account produces: the lines of an invoice and the refunds for an amendment."""

    account: Account
    lines: tuple[engine.Line, ...]
    refunds: tuple[engine.Line, ...]
    totals: engine.Totals
    invoice: Invoice | None = None
    amendment: Invoice | None = None


def billing_contact(account: Account) -> Contact:
    contact = account.contacts.filter(is_billing=True).order_by("pk").first()
    if contact is None:
        raise ValidationFailed(
            f"The account {account} has no billing contact; add one before billing it.",
            field="account",
            code="no_billing_contact",
        )
    return contact


# From the database to the engine ---------------------------------------------------------------------------


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


def state_of(order: Order) -> engine.OrderState:
    return engine.OrderState(
        id=order.pk,
        service_id=order.service_id,
        description=order.description,
        registered_on=order.registered_on,
        metrics=tuple(engine.MetricPoint(since=m.created_on, value=m.value) for m in order.metrics.all()),
        cancelled_on=order.cancelled_on,
        billed_on=order.billed_on,
        billed_until=order.billed_until,
        billed_metric=order.billed_metric,
        compensated_until=order.compensated_until,
    )


def _with_compensation_sources(account: Account, orders: list[Order]) -> list[Order]:
    """Add the account's cancelled orders whose unused prepaid time can still compensate the ones billed."""
    ids = {order.pk for order in orders}
    sources = orders_with_history(account=account).filter(
        service__in={order.service_id for order in orders},
        service__on_cancel=OnCancel.COMPENSATE,
        cancelled_on__isnull=False,
        billed_until__gt=F("cancelled_on"),
    )
    sources = sources.filter(Q(compensated_until__isnull=True) | Q(compensated_until__lt=F("billed_until")))
    return [*orders, *(order for order in sources if order.pk not in ids)]


def _compute(account: Account, orders: list[Order], on: date) -> engine.Result:
    orders = _with_compensation_sources(account, orders)
    rates = {
        service_id: {
            plan: [engine.Tier(quantity=r.quantity, price=r.price) for r in tiers] for plan, tiers in plans.items()
        }
        for service_id, plans in plan_rates(account=account, on=on).items()
    }
    rules = {order.service_id: rule_of(order.service) for order in orders}
    return engine.bill([state_of(order) for order in orders], rules, rates, on)


# Billing ---------------------------------------------------------------------------------------------------


def _store_lines(invoice: Invoice, lines: Sequence[engine.Line]) -> None:
    for position, line in enumerate(lines):
        stored = InvoiceLine.objects.create(
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
        for sub in line.sublines:
            InvoiceSubLine.objects.create(
                line=stored,
                kind=sub.kind,
                description=sub.description[:300],
                amount=sub.amount,
                source_order_id=sub.source_order_id,
            )


def _draft(account: Account, kind: str, lines: Sequence[engine.Line], actor: User | None) -> Invoice:
    invoice = Invoice.objects.create(account=account, kind=kind, series=DEFAULT_SERIES[InvoiceKind(kind)])
    _store_lines(invoice, lines)
    record_change(actor=actor, action=ChangeAction.CREATE, obj=invoice, after=snapshot(invoice))
    return invoice


def _save_states(states: Iterable[engine.OrderState]) -> None:
    for state in states:
        Order.objects.filter(pk=state.id).update(
            billed_on=state.billed_on,
            billed_until=state.billed_until,
            billed_metric=state.billed_metric,
            compensated_until=state.compensated_until,
        )


@transaction.atomic
def bill_orders(
    *, orders: Iterable[Order], date: date | None = None, actor: User | None, commit: bool = True
) -> list[Bill]:
    """Bill orders up to `date`, one draft invoice per account (plus a draft amendment for refunds).

    commit=False computes the same bills and changes nothing: a preview. Orders are locked while billed, so
    two runs cannot bill the same days twice.
    """
    require_staff(actor, "bill orders")
    on = date or today()
    by_account: dict[int, list[int]] = defaultdict(list)
    for order in orders:
        by_account[order.account_id].append(order.pk)
    bills = []
    for account_id, ids in sorted(by_account.items()):
        account = Account.objects.get(pk=account_id)
        if commit:
            billing_contact(account)
            list(Order.objects.select_for_update().filter(pk__in=ids).values_list("pk", flat=True))
        result = _compute(account, list(orders_with_history(account=account).filter(pk__in=ids)), on)
        bill = Bill(account=account, lines=result.lines, refunds=result.refunds, totals=engine.totals(result.lines))
        if commit:
            invoice = _draft(account, InvoiceKind.INVOICE, result.lines, actor) if result.lines else None
            amendment = _draft(account, InvoiceKind.AMENDMENT, result.refunds, actor) if result.refunds else None
            _save_states(result.orders)
            bill = replace(bill, invoice=invoice, amendment=amendment)
        bills.append(bill)
    return bills


def billing_run(
    *, on: date | None = None, accounts: Sequence[Account] | None = None, actor: User | None, commit: bool = False
) -> list[Bill]:
    """Bill every order of `accounts` (by default every account with orders) up to `on`, one account at a time.

    Named accounts without a billing contact are refused before anything is written. When every account is
    billed (the monthly run) such accounts are skipped and logged instead, so one missing contact does not
    hold back everybody's invoices. Running twice on the same day bills nothing the second time.
    """
    require_staff(actor, "run billing")
    on = on or today()
    if accounts is None:
        chosen = list(Account.objects.filter(orders__isnull=False).distinct().order_by("pk"))
    else:
        chosen = sorted(set(accounts), key=lambda account: account.pk)
        lacking = [account for account in chosen if not account.contacts.filter(is_billing=True).exists()]
        if commit and lacking:
            raise ValidationFailed(
                f"The account {lacking[0]} has no billing contact; add one before billing it.",
                field="accounts",
                code="no_billing_contact",
            )
    bills: list[Bill] = []
    for account in chosen:
        if commit and accounts is None and not account.contacts.filter(is_billing=True).exists():
            log.warning("billing run %s: account %s skipped, it has no billing contact", on, account)
            continue
        bills.extend(bill_orders(orders=Order.objects.filter(account=account), date=on, actor=actor, commit=commit))
    return bills


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

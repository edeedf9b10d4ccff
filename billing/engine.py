"""Rating and billing maths: plain data in, invoice lines out. No database and no clock (the caller passes the
billing date), so every amount can be recomputed from an order's stored dates and metric history.

Conventions, all with dates as whole days and spans half-open ([start, end): `end` is not included):

- Periods. Monthly and yearly periods start on the registration date (anniversary: Jan 31 -> Feb 29 -> Mar
  31) or on a fixed day of each month (of January for yearly periods); a fixed-day order's first period is the
  partial one from its registration to the next fixed day.
- Proration. A span of a period costs price x days in span / days in that period, the period's own length
  (28 to 31 days, 365 or 366). Each line is rounded half-up to the cent once, at the end.
- Pricing period. Prices are quoted per pricing period; a yearly period priced monthly costs 12 x the price,
  a monthly period priced yearly 1/12 of it.
- Prepay bills every period that has started by the billing date, in full; postpay bills the periods that are
  over. billed_until moves forward only, so no day is billed twice.
- Metric. The value in effect on a day is the latest history entry on or before it; days after the billing
  date are assumed to keep the value of the billing date. A span whose value changes is split into lines.
  Prepaid time is billed at the value of the billing day; a later upgrade within it is billed for the
  difference on the next run; a downgrade of prepaid time is not credited.
- Trial. An order cancelled within its trial days is never billed; an order still in its trial is not billed
  yet; once the trial is over it is billed from its registration.
- Cancellation (on_cancel): full bills to the end of the period the last day of service falls in; prorate
  bills up to the cancellation; refund also credits prepaid time after the cancellation (a negative line, for
  an amendment); compensate keeps that time and credits it to other orders of the same service billed for the
  same days, as a compensation sub-line that never exceeds the line it reduces.
- Rating. P(q), the price of quantity q for one pricing period, comes from the account's plan rates for the
  service; with no rates, q x nominal price. A tier (threshold t, price p) prices the units above t (up to the
  next threshold); units below the first threshold cost the nominal price. step_price: each unit at its own
  tier's price; match_price: every unit at the price of the highest tier reached (t < q); with several plans,
  both take the cheapest plan. best_price: each unit at the lowest price any plan offers for it.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from panel.orders.choices import BillingPeriod, BillingPoint, OnCancel, Payment, PricingPeriod, Rating

CENT = Decimal("0.01")
ZERO = Decimal(0)
_MONTHS: dict[str, int] = {
    BillingPeriod.MONTHLY: 1,
    BillingPeriod.YEARLY: 12,
    PricingPeriod.MONTHLY: 1,
    PricingPeriod.YEARLY: 12,
}


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


# Inputs and outputs ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """A catalogue service, as far as billing is concerned."""

    service_id: int
    nominal_price: Decimal
    billing_period: str = BillingPeriod.MONTHLY
    billing_point: str = BillingPoint.ANNIVERSARY
    fixed_day: int = 1
    pricing_period: str = PricingPeriod.BILLING_PERIOD
    payment: str = Payment.PREPAY
    tax_rate: Decimal = ZERO
    rating: str = Rating.STEP_PRICE
    on_cancel: str = OnCancel.PRORATE
    trial_days: int = 0


@dataclass(frozen=True)
class Tier:
    quantity: Decimal
    price: Decimal


@dataclass(frozen=True)
class MetricPoint:
    since: date
    value: Decimal


@dataclass(frozen=True)
class OrderState:
    id: int
    service_id: int
    description: str
    registered_on: date
    metrics: tuple[MetricPoint, ...]
    cancelled_on: date | None = None
    billed_on: date | None = None
    billed_until: date | None = None
    billed_metric: Decimal | None = None
    compensated_until: date | None = None


@dataclass(frozen=True)
class SubLine:
    kind: str  # "discount" or "compensation"
    description: str
    amount: Decimal  # negative: it reduces the line
    source_order_id: int | None = None


@dataclass(frozen=True)
class Line:
    order_id: int | None
    description: str
    period_start: date
    period_end: date
    quantity: Decimal
    unit_price: Decimal  # P(q) per unit for a whole billing period, to 4 places: shown, not summed
    subtotal: Decimal
    tax_rate: Decimal
    sublines: tuple[SubLine, ...] = ()

    @property
    def total(self) -> Decimal:
        return self.subtotal + sum((sub.amount for sub in self.sublines), ZERO)


@dataclass(frozen=True)
class Result:
    lines: tuple[Line, ...]
    refunds: tuple[Line, ...]  # negative lines, to be credited by an amendment
    orders: tuple[OrderState, ...]  # the new state of every order whose billing fields changed


@dataclass(frozen=True)
class TaxTotal:
    rate: Decimal
    base: Decimal
    tax: Decimal


@dataclass(frozen=True)
class Totals:
    by_rate: tuple[TaxTotal, ...]
    base: Decimal
    tax: Decimal
    total: Decimal


# Calendar --------------------------------------------------------------------------------------------------


def add_months(anchor: date, months: int, day: int) -> date:
    year, month = divmod(anchor.month - 1 + months, 12)
    year += anchor.year
    return date(year, month + 1, min(day, calendar.monthrange(year, month + 1)[1]))


def period_containing(rule: Rule, registered_on: date, day: date) -> tuple[date, date]:
    step = _MONTHS[rule.billing_period]
    if rule.billing_point == BillingPoint.FIXED_DAY:
        anchor = date(day.year, day.month if step == 1 else 1, rule.fixed_day)
        start = anchor if anchor <= day else add_months(anchor, -step, rule.fixed_day)
        return start, add_months(start, step, rule.fixed_day)
    months = (day.year - registered_on.year) * 12 + day.month - registered_on.month
    index = months // step
    start = add_months(registered_on, index * step, registered_on.day)
    if start > day:
        index -= 1
        start = add_months(registered_on, index * step, registered_on.day)
    return start, add_months(registered_on, (index + 1) * step, registered_on.day)


def periods(rule: Rule, registered_on: date, start: date, end: date) -> Iterator[tuple[date, date]]:
    """The whole periods that overlap [start, end)."""
    if start >= end:
        return
    period = period_containing(rule, registered_on, start)
    while period[0] < end:
        yield period
        period = period_containing(rule, registered_on, period[1])


# Rating ----------------------------------------------------------------------------------------------------


def _unit_price_at(tiers: Sequence[Tier], unit_floor: Decimal, nominal: Decimal) -> Decimal:
    """The price of the units just above `unit_floor` under one plan's tiers (sorted by threshold)."""
    price = nominal
    for tier in tiers:
        if tier.quantity <= unit_floor:
            price = tier.price
    return price


def _step(quantity: Decimal, tiers: Sequence[Tier], nominal: Decimal) -> Decimal:
    bounds = sorted({ZERO, *(t.quantity for t in tiers if t.quantity < quantity)})
    total = ZERO
    for low, high in zip(bounds, [*bounds[1:], quantity], strict=True):
        total += (high - low) * _unit_price_at(tiers, low, nominal)
    return total


def _match(quantity: Decimal, tiers: Sequence[Tier], nominal: Decimal) -> Decimal:
    reached = [t for t in tiers if t.quantity < quantity]
    return quantity * (reached[-1].price if reached else nominal)


def _best(quantity: Decimal, plans: Sequence[Sequence[Tier]], nominal: Decimal) -> Decimal:
    bounds = sorted({ZERO, *(t.quantity for tiers in plans for t in tiers if t.quantity < quantity)})
    total = ZERO
    for low, high in zip(bounds, [*bounds[1:], quantity], strict=True):
        total += (high - low) * min(_unit_price_at(tiers, low, nominal) for tiers in plans)
    return total


def rate(quantity: Decimal, rule: Rule, plans: Mapping[str, Sequence[Tier]]) -> Decimal:
    """P(q): the price of `quantity` for one pricing period, unrounded."""
    usable = [sorted(tiers, key=lambda t: t.quantity) for _, tiers in sorted(plans.items()) if tiers]
    if quantity <= 0:
        return ZERO
    if not usable:
        return quantity * rule.nominal_price
    if rule.rating == Rating.BEST_PRICE:
        return _best(quantity, usable, rule.nominal_price)
    price = _match if rule.rating == Rating.MATCH_PRICE else _step
    return min(price(quantity, tiers, rule.nominal_price) for tiers in usable)


def _ratio(rule: Rule) -> tuple[int, int]:
    """How many pricing periods one billing period is, as a fraction."""
    if rule.pricing_period == PricingPeriod.BILLING_PERIOD or rule.billing_period == BillingPeriod.ONE_TIME:
        return 1, 1
    return _MONTHS[rule.billing_period], _MONTHS[rule.pricing_period]


def _charge(price: Decimal, rule: Rule, days: int, period_days: int) -> Decimal:
    """Unrounded: multiply first and divide once, so 10 days of a 31-day month stay exact until rounding."""
    numerator, denominator = _ratio(rule)
    return price * numerator * days / (denominator * period_days)


def _unit_price(price: Decimal, quantity: Decimal, rule: Rule) -> Decimal:
    numerator, denominator = _ratio(rule)
    return (price * numerator / (denominator * quantity)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


# Metric history --------------------------------------------------------------------------------------------


def value_on(metrics: Sequence[MetricPoint], day: date) -> Decimal:
    """The value in effect on `day`; before the first entry, the first entry's (set the day it was ordered)."""
    ordered = sorted(metrics, key=lambda m: m.since)
    if not ordered:
        return ZERO
    current = ordered[0].value
    for point in ordered:
        if point.since <= day:
            current = point.value
    return current


def segments(metrics: Sequence[MetricPoint], start: date, end: date, as_of: date) -> list[tuple[date, date, Decimal]]:
    """[start, end) cut where the value changes; changes after `as_of` are not known yet."""
    ordered = sorted(metrics, key=lambda m: m.since)
    known = [m for m in ordered if m.since <= as_of] or ordered[:1]
    cuts = sorted({start, *(m.since for m in known if start < m.since < end)})
    pieces: list[tuple[date, date, Decimal]] = []
    for low, high in zip(cuts, [*cuts[1:], end], strict=True):
        value = value_on(known, low)
        if pieces and pieces[-1][2] == value:
            pieces[-1] = (pieces[-1][0], high, value)
        else:
            pieces.append((low, high, value))
    return pieces


# Billing one order -----------------------------------------------------------------------------------------


@dataclass
class _Piece:
    """A line before rounding, with what compensation needs to price part of it."""

    order: OrderState
    start: date
    end: date
    period: tuple[date, date]
    price: Decimal
    line: Line
    upgrade: bool = False
    credits: list[SubLine] = field(default_factory=list)


def _cancel_end(order: OrderState, rule: Rule) -> date | None:
    """The day billing stops for a cancelled order, by its on-cancel policy."""
    if order.cancelled_on is None:
        return None
    if rule.on_cancel != OnCancel.FULL or order.cancelled_on <= order.registered_on:
        return max(order.cancelled_on, order.registered_on)
    last_day = order.cancelled_on - timedelta(days=1)
    return period_containing(rule, order.registered_on, last_day)[1]


def _target(order: OrderState, rule: Rule, on: date) -> date:
    """Billing of this order covers the days before the returned date once this run is done."""
    stop = _cancel_end(order, rule)
    if stop is not None and order.cancelled_on is not None and order.cancelled_on <= on:
        return stop
    start, end = period_containing(rule, order.registered_on, on)
    target = end if rule.payment == Payment.PREPAY else start
    return min(target, stop) if stop is not None else target


def _days(start: date, end: date) -> int:
    return (end - start).days


def _piece(
    order: OrderState,
    rule: Rule,
    span: tuple[date, date],
    period: tuple[date, date],
    *,
    quantity: Decimal,
    price: Decimal,
    description: str | None = None,
    upgrade: bool = False,
) -> _Piece:
    subtotal = money(_charge(price, rule, _days(*span), _days(*period)))
    line = Line(
        order_id=order.id,
        description=description or order.description,
        period_start=span[0],
        period_end=span[1],
        quantity=quantity,
        unit_price=_unit_price(price, quantity, rule) if quantity else ZERO,
        subtotal=subtotal,
        tax_rate=rule.tax_rate,
    )
    return _Piece(order=order, start=span[0], end=span[1], period=period, price=price, line=line, upgrade=upgrade)


def _fmt(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _recurring(order: OrderState, rule: Rule, plans: Mapping[str, Sequence[Tier]], on: date) -> list[_Piece]:
    start = order.billed_until or order.registered_on
    pieces = []
    for period in periods(rule, order.registered_on, start, _target(order, rule, on)):
        low, high = max(period[0], start), min(period[1], _target(order, rule, on))
        for seg_start, seg_end, value in segments(order.metrics, low, high, on):
            if value > 0:
                price = rate(value, rule, plans)
                pieces.append(_piece(order, rule, (seg_start, seg_end), period, quantity=value, price=price))
    return pieces


def _upgrades(order: OrderState, rule: Rule, plans: Mapping[str, Sequence[Tier]], on: date) -> list[_Piece]:
    """Prepaid time billed at a lower value than the one now in effect: bill the difference."""
    if order.billed_on is None or order.billed_until is None or order.billed_metric is None:
        return []
    end = min(order.billed_until, order.cancelled_on or order.billed_until)
    paid = rate(order.billed_metric, rule, plans)
    pieces = []
    for period in periods(rule, order.registered_on, order.billed_on, end):
        low, high = max(period[0], order.billed_on), min(period[1], end)
        for seg_start, seg_end, value in segments(order.metrics, low, high, on):
            price = rate(value, rule, plans)
            if price > paid:
                description = f"{order.description}: upgrade from {_fmt(order.billed_metric)} to {_fmt(value)}"
                span = (seg_start, seg_end)
                delta = value - order.billed_metric
                pieces.append(
                    _piece(
                        order,
                        rule,
                        span,
                        period,
                        quantity=delta,
                        price=price - paid,
                        description=description,
                        upgrade=True,
                    )
                )
    return pieces


def _refunds(order: OrderState, rule: Rule, plans: Mapping[str, Sequence[Tier]]) -> list[Line]:
    """Credit prepaid time after a cancellation, at the value it was paid at."""
    if order.cancelled_on is None or order.billed_until is None or order.billed_metric is None:
        return []
    price = rate(order.billed_metric, rule, plans)
    lines = []
    for period in periods(rule, order.registered_on, order.cancelled_on, order.billed_until):
        span = (max(period[0], order.cancelled_on), min(period[1], order.billed_until))
        description = f"{order.description}: refund of unused prepaid time"
        piece = _piece(order, rule, span, period, quantity=order.billed_metric, price=price, description=description)
        lines.append(replace(piece.line, subtotal=-piece.line.subtotal))
    return lines


def _bill_order(
    order: OrderState, rule: Rule, plans: Mapping[str, Sequence[Tier]], on: date
) -> tuple[list[_Piece], list[Line], OrderState]:
    """This order's new lines, refund lines and next state (unchanged state: nothing to do)."""
    trial_end = order.registered_on + timedelta(days=rule.trial_days)
    if order.cancelled_on is not None and order.cancelled_on < trial_end:
        if order.billed_on is not None:
            return [], [], order
        return [], [], replace(order, billed_on=on, billed_until=order.cancelled_on)
    if on < trial_end or on < order.registered_on:
        return [], [], order
    if rule.billing_period == BillingPeriod.ONE_TIME:
        if order.billed_on is not None:
            return [], [], order
        value = value_on(order.metrics, order.registered_on)
        span = (order.registered_on, order.registered_on + timedelta(days=1))
        pieces = [_piece(order, rule, span, span, quantity=value, price=rate(value, rule, plans))] if value else []
        return pieces, [], replace(order, billed_on=on, billed_until=span[1], billed_metric=value)
    upgrades = _upgrades(order, rule, plans, on) if rule.payment == Payment.PREPAY else []
    pieces = _recurring(order, rule, plans, on)
    refunds: list[Line] = []
    until = max(order.billed_until or order.registered_on, _target(order, rule, on))
    if rule.on_cancel == OnCancel.REFUND and order.cancelled_on is not None and order.cancelled_on <= on:
        refunds = _refunds(order, rule, plans)
        until = min(until, max(order.cancelled_on, order.registered_on))
    if not (upgrades or pieces or refunds) and until == order.billed_until:
        return [], [], order
    current = value_on(order.metrics, on)
    metric = current if pieces or order.billed_metric is None else max(order.billed_metric, current)
    return [*upgrades, *pieces], refunds, replace(order, billed_on=on, billed_until=until, billed_metric=metric)


# Compensation ----------------------------------------------------------------------------------------------


def _compensate(pieces: list[_Piece], states: dict[int, OrderState], rules: Mapping[int, Rule]) -> None:
    """Credit the unused prepaid time of cancelled compensate-policy orders to other orders' lines for the same
    days; each source day is used once, and a line is never reduced below zero."""
    sources = sorted(
        (
            s
            for s in states.values()
            if rules[s.service_id].on_cancel == OnCancel.COMPENSATE and s.cancelled_on is not None
        ),
        key=lambda s: (s.cancelled_on, s.id),
    )
    for source in sources:
        for piece in sorted(pieces, key=lambda p: (p.start, p.order.id)):
            state = states[source.id]
            available = max(state.cancelled_on or state.registered_on, state.compensated_until or state.registered_on)
            if piece.upgrade or piece.order.id == source.id or piece.order.service_id != source.service_id:
                continue
            if state.billed_until is None or available >= state.billed_until:
                break
            low, high = max(piece.start, available), min(piece.end, state.billed_until)
            if low >= high:
                continue
            rule = rules[source.service_id]
            left = piece.line.subtotal + sum((c.amount for c in piece.credits), ZERO)
            amount = min(money(_charge(piece.price, rule, _days(low, high), _days(*piece.period))), left)
            if amount > 0:
                piece.credits.append(
                    SubLine(
                        kind="compensation",
                        description=f"Unused prepaid time of {source.description} ({low} to {high})",
                        amount=-amount,
                        source_order_id=source.id,
                    )
                )
            states[source.id] = replace(state, compensated_until=high)


def bill(
    orders: Sequence[OrderState],
    rules: Mapping[int, Rule],
    rates: Mapping[int, Mapping[str, Sequence[Tier]]],
    on: date,
) -> Result:
    """Bill one account's orders up to `on`. `rates` maps a service id to {plan name: tiers} for the plans
    the account has on that date."""
    states = {order.id: order for order in orders}
    pieces: list[_Piece] = []
    refunds: list[Line] = []
    for order in sorted(orders, key=lambda o: (o.registered_on, o.id)):
        new_pieces, new_refunds, state = _bill_order(
            order, rules[order.service_id], rates.get(order.service_id, {}), on
        )
        pieces += new_pieces
        refunds += new_refunds
        states[order.id] = state
    _compensate(pieces, states, rules)
    lines = tuple(replace(p.line, sublines=tuple(p.credits)) for p in pieces)
    originals = {order.id: order for order in orders}
    changed = tuple(state for state in states.values() if state != originals[state.id])
    return Result(lines=lines, refunds=tuple(refunds), orders=changed)


def totals(lines: Iterable[Line]) -> Totals:
    """Per tax rate: base = sum of the (already rounded) line totals, tax rounded half-up once per rate."""
    bases: dict[Decimal, Decimal] = {}
    for line in lines:
        bases[line.tax_rate] = bases.get(line.tax_rate, ZERO) + line.total
    by_rate = tuple(
        TaxTotal(rate=rate_, base=base, tax=money(base * rate_ / 100)) for rate_, base in sorted(bases.items())
    )
    base = sum((t.base for t in by_rate), ZERO)
    tax = sum((t.tax for t in by_rate), ZERO)
    return Totals(by_rate=by_rate, base=money(base), tax=money(tax), total=money(base + tax))

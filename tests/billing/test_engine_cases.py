"""Hand-computed billing cases: each gives the rule, the orders, the billing date, and the lines and totals
expected, with the arithmetic in a comment so a reader can check it. Spans are [start, end): the end day is
not billed. Amounts are rounded half-up to the cent once per line; tax once per rate and invoice."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import pytest

from billing.engine import (
    Line,
    MetricPoint,
    OrderState,
    Rule,
    Tier,
    bill,
    money,
    rate,
    totals,
)

D = Decimal


def order(
    id: int = 1,
    registered: date = date(2024, 3, 10),
    metrics: tuple[tuple[date, str], ...] | None = None,
    service_id: int = 1,
    **state: object,
) -> OrderState:
    points = metrics or ((registered, "1"),)
    return OrderState(
        id=id,
        service_id=service_id,
        description=f"order {id}",
        registered_on=registered,
        metrics=tuple(MetricPoint(since=since, value=D(value)) for since, value in points),
        **state,  # type: ignore[arg-type]
    )


# (description, start, end, quantity, subtotal, [subline amounts])
Expected = tuple[str, date, date, str, str, tuple[str, ...]]


@dataclass(frozen=True)
class Case:
    name: str
    rule: Rule
    orders: tuple[OrderState, ...]
    on: date
    lines: tuple[Expected, ...]
    total: str  # tax included
    refunds: tuple[Expected, ...] = ()
    plans: dict[str, list[Tier]] = field(default_factory=dict)


def e(desc: str, start: date, end: date, quantity: str, subtotal: str, *subs: str) -> Expected:
    return (desc, start, end, quantity, subtotal, subs)


MONTHLY = Rule(service_id=1, nominal_price=D("10.00"), tax_rate=D("21"))
PLANS = {
    # Plan A: the first 2 units at 10.00, every unit above 2 at 4.00. Plan B: every unit at 6.00.
    "A": [Tier(D(0), D("10.00")), Tier(D(2), D("4.00"))],
    "B": [Tier(D(0), D("6.00"))],
}

CASES = [
    Case(
        # Anniversary: the period runs from the 10th to the 10th, billed whole in advance.
        # 10.00 + 21% (2.10) = 12.10
        "monthly, anniversary, prepay",
        MONTHLY,
        (order(),),
        date(2024, 3, 10),
        (e("order 1", date(2024, 3, 10), date(2024, 4, 10), "1", "10.00"),),
        "12.10",
    ),
    Case(
        # Fixed day 1: the first period is Mar 1 - Apr 1 (31 days), used from the 10th: 22 days.
        # 10.00 x 22/31 = 7.0967... -> 7.10; tax 7.10 x 21% = 1.491 -> 1.49; total 8.59
        "monthly, fixed day, registered mid-period",
        Rule(service_id=1, nominal_price=D("10.00"), tax_rate=D("21"), billing_point="fixed_day", fixed_day=1),
        (order(),),
        date(2024, 3, 10),
        (e("order 1", date(2024, 3, 10), date(2024, 4, 1), "1", "7.10"),),
        "8.59",
    ),
    Case(
        # Late billing: registered Jan 31 (anniversary), billed on Mar 5. Periods Jan 31 - Feb 29 (the 31st
        # clamped to Feb's last day) and Feb 29 - Mar 31 (back to the 31st): two full periods, 2 x 10.00.
        "monthly, anniversary from the 31st, two periods at once",
        Rule(service_id=1, nominal_price=D("10.00")),
        (order(registered=date(2024, 1, 31)),),
        date(2024, 3, 5),
        (
            e("order 1", date(2024, 1, 31), date(2024, 2, 29), "1", "10.00"),
            e("order 1", date(2024, 2, 29), date(2024, 3, 31), "1", "10.00"),
        ),
        "20.00",
    ),
    Case(
        # Yearly, anniversary, already billed for the first year (Feb 29 2024 - Feb 28 2025): the second year
        # (Feb 28 2025 - Feb 28 2026) is billed whole: 120.00; the first is not billed again.
        "yearly, anniversary, second year",
        Rule(service_id=1, nominal_price=D("120.00"), billing_period="yearly"),
        (
            order(
                registered=date(2024, 2, 29),
                billed_on=date(2024, 2, 29),
                billed_until=date(2025, 2, 28),
                billed_metric=D(1),
            ),
        ),
        date(2025, 3, 1),
        (e("order 1", date(2025, 2, 28), date(2026, 2, 28), "1", "120.00"),),
        "120.00",
    ),
    Case(
        # Yearly on 1 January, priced per month (5.00): a year is 12 x 5.00 = 60.00. 2024 has 366 days; from
        # Jul 1 it has 184 left: 60.00 x 184/366 = 30.1639... -> 30.16
        "yearly, fixed day, priced monthly, registered mid-year",
        Rule(
            service_id=1,
            nominal_price=D("5.00"),
            billing_period="yearly",
            billing_point="fixed_day",
            pricing_period="monthly",
        ),
        (order(registered=date(2024, 7, 1)),),
        date(2024, 7, 1),
        (e("order 1", date(2024, 7, 1), date(2025, 1, 1), "1", "30.16"),),
        "30.16",
    ),
    Case(
        # Postpay, cancelled Feb 5 with prorate: Jan 15 - Feb 15 is 31 days, used 21 (Jan 15 - Feb 5).
        # 9.00 x 21/31 = 6.0967... -> 6.10
        "postpay, cancelled mid-period, prorate",
        Rule(service_id=1, nominal_price=D("9.00"), payment="postpay"),
        (order(registered=date(2024, 1, 15), cancelled_on=date(2024, 2, 5)),),
        date(2024, 2, 20),
        (e("order 1", date(2024, 1, 15), date(2024, 2, 5), "1", "6.10"),),
        "6.10",
    ),
    Case(
        # Postpay, not cancelled, billed Mar 20: only the periods that are over: Jan 15 - Feb 15, Feb 15 -
        # Mar 15, 9.00 each; Mar 15 - Apr 15 waits for the next run.
        "postpay, completed periods only",
        Rule(service_id=1, nominal_price=D("9.00"), payment="postpay"),
        (order(registered=date(2024, 1, 15)),),
        date(2024, 3, 20),
        (
            e("order 1", date(2024, 1, 15), date(2024, 2, 15), "1", "9.00"),
            e("order 1", date(2024, 2, 15), date(2024, 3, 15), "1", "9.00"),
        ),
        "18.00",
    ),
    Case(
        # Prepay, paid until Feb 15, cancelled Mar 1 (last day of service Feb 29) with on_cancel=full: the
        # whole period Feb 15 - Mar 15 is billed: 9.00.
        "prepay, cancelled, bill the whole period",
        Rule(service_id=1, nominal_price=D("9.00"), on_cancel="full"),
        (
            order(
                registered=date(2024, 1, 15),
                billed_on=date(2024, 1, 15),
                billed_until=date(2024, 2, 15),
                billed_metric=D(1),
                cancelled_on=date(2024, 3, 1),
            ),
        ),
        date(2024, 3, 1),
        (e("order 1", date(2024, 2, 15), date(2024, 3, 15), "1", "9.00"),),
        "9.00",
    ),
    Case(
        # The same with prorate: Feb 15 - Mar 15 has 29 days (leap year), used 15 (Feb 15 - Mar 1).
        # 9.00 x 15/29 = 4.655... -> 4.66
        "prepay, cancelled, prorate",
        Rule(service_id=1, nominal_price=D("9.00"), on_cancel="prorate"),
        (
            order(
                registered=date(2024, 1, 15),
                billed_on=date(2024, 1, 15),
                billed_until=date(2024, 2, 15),
                billed_metric=D(1),
                cancelled_on=date(2024, 3, 1),
            ),
        ),
        date(2024, 3, 1),
        (e("order 1", date(2024, 2, 15), date(2024, 3, 1), "1", "4.66"),),
        "4.66",
    ),
    Case(
        # Prepaid Jan 1 - Feb 1 at 31.00, cancelled Jan 21 with on_cancel=refund: 11 unused days of 31 are
        # credited: 31.00 x 11/31 = 11.00, as a refund line (for an amendment), nothing new to invoice.
        "prepay, cancelled, refund",
        Rule(service_id=1, nominal_price=D("31.00"), on_cancel="refund"),
        (
            order(
                registered=date(2024, 1, 1),
                billed_on=date(2024, 1, 1),
                billed_until=date(2024, 2, 1),
                billed_metric=D(1),
                cancelled_on=date(2024, 1, 21),
            ),
        ),
        date(2024, 1, 25),
        (),
        "0.00",
        refunds=(e("order 1: refund of unused prepaid time", date(2024, 1, 21), date(2024, 2, 1), "1", "-11.00"),),
    ),
    Case(
        # 2.00 per GB and month, prepaid Mar 1 - Apr 1 at 1 GB, raised to 3 GB on Mar 17. On Apr 1:
        # upgrade Mar 17 - Apr 1 (15 of 31 days): (3 - 1) GB x 2.00 x 15/31 = 60/31 = 1.935... -> 1.94
        # April at 3 GB: 3 x 2.00 = 6.00; total 7.94
        "quota upgrade mid-period, prepay",
        Rule(service_id=1, nominal_price=D("2.00")),
        (
            order(
                registered=date(2024, 3, 1),
                metrics=((date(2024, 3, 1), "1"), (date(2024, 3, 17), "3")),
                billed_on=date(2024, 3, 1),
                billed_until=date(2024, 4, 1),
                billed_metric=D(1),
            ),
        ),
        date(2024, 4, 1),
        (
            e("order 1: upgrade from 1 to 3", date(2024, 3, 17), date(2024, 4, 1), "2", "1.94"),
            e("order 1", date(2024, 4, 1), date(2024, 5, 1), "3", "6.00"),
        ),
        "7.94",
    ),
    Case(
        # Postpay, the same quota history, billed on Apr 1: Mar 1 - 17 (16 days) at 1 GB: 2.00 x 16/31 =
        # 1.032... -> 1.03; Mar 17 - Apr 1 (15 days) at 3 GB: 6.00 x 15/31 = 2.903... -> 2.90; total 3.93
        "quota upgrade mid-period, postpay",
        Rule(service_id=1, nominal_price=D("2.00"), payment="postpay"),
        (order(registered=date(2024, 3, 1), metrics=((date(2024, 3, 1), "1"), (date(2024, 3, 17), "3"))),),
        date(2024, 4, 1),
        (
            e("order 1", date(2024, 3, 1), date(2024, 3, 17), "1", "1.03"),
            e("order 1", date(2024, 3, 17), date(2024, 4, 1), "3", "2.90"),
        ),
        "3.93",
    ),
    Case(
        # 4 units, step price, two plans. A: 2 x 10.00 + 2 x 4.00 = 28.00; B: 4 x 6.00 = 24.00. Cheapest: 24.00
        "step price, two plans",
        Rule(service_id=1, nominal_price=D("99.00"), rating="step_price"),
        (order(registered=date(2024, 3, 1), metrics=((date(2024, 3, 1), "4"),)),),
        date(2024, 3, 1),
        (e("order 1", date(2024, 3, 1), date(2024, 4, 1), "4", "24.00"),),
        "24.00",
        plans=PLANS,
    ),
    Case(
        # Match price: every unit at the highest tier reached. A: 4 > 2, so 4 x 4.00 = 16.00; B: 24.00 -> 16.00
        "match price, two plans",
        Rule(service_id=1, nominal_price=D("99.00"), rating="match_price"),
        (order(registered=date(2024, 3, 1), metrics=((date(2024, 3, 1), "4"),)),),
        date(2024, 3, 1),
        (e("order 1", date(2024, 3, 1), date(2024, 4, 1), "4", "16.00"),),
        "16.00",
        plans=PLANS,
    ),
    Case(
        # Best price: each unit at the lowest price of any plan. Units 1-2: min(10.00, 6.00) = 6.00;
        # units 3-4: min(4.00, 6.00) = 4.00. 2 x 6.00 + 2 x 4.00 = 20.00
        "best price, two plans",
        Rule(service_id=1, nominal_price=D("99.00"), rating="best_price"),
        (order(registered=date(2024, 3, 1), metrics=((date(2024, 3, 1), "4"),)),),
        date(2024, 3, 1),
        (e("order 1", date(2024, 3, 1), date(2024, 4, 1), "4", "20.00"),),
        "20.00",
        plans=PLANS,
    ),
    Case(
        # Order 1 was prepaid Mar 1 - Apr 1 and cancelled Mar 11 (compensate); order 2 (same service) starts Mar
        # 11, period Mar 11 - Apr 11 (31 days): 10.00. Order 1's unused Mar 11 - Apr 1 (21 days) is credited at
        # order 2's price: 10.00 x 21/31 = 6.774... -> -6.77. Net 3.23. Order 1 itself bills nothing more.
        "compensation of a cancelled prepaid order onto a new one",
        Rule(service_id=1, nominal_price=D("10.00"), on_cancel="compensate"),
        (
            order(
                id=1,
                registered=date(2024, 3, 1),
                billed_on=date(2024, 3, 1),
                billed_until=date(2024, 4, 1),
                billed_metric=D(1),
                cancelled_on=date(2024, 3, 11),
            ),
            order(id=2, registered=date(2024, 3, 11)),
        ),
        date(2024, 3, 11),
        (e("order 2", date(2024, 3, 11), date(2024, 4, 11), "1", "10.00", "-6.77"),),
        "3.23",
    ),
    Case(
        # 14-day trial: cancelled on day 9, never billed.
        "trial, cancelled within it",
        Rule(service_id=1, nominal_price=D("10.00"), trial_days=14),
        (order(registered=date(2024, 3, 1), cancelled_on=date(2024, 3, 10)),),
        date(2024, 3, 31),
        (),
        "0.00",
    ),
    Case(
        # 14-day trial: still in it on Mar 10 -> nothing yet.
        "trial, not over yet",
        Rule(service_id=1, nominal_price=D("10.00"), trial_days=14),
        (order(registered=date(2024, 3, 1)),),
        date(2024, 3, 10),
        (),
        "0.00",
    ),
    Case(
        # 14-day trial over on Mar 15, kept: billed from its registration, the whole first period.
        "trial, kept after it",
        Rule(service_id=1, nominal_price=D("10.00"), trial_days=14),
        (order(registered=date(2024, 3, 1)),),
        date(2024, 3, 15),
        (e("order 1", date(2024, 3, 1), date(2024, 4, 1), "1", "10.00"),),
        "10.00",
    ),
    Case(
        # One time: 25.00 once, whatever the date; + 21% = 30.25
        "one time",
        Rule(service_id=1, nominal_price=D("25.00"), billing_period="one_time", tax_rate=D("21")),
        (order(registered=date(2024, 3, 5)),),
        date(2024, 3, 20),
        (e("order 1", date(2024, 3, 5), date(2024, 3, 6), "1", "25.00"),),
        "30.25",
    ),
]


def _shape(lines: tuple[Line, ...]) -> tuple[Expected, ...]:
    return tuple(
        (
            line.description,
            line.period_start,
            line.period_end,
            str(line.quantity.normalize()),
            str(line.subtotal),
            tuple(str(sub.amount) for sub in line.sublines),
        )
        for line in lines
    )


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_hand_computed_case(case: Case) -> None:
    result = bill(list(case.orders), {1: case.rule}, {1: case.plans}, case.on)
    assert _shape(result.lines) == case.lines
    assert _shape(result.refunds) == case.refunds
    assert str(totals(result.lines).total) == case.total


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_billing_again_the_same_day_bills_nothing(case: Case) -> None:
    first = bill(list(case.orders), {1: case.rule}, {1: case.plans}, case.on)
    after = {o.id: o for o in case.orders} | {o.id: o for o in first.orders}
    second = bill(list(after.values()), {1: case.rule}, {1: case.plans}, case.on)
    assert second.lines == () and second.refunds == ()


def test_compensation_is_used_once_and_never_exceeds_the_line() -> None:
    rule = Rule(service_id=1, nominal_price=D("10.00"), on_cancel="compensate")
    source = order(
        id=1,
        registered=date(2024, 3, 1),
        billed_on=date(2024, 3, 1),
        billed_until=date(2024, 4, 1),
        billed_metric=D(1),
        cancelled_on=date(2024, 3, 2),
    )
    # Two new orders on Mar 2: the first (by id) takes the 30 unused days Mar 2 - Apr 1 of its Mar 2 - Apr 2
    # period (31 days): 10.00 x 30/31 = 9.677... -> -9.68, net 0.32; nothing is left for the second.
    result = bill(
        [source, order(id=2, registered=date(2024, 3, 2)), order(id=3, registered=date(2024, 3, 2))],
        {1: rule},
        {},
        date(2024, 3, 2),
    )
    assert [(line.order_id, line.subtotal, line.total) for line in result.lines] == [
        (2, D("10.00"), D("0.32")),
        (3, D("10.00"), D("10.00")),
    ]
    assert all(line.total >= 0 for line in result.lines)
    assert {o.id: o.compensated_until for o in result.orders}[1] == date(2024, 4, 1)


def test_tax_totals_round_once_per_rate_half_up() -> None:
    def line(subtotal: str, tax_rate: str) -> Line:
        day = date(2024, 1, 1)
        return Line(None, "x", day, day, D(1), D(subtotal), D(subtotal), D(tax_rate))

    # 21%: base 0.35 x 3 = 1.05, tax 1.05 x 21% = 0.2205 -> 0.22 (per line it would be 3 x 0.07 = 0.21).
    # 10%: base 1.25, tax 0.125 -> 0.13 (half-up, not to even). Total 1.05 + 1.25 + 0.22 + 0.13 = 2.65
    result = totals([line("0.35", "21"), line("0.35", "21"), line("0.35", "21"), line("1.25", "10")])
    assert [(str(t.rate), str(t.base), str(t.tax)) for t in result.by_rate] == [
        ("10", "1.25", "0.13"),
        ("21", "1.05", "0.22"),
    ]
    assert (result.base, result.tax, result.total) == (D("2.30"), D("0.35"), D("2.65"))


def test_money_rounds_half_up() -> None:
    assert money(D("0.125")) == D("0.13")
    assert money(D("2.675")) == D("2.68")
    assert money(D("-0.125")) == D("-0.13")


def test_rating_without_plans_is_quantity_times_nominal_price() -> None:
    assert rate(D("2.5"), Rule(service_id=1, nominal_price=D("2.00")), {}) == D("5.00")
    # Units below a plan's first threshold cost the nominal price: first 2 units at 3.00, then 1.00.
    assert rate(D(5), Rule(service_id=1, nominal_price=D("3.00")), {"P": [Tier(D(2), D("1.00"))]}) == D("9.00")

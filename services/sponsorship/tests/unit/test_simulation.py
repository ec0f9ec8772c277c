"""The funding simulator (sponsorship.domain.simulation): the fare curve copy, and annual vs per-workshop funding."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sponsorship.domain import simulation
from sponsorship.domain.simulation import Money, Place, PlannedWorkshop

D = Decimal
GENEVA = PlannedWorkshop("geneva", date(2007, 7, 12), tuple(Place(D("1000"), D("500")) for _ in range(4)))
BANGKOK = PlannedWorkshop("bangkok", date(2007, 3, 14), tuple(Place(D("2000"), D("400")) for _ in range(3)))


def test_a_places_fare_on_a_day_is_its_cheapest_fare_on_the_shared_curve_rounded() -> None:
    assert simulation.fare_on(D("1000"), 40) == D("1179")  # 1.35 - 0.35 x 19/39 = 1.17949...
    assert simulation.fare_on(D("1000"), 14) == D("1625")  # 1.90 - 0.55 x 7/14


def test_money_that_arrives_late_for_one_workshop_costs_more_per_workshop_than_in_an_annual_fund() -> None:
    money = [
        Money(D("6000"), date(2007, 1, 5), "geneva"),
        Money(D("5000"), date(2007, 2, 28), "bangkok"),  # 14 days before Bangkok
        Money(D("2600"), date(2007, 1, 5), None),  # the year's pool: 1,300 each per workshop
    ]

    per_workshop = {o.workshop_id: o for o in simulation.simulate([GENEVA, BANGKOK], money, "per-workshop")}
    annual = {o.workshop_id: o for o in simulation.simulate([GENEVA, BANGKOK], money, "annual")}

    # Per workshop: Bangkok's share of the pool (1,300) buys nothing 68 days out; its 5,000 arrives 14 days
    # before, when a 2,000 fare costs 3,250: one place at 3,650, and the 2,650 left cannot pay a second.
    assert (per_workshop["bangkok"].sponsored, per_workshop["bangkok"].cost) == (1, D("3650"))
    assert per_workshop["bangkok"].lost_to_late_booking == D("1250")
    assert per_workshop["bangkok"].first_booked_days_ahead == 14
    assert (per_workshop["geneva"].sponsored, per_workshop["geneva"].lost_to_late_booking) == (4, D("0"))
    # Annual: 13,600 from 5 January, Bangkok (held first) books 3 places at 2,400, Geneva 4 at 1,500.
    assert (annual["bangkok"].sponsored, annual["bangkok"].cost, annual["bangkok"].lost_to_late_booking) == (
        3,
        D("7200"),
        D("0"),
    )
    assert (annual["geneva"].sponsored, annual["geneva"].cost) == (4, D("6000"))
    assert annual["geneva"].cost_per_delegate == D("1500.00")


def test_no_money_sponsors_nobody_and_an_unknown_mode_is_an_error() -> None:
    [outcome] = simulation.simulate([GENEVA], [], "annual")

    assert (outcome.sponsored, outcome.cost, outcome.cost_per_delegate, outcome.requested) == (0, 0, 0, 4)
    with pytest.raises(ValueError, match="not one of annual, per-workshop"):
        simulation.simulate([GENEVA], [], "monthly")


@given(
    st.lists(st.tuples(st.integers(0, 9000), st.integers(0, 300), st.sampled_from([None, "geneva", "bangkok"]))),
    st.sampled_from(simulation.MODES),
)
def test_a_simulation_never_spends_more_than_was_pledged_nor_books_on_or_after_the_first_day(
    pledges: list[tuple[int, int, str | None]], mode: str
) -> None:
    money = [Money(D(amount), date(2006, 10, 1) + timedelta(days=day), ws) for amount, day, ws in pledges]

    outcomes = simulation.simulate([GENEVA, BANGKOK], money, mode)

    assert sum(o.cost for o in outcomes) <= sum(m.amount for m in money)
    for outcome in outcomes:
        assert outcome.lost_to_late_booking >= 0
        assert outcome.first_booked_days_ahead is None or outcome.first_booked_days_ahead >= 1

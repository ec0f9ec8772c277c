"""Shortfall, early: the numbers and the recommendation (sponsorship.domain.shortfall)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st
from sponsorship.domain import shortfall

D = Decimal
BANGKOK = date(2006, 10, 24)
PLACE = D("3000")


def assess(
    confirmed: str, unconfirmed: str = "0", days: int = 96, minimum: int = 20, requests: int = 24
) -> shortfall.Shortfall | None:
    return shortfall.assess(
        minimum=minimum,
        request_totals=[PLACE] * requests,
        confirmed=D(confirmed),
        unconfirmed=D(unconfirmed),
        today=BANGKOK - timedelta(days=days),
        starts=BANGKOK,
    )


def test_money_for_the_minimum_is_no_shortfall() -> None:
    assert assess("60000") is None
    assert assess("0", minimum=0) is None
    assert assess("0", requests=0) is None  # nothing known yet about what a place costs


def test_far_from_the_minimum_and_months_away_the_recommendation_is_to_defer() -> None:
    # 25,000 confirmed for 20 places at 3,000: 8 fundable, fewer than half, 96 days before the workshop.
    found = assess("25000", days=96)

    assert found is not None
    assert (found.needed_places, found.fundable_places) == (20, 8)
    assert (found.needed, found.confirmed, found.pledged, found.gap) == (D("60000"), D("25000"), D("25000"), D("35000"))
    assert (found.recommendation, found.days_before, found.detected_on) == ("defer", 96, date(2006, 7, 20))


def test_unconfirmed_pledges_that_would_close_the_gap_recommend_postponing() -> None:
    found = assess("25000", unconfirmed="35000")

    assert found is not None and found.recommendation == "postpone" and found.pledged == D("60000")


def test_a_small_gap_recommends_postponing() -> None:
    found = assess("57000")

    assert found is not None and (found.fundable_places, found.recommendation) == (19, "postpone")


def test_within_three_weeks_the_recommendation_is_to_cancel() -> None:
    found = assess("57000", unconfirmed="100000", days=21)

    assert found is not None and found.recommendation == "cancel"


def test_half_the_places_or_more_between_three_weeks_and_two_months_postpone() -> None:
    found = assess("25000", days=45)

    assert found is not None and found.recommendation == "postpone"


def test_fewer_requests_than_the_minimum_count_missing_places_at_the_average_cost() -> None:
    assert shortfall.place_costs([D("1000"), D("2001")], 4) == [D("1000"), D("2001"), D("1500.50"), D("1500.50")]


def test_the_same_numbers_are_the_same_situation_and_other_numbers_another() -> None:
    first, again, worse = assess("25000"), assess("25001"), assess("22000")

    assert first is not None and again is not None and worse is not None
    assert first.situation == again.situation != worse.situation


@given(
    st.integers(min_value=1, max_value=40),
    st.lists(st.integers(min_value=1, max_value=9000), min_size=1, max_size=40),
    st.integers(min_value=0, max_value=200000),
    st.integers(min_value=0, max_value=200000),
    st.integers(min_value=-10, max_value=400),
)
def test_a_shortfall_is_reported_exactly_when_confirmed_money_misses_the_minimum(
    minimum: int, costs: list[int], confirmed: int, unconfirmed: int, days: int
) -> None:
    totals = [D(c) for c in costs]
    found = shortfall.assess(
        minimum=minimum,
        request_totals=totals,
        confirmed=D(confirmed),
        unconfirmed=D(unconfirmed),
        today=BANGKOK - timedelta(days=days),
        starts=BANGKOK,
    )

    needed = sum(shortfall.place_costs(totals, minimum), D(0))
    if confirmed >= needed:
        assert found is None
    else:
        assert found is not None
        assert found.gap == needed - confirmed > 0
        assert 0 <= found.fundable_places < minimum
        assert found.pledged == confirmed + unconfirmed
        assert found.recommendation in ("postpone", "defer", "cancel")
        assert (found.recommendation == "cancel") == (days <= 21)

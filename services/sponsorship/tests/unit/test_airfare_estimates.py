"""The airfare estimate: travel's fare quote for the delegate when usable, otherwise the distance formula."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sponsorship.domain import costs
from sponsorship.domain.costs import FareQuote, SubsistenceRate, SubsistenceTable

TODAY = date(2006, 4, 20)
QUOTE = FareQuote(
    venue_version=1,
    home_airport="NBO",
    quoted_on=TODAY,
    valid_until=TODAY + timedelta(days=30),
    price=Decimal("1873.40"),
    currency="USD",
)
FORMULA = costs.estimated_airfare(6087.0)  # Nairobi-Geneva: 2450


def estimate(quote: FareQuote | None, today: date = TODAY, **changes: object) -> costs.AirfareEstimate:
    facts: dict[str, object] = {"venue_version": 1, "home_airport": "NBO", "currency": "USD", "today": today}
    return costs.airfare_estimate(6087.0, quote, **{**facts, **changes})  # type: ignore[arg-type]


def test_a_usable_quote_is_the_estimate_to_the_cent() -> None:
    found = estimate(QUOTE)
    assert found == costs.AirfareEstimate(Decimal("1873.40"), "quote", TODAY)
    assert FORMULA == Decimal("2450") and found.amount != FORMULA


def test_without_a_quote_the_formula_is_the_estimate() -> None:
    assert estimate(None) == costs.AirfareEstimate(FORMULA, "formula", None, "no fare quote")


@pytest.mark.parametrize(
    ("quote", "today", "changes", "why"),
    [
        (QUOTE, TODAY + timedelta(days=31), {}, "quoted on 2006-04-20, stale on 2006-05-21"),
        (replace(QUOTE, valid_until=TODAY + timedelta(days=5)), TODAY + timedelta(days=6), {}, "stale on 2006-04-26"),
        (QUOTE, TODAY, {"venue_version": 2}, "quoted for venue version 1, the workshop is at 2"),
        (QUOTE, TODAY, {"home_airport": "ADD"}, "quoted from NBO, the delegate now flies from ADD"),
        (QUOTE, TODAY, {"currency": "EUR"}, "quoted in USD, the budget is in EUR"),
        (replace(QUOTE, price=None, currency=None, error="no itinerary within policy"), TODAY, {},
         "no fare within policy: no itinerary within policy"),
    ],
)  # fmt: skip
def test_an_unusable_quote_falls_back_to_the_formula_saying_why(
    quote: FareQuote, today: date, changes: dict[str, object], why: str
) -> None:
    found = estimate(quote, today, **changes)
    assert (found.amount, found.source, found.quoted_on) == (FORMULA, "formula", None)
    assert found.why_formula is not None and why in found.why_formula


def test_a_quote_thirty_days_old_is_still_usable() -> None:
    assert estimate(QUOTE, TODAY + timedelta(days=30)).source == "quote"


def test_the_quote_replaces_only_the_airfare_line() -> None:
    rates = SubsistenceTable([SubsistenceRate("Geneva", "USD", Decimal("350"), date(2006, 1, 1))])
    formula = costs.estimate(6087.0, "Geneva", date(2006, 7, 12), date(2006, 7, 13), rates)
    quoted = costs.estimate(6087.0, "Geneva", date(2006, 7, 12), date(2006, 7, 13), rates, airfare=QUOTE.price)
    assert quoted == [("airfare", Decimal("1873.40")), *formula[1:]]
    assert formula[0] == ("airfare", FORMULA)

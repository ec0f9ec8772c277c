"""Which pledges are refused and why, and what a pledge is worth to a workshop's budget (sponsorship.domain.pledges)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pycountry
import pytest
from sponsorship.domain import pledges
from sponsorship.domain.pledges import Pledge

CURRENCIES = frozenset(c.alpha_3 for c in pycountry.currencies)
DONORS = {"unfpa", "australia"}
UNFPA = Pledge("unfpa-bangkok", "unfpa", Decimal("40000"), "USD", workshop_id="idm-2006-bangkok")


def refusal(pledge: Pledge, **workshop: object) -> str | None:
    return pledges.refusal(pledge, donors=DONORS, currencies=CURRENCIES, **workshop)  # type: ignore[arg-type]


def test_a_plain_cash_pledge_from_a_known_donor_is_accepted() -> None:
    assert refusal(UNFPA, workshop_status="scheduled", budget_currency="USD") is None


@pytest.mark.parametrize(
    ("change", "workshop", "expected"),
    [
        ({"donor_id": "nobody"}, {}, "donor nobody is not known"),
        ({"amount": Decimal("-5")}, {}, "the amount -5 is negative"),
        ({"amount": Decimal("4000000000")}, {}, "4,000,000,000 USD is not plausible"),
        ({"currency": "XYZ"}, {}, "currency XYZ is not an ISO 4217 currency"),
        ({"kind": "in_kind"}, {}, "an in-kind pledge says what it covers"),
        ({"covers": "venue"}, {}, "a cash pledge covers nothing in kind"),
        ({"kind": "in_kind", "covers": "venue", "award_type": "ticket_only"}, {}, "an in-kind pledge pays no tickets"),
        ({}, {"workshop_status": "deferred"}, "workshop idm-2006-bangkok is deferred; no pledge is taken for it"),
        ({}, {"workshop_status": "cancelled"}, "is cancelled; no pledge is taken"),
        ({"currency": "EUR"}, {"budget_currency": "USD"}, "record the rate (so many USD per EUR)"),
        ({"rate": Decimal("1.2")}, {"budget_currency": "USD"}, "a rate only applies to a pledge in another currency"),
    ],
)
def test_bad_pledges_are_refused_with_a_reason_naming_the_pledge(
    change: dict[str, object], workshop: dict[str, object], expected: str
) -> None:
    reason = refusal(replace(UNFPA, **change), **workshop)  # type: ignore[arg-type]

    assert reason is not None and reason.startswith("pledge unfpa-bangkok: ")
    assert expected in reason


def test_a_pledge_to_a_deferred_workshop_may_still_be_withdrawn() -> None:
    assert refusal(replace(UNFPA, status="withdrawn"), workshop_status="deferred") is None


def test_an_in_kind_pledge_says_what_it_covers_and_is_never_cash_for_travel() -> None:
    venue = replace(UNFPA, kind="in_kind", covers="venue", amount=Decimal("25000"))

    assert refusal(venue, budget_currency="USD") is None
    assert pledges.spendable(venue, "USD") == 0


def test_only_confirmed_and_received_cash_is_spendable() -> None:
    spendable = {status: pledges.spendable(replace(UNFPA, status=status), "USD") for status in pledges.SPENDABLE}
    assert spendable == {"confirmed": Decimal("40000"), "received": Decimal("40000")}
    assert pledges.spendable(replace(UNFPA, status="pledged"), "USD") == 0
    assert pledges.spendable(replace(UNFPA, status="withdrawn"), "USD") == 0


def test_a_pledge_in_another_currency_is_worth_its_recorded_rate_rounded_down_to_the_cent() -> None:
    euros = replace(UNFPA, currency="EUR", amount=Decimal("1000.01"), rate=Decimal("1.2713"))

    assert refusal(euros, budget_currency="USD") is None
    assert pledges.spendable(euros, "USD") == Decimal("1271.31")  # 1271.312713 never rounds up
    assert pledges.spendable(replace(euros, rate=None), "USD") == 0  # no rate, no conversion
    assert pledges.in_budget_currency(Decimal("10"), "USD", None, "USD") == Decimal("10")

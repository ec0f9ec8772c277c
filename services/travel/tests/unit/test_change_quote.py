"""Costed changes after ticketing: pricing both options, choosing, expiry and staff's decisions (no I/O)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from travel.domain import change_quote as domain
from travel.domain.booking import POLICY_DATES, OfferView, TravelDates, Trip
from travel.domain.change_quote import Cancellation, ChangeOfferView, DecisionRefused

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)
EXPIRES = NOW + timedelta(minutes=30)
STARTS, ENDS = date(2006, 7, 12), date(2006, 7, 13)


def legs(
    home: str, arrives: str = "2006-07-11T15:00:00+02:00", back: str = "2006-07-14T10:30:00+02:00"
) -> tuple[dict[str, Any], ...]:
    return (
        {"flight": "SG1", "origin": home, "destination": "GVA", "departs": "2006-07-11T07:00:00+00:00",
         "arrives": arrives},
        {"flight": "SG2", "origin": "GVA", "destination": home, "departs": back,
         "arrives": back[:10] + "T16:00:00+00:00"},
    )  # fmt: skip


TICKETED = Trip("D1", "w", 1, "ticketed", 1, "ACC", date(2006, 4, 20), fare=Decimal(900), currency="USD",
                booking_ref="PNR001", order_id="ORD1", ticket_number="999-1", segments=legs("ACC"))  # fmt: skip


def change_offer(difference: int, fee: int = 75, segments: tuple[dict[str, Any], ...] | None = None) -> ChangeOfferView:
    return ChangeOfferView("CHG1", "V", Decimal(900 + difference), Decimal(difference), Decimal(fee), "USD", 82,
                           EXPIRES, segments or legs("LOS"))  # fmt: skip


def new_offer(price: int) -> OfferView:
    return OfferView("OFF1", "V", "economy", Decimal(price), "USD", 82, legs("LOS"), EXPIRES + timedelta(minutes=5))


def quote() -> domain.ChangeQuote:
    return domain.requested_for(TICKETED, revision=2, new_home="LOS", starts=STARTS, ends=ENDS)


def test_a_request_names_the_delegate_ticket_and_reason_and_is_stable_for_the_same_news() -> None:
    first, again = quote(), quote()
    assert first == again and first.status == "requested"
    assert (first.delegate_ref, first.workshop_id, first.venue_version) == ("D1", "w", 1)
    assert first.reason == "home airport ACC -> LOS" and first.booking_ref == "PNR001"
    assert domain.requested_for(TICKETED, 2, "LOS", STARTS, ENDS, round_=2).quote_id != first.quote_id


def test_change_costs_its_fee_and_the_fare_difference() -> None:
    option = domain.change_option(change_offer(120))
    assert (option.kind, option.extra, option.fee, option.fare_difference) == ("change", Decimal(195), 75, 120)


def test_rebooking_a_credit_fare_loses_all_of_it_and_a_refundable_one_only_its_fee() -> None:
    credit = domain.rebook_option(Decimal(900), Cancellation("credit", Decimal(800), Decimal(100)), new_offer(1000),
                                  EXPIRES)  # fmt: skip
    refund = domain.rebook_option(Decimal(900), Cancellation("refund", Decimal(850), Decimal(50)), new_offer(1000),
                                  EXPIRES)  # fmt: skip
    assert (credit.lost, credit.extra) == (Decimal(900), Decimal(1000))
    assert (refund.lost, refund.extra) == (Decimal(50), Decimal(150))


def test_the_cheaper_option_is_chosen_and_a_tie_goes_to_the_change() -> None:
    change = domain.change_option(change_offer(120))  # 195
    dear_rebook = domain.rebook_option(Decimal(900), Cancellation("credit", Decimal(800), Decimal(100)),
                                       new_offer(1000), EXPIRES)  # fmt: skip
    cheap_rebook = replace(dear_rebook, extra=Decimal(150))
    tied_rebook = replace(dear_rebook, extra=Decimal(195))
    assert domain.cheaper([dear_rebook, change]) == change
    assert domain.cheaper([change, cheap_rebook]) == cheap_rebook
    assert domain.cheaper([tied_rebook, change]) == change
    assert domain.cheaper([]) is None


def test_a_priced_quote_is_pending_with_the_chosen_cost_and_expiry_or_failed_without_options() -> None:
    change = domain.change_option(change_offer(120))
    pending = domain.priced(quote(), [change])
    assert (pending.status, pending.chosen, pending.extra, pending.expires_at) == ("pending", "change", 195, EXPIRES)
    failed = domain.priced(quote(), [])
    assert failed.status == "failed" and "no itinerary within policy from LOS" in (failed.decided_reason or "")


def test_change_offers_outside_policy_are_not_chosen() -> None:
    late = change_offer(10, segments=legs("LOS", arrives="2006-07-12T09:00:00+02:00"))  # lands on the first day
    good = replace(change_offer(200), offer_id="CHG2")
    assert domain.choose_change([late, good], "LOS", "GVA", STARTS, ENDS) == good
    assert domain.choose_change([late], "LOS", "GVA", STARTS, ENDS) is None
    assert domain.choose_change([good], "ACC", "GVA", STARTS, ENDS) is None  # does not fly from the new airport


def pending() -> domain.ChangeQuote:
    return domain.priced(quote(), [domain.change_option(change_offer(120))])


def test_approve_before_expiry_and_refuse_after_it_naming_the_expiry() -> None:
    assert domain.approve(pending(), NOW).status == "approved"
    with pytest.raises(DecisionRefused) as refused:
        domain.approve(pending(), EXPIRES)
    assert "expired on 2026-01-01 12:30:00 UTC" in str(refused.value)
    assert "logistics travel change quote --delegate D1" in str(refused.value)
    assert domain.status_at(pending(), EXPIRES) == "expired" and domain.status_at(pending(), NOW) == "pending"


@pytest.mark.parametrize("status", ["requested", "approved", "applied", "rejected", "superseded", "declined"])
def test_approve_or_reject_of_a_quote_not_pending_is_refused(status: str) -> None:
    decided = replace(pending(), status=status)
    with pytest.raises(DecisionRefused, match=f"is {status}"):
        domain.approve(decided, NOW)
    with pytest.raises(DecisionRefused, match=f"is {status}"):
        domain.reject(decided, "too dear", NOW)


def test_reject_keeps_the_reason() -> None:
    rejected = domain.reject(pending(), "too dear", NOW)
    assert (rejected.status, rejected.decided_reason) == ("rejected", "too dear")


def test_a_newer_change_supersedes_open_quotes_only() -> None:
    assert domain.supersede(pending(), "revision 3").status == "superseded"
    assert domain.supersede(quote(), "revision 3").status == "superseded"
    approved = domain.approve(pending(), NOW)
    assert domain.supersede(approved, "revision 3") == approved


@pytest.mark.parametrize(
    ("state", "home", "action"),
    [
        ("ticketed", "LOS", "quote"),
        ("ticketed", "ACC", None),  # the same airport: nothing to change
        ("requested", "LOS", "requote"),
        ("held", "LOS", "requote"),
        ("cancelled", "LOS", None),
        ("declined", "LOS", None),
    ],
)
def test_what_a_new_home_airport_does_to_a_trip(state: str, home: str, action: str | None) -> None:
    change = domain.what_changed(replace(TICKETED, state=state), home, POLICY_DATES, STARTS, ENDS)
    assert domain.what_to_do(state, change) == action


@pytest.mark.parametrize(
    ("home", "dates", "reason"),
    [
        ("ACC", TravelDates(leave_on=date(2006, 7, 16)), "leave on 2006-07-14 -> 2006-07-16"),
        ("ACC", TravelDates(arrive_on=date(2006, 7, 9)), "arrive by 2006-07-11 -> 2006-07-09"),
        ("LOS", TravelDates(leave_on=date(2006, 7, 13)), "home airport ACC -> LOS; leave on 2006-07-14 -> 2006-07-13"),
        ("ACC", TravelDates(date(2006, 7, 11), date(2006, 7, 14)), None),  # the policy's own days: no change
        ("ACC", POLICY_DATES, None),
    ],
)
def test_the_reason_says_what_changed_dates_airport_or_both(home: str, dates: TravelDates, reason: str | None) -> None:
    assert domain.what_changed(TICKETED, home, dates, STARTS, ENDS) == reason
    if reason is not None:
        quote = domain.requested_for(TICKETED, 3, home, STARTS, ENDS, dates)
        assert (quote.reason, quote.to_airport, quote.dates) == (reason, home, dates)


def test_a_trip_already_on_the_delegates_dates_going_back_to_the_policys_is_a_change_too() -> None:
    late = replace(TICKETED, leave_on=date(2006, 7, 16))
    assert domain.what_changed(late, "ACC", POLICY_DATES, STARTS, ENDS) == "leave on 2006-07-16 -> 2006-07-14"


def test_change_offers_on_other_days_than_the_delegates_are_not_chosen() -> None:
    later = TravelDates(leave_on=date(2006, 7, 16))
    on_the_14th = change_offer(10, segments=legs("ACC"))  # flies home on 14 July, the policy's day
    on_the_16th = replace(change_offer(200, segments=legs("ACC", back="2006-07-16T10:30:00+02:00")), offer_id="CHG2")
    assert domain.choose_change([on_the_14th, on_the_16th], "ACC", "GVA", STARTS, ENDS, later) == on_the_16th
    assert domain.choose_change([on_the_14th, on_the_16th], "ACC", "GVA", STARTS, ENDS) == on_the_14th


def test_options_survive_their_json_form() -> None:
    option = domain.change_option(change_offer(120))
    assert domain.PricedOption.from_json(option.as_json()) == option

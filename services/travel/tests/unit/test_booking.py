"""The booking worker's steps against an in-memory provider and store: states, policy, unknown outcomes, I2."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from shared.contracts import travel
from travel.domain import booking as domain
from travel.domain import change_quote, fare_quote
from travel.domain.booking import OfferView, Trip
from travel.domain.change_quote import Cancellation, ChangeOfferView, ChangeQuote
from travel.domain.fare_quote import FareQuote
from travel.service.booking import Booker, change_key, idempotency_key
from travel.service.booking_worker import IN_FLIGHT, BookingWorker
from travel.service.ports import ProviderOrder, ProviderRefused, WorkshopFacts

from ..fakes import (
    ENDS,
    GOOD,
    NOW,
    STARTS,
    TODAY,
    WORKSHOP,
    FakeProvider,
    FakeStore,
    drive,
    drive_version,
    event_types,
    legs,
    moved_venue,
    offer,
    requested,
)

# ---------------------------------------------------------------- policy


def test_choose_takes_the_cheapest_offer_within_policy() -> None:
    offers = [
        offer("late", 500, legs(date(2006, 7, 11), date(2006, 7, 12), date(2006, 7, 14))),  # lands on day one
        offer("business", 600, GOOD, cabin="business"),
        offer(
            "three-stops",
            650,
            (
                *legs(date(2006, 7, 11), date(2006, 7, 11), date(2006, 7, 14), via="LIS")[:1],
                *({**GOOD[0], "destination": x, "flight": x} for x in ("MAD", "CDG")),
                *GOOD,
            ),
        ),
        offer("good", 900, GOOD),
        offer("dear", 1200, GOOD),
        offer("leaves-early", 300, legs(date(2006, 7, 11), date(2006, 7, 11), date(2006, 7, 13))),
    ]
    chosen = domain.choose(offers, "DKR", "GVA", STARTS, ENDS)
    assert chosen is not None and chosen.offer_id == "good"
    assert (
        domain.within_policy(offers[0], "DKR", "GVA", STARTS, ENDS) == "arrives on or after the day the workshop starts"
    )
    assert domain.within_policy(offers[1], "DKR", "GVA", STARTS, ENDS) == "cabin business is not economy"
    assert domain.within_policy(offers[2], "DKR", "GVA", STARTS, ENDS) == "more than 2 stops"
    assert domain.within_policy(offers[5], "DKR", "GVA", STARTS, ENDS) == "leaves before the workshop ends"
    via = offer("via", 100, legs(date(2006, 7, 11), date(2006, 7, 11), date(2006, 7, 14), via="LIS"))
    assert domain.within_policy(via, "DKR", "GVA", STARTS, ENDS) is None


def test_no_offer_within_policy_chooses_nothing() -> None:
    late = offer("late", 500, legs(date(2006, 7, 12), date(2006, 7, 12), date(2006, 7, 14)))
    assert domain.choose([late], "DKR", "GVA", STARTS, ENDS) is None


def test_early_booking_warning_inside_21_days_against_the_60_day_fare() -> None:
    assert domain.early_booking_warning(Decimal(1000), 21, "USD") is None
    warning = domain.early_booking_warning(Decimal(1350), 20, "USD")
    assert warning is not None and "inside the 21-day window" in warning and "at 60 days" in warning
    assert "1350 USD against 972 USD" in warning  # 1350 / 1.3893


def test_obsolete_trip_reasons() -> None:
    trip = requested()
    assert domain.why_obsolete(trip, 1, "scheduled", "granted") is None
    assert domain.why_obsolete(trip, 2, "scheduled", "granted") == "venue version 2 replaces 1"
    assert domain.why_obsolete(trip, 1, "deferred", "granted") == "workshop deferred"
    assert domain.why_obsolete(trip, 1, "scheduled", "withdrawn") == "sponsorship withdrawn"


def test_keys_differ_by_operation_and_attempt_and_are_stable() -> None:
    trip = requested()
    assert idempotency_key(trip, "hold") == idempotency_key(trip, "hold")
    assert idempotency_key(trip, "hold") != idempotency_key(trip, "ticket")
    assert idempotency_key(trip, "hold") != idempotency_key(replace(trip, attempt=2), "hold")


# ---------------------------------------------------------------- steps


def test_requested_to_ticketed_without_approval() -> None:
    provider, store = FakeProvider(), FakeStore(requested())
    trip = asyncio.run(drive(Booker(store, provider, approval=False, clock=lambda: NOW), store))
    assert trip.state == "ticketed" and trip.hold_key and trip.ticket_key
    assert event_types(store) == ["travel.ticket_issued"]
    assert len(provider.tickets("D1")) == 1 and len(store.bookings) == 1
    issued = store.events[0].payload
    assert issued["segments"][0]["arrives"].startswith("2006-07-11")
    assert issued["conditions"] == {  # the fare's conditions, as the provider states them
        "fare_class": "V",
        "fare_class_name": "economy saver",
        "refundable": False,
        "change_fee": "75",
        "cancellation_fee": "100",
        "currency": "USD",
    }


def test_with_approval_a_held_fare_waits_for_sponsorship() -> None:
    provider, store = FakeProvider(), FakeStore(requested())
    booker = Booker(store, provider, approval=True, clock=lambda: NOW)
    trip = asyncio.run(drive(booker, store))
    assert trip.state == "held" and event_types(store) == ["travel.fare_held"]
    assert store.events[0].payload["hold_id"] == trip.order_id == trip.hold_id
    # Due again with no answer (a minute later): sponsorship is asked again about the same hold, nothing else moves.
    again = asyncio.run(booker.step(trip))
    assert again == replace(trip, asked=2) and not provider.tickets("D1")
    assert [e.payload for e in store.events] == [store.events[0].payload] * 2
    store.trips[("D1", 1)] = domain.answer(again, "ORD999", approved=True, reason=None) or again  # another hold's
    assert store.trip().state == "held"
    store.trips[("D1", 1)] = domain.answer(again, again.order_id or "", approved=True, reason=None) or again
    assert asyncio.run(drive(booker, store)).state == "ticketed"
    assert event_types(store) == ["travel.fare_held", "travel.fare_held", "travel.ticket_issued"]


def test_a_held_fare_asks_again_less_often_and_requotes_before_its_deadline() -> None:
    trip = replace(requested(), state="held", hold_id="H", asked=1, ticketing_deadline=NOW + timedelta(hours=2))
    assert [domain.held_due_in(replace(trip, asked=n), NOW) for n in (1, 2, 3, 6)] == [60, 120, 240, 960]
    soon = replace(trip, ticketing_deadline=NOW + timedelta(seconds=100))
    assert domain.held_due_in(soon, NOW) == 60 and domain.held_due_in(replace(soon, asked=2), NOW) == 70
    assert domain.held_due_in(replace(trip, ticketing_deadline=NOW), NOW) == 0


def test_an_answer_counts_only_for_the_hold_it_names_and_a_trip_still_waiting() -> None:
    held = replace(requested(), state="held", hold_id="H2", order_id="H2", attempt=2)
    assert domain.answer(held, "H1", approved=True, reason=None) is None, "an earlier attempt's hold"
    assert domain.answer(replace(held, state="approved"), "H2", approved=True, reason=None) is None
    assert domain.answer(held, "H2", approved=True, reason=None) == replace(held, state="approved")
    declined = domain.answer(held, "H2", approved=False, reason="no money")
    assert declined == replace(held, state="releasing", release_to="declined", reason="no money")


def test_a_trip_ended_without_a_ticket_is_booked_again_from_scratch_and_a_live_one_is_left_alone() -> None:
    earlier = dict(path="change", replaces="PNR1", change_key="k", hold_id="CHG1", hold_fare=Decimal(1175), asked=3)
    ended = replace(requested(), state="declined", offer_id="CHG1", reason="fare declined", **earlier)
    again = domain.revive(ended, "ACC", TODAY, domain.TravelDates(leave_on=ENDS))
    assert again == replace(requested(), attempt=2, home_airport="ACC", leave_on=ENDS)
    for live in ("requested", "held", "ticketed", "releasing"):
        assert domain.revive(replace(ended, state=live), "ACC", TODAY, domain.POLICY_DATES) is None


@pytest.mark.parametrize("operation", ["hold", "ticket"])
def test_a_write_accepted_then_timed_out_is_resolved_not_repeated(operation: str) -> None:
    provider, store = FakeProvider(), FakeStore(requested())
    provider.faults[operation] = ["accepted_timeout", "down"]
    trip = asyncio.run(drive(Booker(store, provider, approval=False, clock=lambda: NOW), store))
    assert trip.state == "ticketed"
    assert len(provider.orders) == 1 and len(provider.tickets("D1")) == 1
    assert provider.calls.count(operation) == 1, "the accepted write was found by its key, never sent again"


@pytest.mark.parametrize("dies_saving", ["quoted", "approved", "ticketed"])
def test_killed_between_the_provider_call_and_the_commit_resumes_without_a_second_ticket(dies_saving: str) -> None:
    provider, store = FakeProvider(), FakeStore(requested())
    store.crash_on_save = dies_saving
    booker = Booker(store, provider, approval=False, clock=lambda: NOW)
    with pytest.raises(asyncio.CancelledError):
        asyncio.run(drive(booker, store))
    resumed = Booker(store, provider, approval=False, clock=lambda: NOW)  # a fresh process
    assert asyncio.run(drive(resumed, store)).state == "ticketed"
    assert len(provider.orders) == 1 and len(provider.tickets("D1")) == 1
    assert event_types(store) == ["travel.ticket_issued"]


def test_a_hold_past_its_deadline_is_requoted_and_approved_again() -> None:
    provider, store = FakeProvider(), FakeStore(requested())
    clock = {"now": NOW}
    booker = Booker(store, provider, approval=True, clock=lambda: clock["now"])
    first = asyncio.run(drive(booker, store))
    store.trips[("D1", 1)] = replace(first, state="approved")
    clock["now"] = NOW + timedelta(hours=1)  # the approval came after the deadline
    provider.deadline = clock["now"] + timedelta(minutes=30)
    provider.price = Decimal(1100)
    second = asyncio.run(drive(booker, store))
    assert second.state == "held" and second.attempt == 2 and second.order_id != first.order_id
    assert not provider.tickets("D1"), "never ticketed at a price sponsorship did not see"
    held = [e.payload for e in store.events]
    assert [h["fare"] for h in held] == [Decimal(1000), Decimal(1100)] or [str(h["fare"]) for h in held] == [
        "1000",
        "1100",
    ]


def test_fare_no_longer_available_at_ticketing_requotes_with_new_keys() -> None:
    provider, store = FakeProvider(), FakeStore(requested())
    provider.faults["ticket"] = ["fare_no_longer_available"]
    trip = asyncio.run(drive(Booker(store, provider, approval=False, clock=lambda: NOW), store))
    assert trip.state == "ticketed" and trip.attempt == 2
    assert len(provider.tickets("D1")) == 1 and len(provider.orders) == 2


def test_a_declined_fare_gives_the_hold_back_and_issues_nothing() -> None:
    provider, store = FakeProvider(), FakeStore(requested())
    booker = Booker(store, provider, approval=True, clock=lambda: NOW)
    held = asyncio.run(drive(booker, store))
    store.trips[("D1", 1)] = domain.release(held, "declined", "fare declined: no money")
    trip = asyncio.run(drive(booker, store))
    assert trip.state == "declined"
    assert provider.orders[held.order_id or ""]["status"] == "cancelled" and not store.bookings
    assert event_types(store) == ["travel.fare_held"]


def test_a_released_ticket_is_cancelled_with_its_credit() -> None:
    provider, store = FakeProvider(), FakeStore(requested())
    booker = Booker(store, provider, approval=False, clock=lambda: NOW)
    ticketed = asyncio.run(drive(booker, store))
    store.trips[("D1", 1)] = domain.release(ticketed, "cancelled", "workshop deferred")
    provider.faults["cancel"] = ["accepted_timeout"]
    trip = asyncio.run(drive(booker, store))
    assert trip.state == "cancelled" and provider.calls.count("cancel") == 1
    cancelled = store.events[-1].payload
    assert store.events[-1].event_type == "travel.ticket_cancelled"
    assert (Decimal(str(cancelled["credit"])), Decimal(str(cancelled["fee"]))) == (Decimal(900), Decimal(100))
    assert [b["status"] for b in store.bookings.values()] == ["cancelled"]


def test_a_withdrawn_sponsorship_stops_a_trip_in_flight() -> None:
    provider, store = FakeProvider(), FakeStore(requested())
    booker = Booker(store, provider, approval=True, clock=lambda: NOW)
    held = asyncio.run(drive(booker, store))
    store.sponsorship = "withdrawn"
    store.trips[("D1", 1)] = replace(held, state="approved")
    trip = asyncio.run(drive(booker, store))
    assert trip.state == "cancelled" and not provider.tickets("D1")
    assert provider.orders[held.order_id or ""]["status"] == "cancelled"


def test_provider_down_backs_off_and_keeps_the_same_key() -> None:
    provider, store = FakeProvider(), FakeStore(requested())
    provider.faults["hold"] = ["down", "down"]
    booker = Booker(store, provider, approval=False, clock=lambda: NOW)
    quoted = None
    for _ in range(3):
        trip = store.trip()
        asyncio.run(booker.step(trip))
        if store.trip().state == "quoted":
            quoted = quoted or store.trip().hold_key
            assert store.trip().hold_key == quoted
    assert store.trip().tries == 2
    assert asyncio.run(drive(booker, store)).state == "ticketed"


# ---------------------------------------------------------------- schedule changes from the airline


def test_a_schedule_change_within_policy_reissues_the_itinerary_once() -> None:
    provider, store = FakeProvider(), FakeStore(requested())
    booker = Booker(store, provider, approval=False, clock=lambda: NOW)
    ticketed = asyncio.run(drive(booker, store))
    provider.delay(ticketed.order_id or "", "2006-07-11T21:30:00+02:00")  # later, still the day before
    assert asyncio.run(booker.follow_schedule_changes()) == 1
    store.feed = 0  # the feed read again (a crash before its position was saved): nothing twice
    asyncio.run(booker.follow_schedule_changes())
    trip = store.trip()
    assert trip.state == "ticketed" and trip.itinerary_version == 2 and trip.schedule_sequence == 1
    assert event_types(store) == ["travel.ticket_issued", "travel.ticket_issued"]
    reissued = store.events[-1].payload
    assert reissued["itinerary_version"] == 2 and reissued["booking_ref"] == store.events[0].payload["booking_ref"]
    assert reissued["segments"][0]["arrives"] == "2006-07-11T21:30:00+02:00"
    assert reissued["conditions"] == store.events[0].payload["conditions"], "the re-issued ticket keeps its fare"
    assert store.bookings[trip.booking_ref or ""]["itinerary_version"] == 2


def test_a_schedule_change_breaking_the_policy_cancels_and_rebooks() -> None:
    provider, store = FakeProvider(), FakeStore(requested())
    booker = Booker(store, provider, approval=False, clock=lambda: NOW)
    first = asyncio.run(drive(booker, store))
    provider.delay(first.order_id or "", "2006-07-12T09:10:00+02:00")  # now lands on the first day
    asyncio.run(booker.follow_schedule_changes())
    trip = asyncio.run(drive(booker, store))
    assert trip.state == "ticketed" and trip.attempt == 2 and trip.order_id != first.order_id
    assert provider.orders[first.order_id or ""]["status"] == "cancelled"
    assert len(provider.tickets("D1")) == 1
    assert event_types(store) == ["travel.ticket_issued", "travel.ticket_cancelled", "travel.ticket_issued"]
    assert sorted(b["status"] for b in store.bookings.values()) == ["cancelled", "ticketed"]


# ---------------------------------------------------------------- costed changes after ticketing (issue 5)


def ticketed(store: FakeStore, provider: FakeProvider) -> Trip:
    asyncio.run(drive(Booker(store, provider, approval=False, clock=lambda: NOW), store))
    trip = store.trip()
    assert trip.state == "ticketed"
    store.events.clear()
    return trip


def test_a_quote_is_priced_both_ways_the_cheaper_chosen_and_the_ticket_untouched() -> None:
    store, provider = FakeStore(requested()), FakeProvider()
    trip = ticketed(store, provider)
    quote = change_quote.requested_for(trip, revision=2, new_home="ABJ", starts=STARTS, ends=ENDS)
    store.quotes[quote.quote_id] = quote
    priced = asyncio.run(Booker(store, provider, approval=True, clock=lambda: NOW).price_quote(quote))
    assert priced is not None and priced.status == "pending"
    by_kind = {option.kind: option for option in priced.options}
    assert by_kind["change"].extra == Decimal(75 + 100)  # fee + (1100 - 1000)
    assert by_kind["rebook"].extra == Decimal(1000)  # a credit fare loses all of it, then the new fare
    assert (priced.chosen, priced.extra, priced.expires_at) == ("change", Decimal(175), provider.deadline)
    assert event_types(store) == ["travel.change_quoted"]
    assert store.events[0].payload["extra"] == "175"
    assert store.trip() == trip and provider.changed == []


def test_a_quote_waits_for_the_provider_when_it_is_down() -> None:
    store, provider = FakeStore(requested()), FakeProvider()
    quote = change_quote.requested_for(ticketed(store, provider), 2, "ABJ", STARTS, ENDS)
    store.quotes[quote.quote_id] = quote
    provider.faults["change_offers"] = ["down"]
    assert asyncio.run(Booker(store, provider, approval=True, clock=lambda: NOW).price_quote(quote)) is None
    assert store.quotes[quote.quote_id].status == "requested" and store.events == []


def approved_quote(store: FakeStore, provider: FakeProvider, chosen: str = "change") -> ChangeQuote:
    trip = ticketed(store, provider)
    quote = change_quote.requested_for(trip, revision=2, new_home="ABJ", starts=STARTS, ends=ENDS)
    store.quotes[quote.quote_id] = quote
    priced = asyncio.run(Booker(store, provider, approval=True, clock=lambda: NOW).price_quote(quote))
    assert priced is not None
    approved = replace(change_quote.approve(priced, NOW), chosen=chosen)
    approved = replace(approved, extra=approved.option().extra)  # type: ignore[union-attr]
    store.quotes[approved.quote_id] = approved
    store.trips[("D1", 1)] = replace(trip, state="change_approved", change_quote=approved.quote_id)
    store.events.clear()
    return approved


def test_an_approved_change_is_keyed_first_survives_an_unknown_outcome_and_reissues_the_same_booking() -> None:
    store, provider = FakeStore(requested()), FakeProvider()
    quote = approved_quote(store, provider)
    before = store.trip()
    provider.faults["change"] = ["accepted_timeout"]
    booker = Booker(store, provider, approval=True, clock=lambda: NOW)
    asyncio.run(booker.step(store.trip()))  # key stored
    assert store.trip().change_key == change_key(quote.quote_id)
    asyncio.run(booker.step(store.trip()))  # the change happens, its answer is lost
    assert store.trip().state == "change_approved" and store.trip().tries == 1
    asyncio.run(booker.step(store.trip()))  # asks with the same key: found, not repeated
    trip = store.trip()
    assert provider.changed == [before.order_id]
    assert trip.state == "ticketed" and trip.home_airport == "ABJ" and trip.itinerary_version == 2
    assert trip.booking_ref == before.booking_ref and trip.ticket_number != before.ticket_number
    assert trip.segments[0]["origin"] == "ABJ" and trip.fare == Decimal(1100)
    assert event_types(store) == ["travel.ticket_issued"]
    assert store.events[0].payload["itinerary_version"] == 2
    assert store.quotes[quote.quote_id].status == "applied"
    assert [b for b in store.bookings.values() if b["status"] == "ticketed"] == [
        store.bookings[before.booking_ref or ""]
    ]


def test_a_change_the_provider_refuses_leaves_the_ticket_as_it_was() -> None:
    store, provider = FakeStore(requested()), FakeProvider()
    quote = approved_quote(store, provider)
    before = store.trip()
    provider.faults["change"] = ["offer_expired"]
    booker = Booker(store, provider, approval=True, clock=lambda: NOW)
    asyncio.run(booker.run_until_waiting(store.trip()))
    trip = store.trip()
    assert trip.state == "ticketed" and trip.order_id == before.order_id and trip.home_airport == "DKR"
    assert store.quotes[quote.quote_id].status == "failed" and store.events == []


def test_an_approved_rebook_cancels_and_books_again_from_the_new_airport() -> None:
    store, provider = FakeStore(requested()), FakeProvider()
    quote = approved_quote(store, provider, chosen="rebook")
    old = store.trip()
    trip = asyncio.run(drive(Booker(store, provider, approval=False, clock=lambda: NOW), store))
    assert trip.state == "ticketed" and trip.home_airport == "ABJ" and trip.order_id != old.order_id
    assert provider.orders[old.order_id or ""]["status"] == "cancelled"
    assert event_types(store) == ["travel.ticket_cancelled", "travel.ticket_issued"]
    assert store.events[1].payload["itinerary_version"] == 2  # the delegate is told the itinerary changed
    assert store.quotes[quote.quote_id].status == "applied"
    assert len(provider.tickets("D1")) == 1


def test_a_change_waiting_for_sponsorship_past_its_expiry_gives_up_and_keeps_the_ticket() -> None:
    store, provider = FakeStore(requested()), FakeProvider()
    quote = approved_quote(store, provider)
    store.trips[("D1", 1)] = replace(store.trip(), state="change_held")
    waiting = Booker(store, provider, approval=True, clock=lambda: NOW)
    assert asyncio.run(waiting.step(store.trip())) == store.trip()  # before the expiry: waits
    late = Booker(store, provider, approval=True, clock=lambda: provider.deadline)
    asyncio.run(late.step(store.trip()))
    assert store.trip().state == "ticketed" and store.trip().change_quote is None
    assert store.quotes[quote.quote_id].status == "failed" and provider.changed == []


# ---------------------------------------------------------------- a booking that ends without a ticket


class RefusingProvider(FakeProvider):
    async def hold(self, offer_id: str, passenger_ref: str, key: str) -> ProviderOrder:
        raise ProviderRefused("passenger_not_accepted", "the airline does not accept this booking", requote=False)


class NoFlightsProvider(FakeProvider):
    async def search(self, origin: str, destination: str, departure: date, back: date, today: date) -> list[OfferView]:
        return []


@pytest.mark.parametrize(
    ("provider", "reason"),
    [
        (RefusingProvider(), "passenger_not_accepted: the airline does not accept this booking"),
        (NoFlightsProvider(), "no itinerary within policy"),
    ],
)
def test_a_booking_that_fails_tells_staff_why(provider: FakeProvider, reason: str) -> None:
    store = FakeStore(requested())
    trip = asyncio.run(drive(Booker(store, provider, approval=False, clock=lambda: NOW), store))
    assert (trip.state, trip.reason) == ("failed", reason)
    assert event_types(store) == ["travel.booking_failed"]
    assert store.events[0].payload == {
        "workshop_id": "w",
        "delegate_ref": "D1",
        "venue_version": 1,
        "attempt": 1,
        "reason": reason,
    }
    assert store.events[0].aggregate_key == "D1" and not store.bookings


def test_a_connection_shorter_than_45_minutes_or_from_another_airport_breaks_the_policy() -> None:
    good = legs(date(2006, 7, 11), date(2006, 7, 11), date(2006, 7, 14), via="LIS")  # 90 minutes at LIS
    tight = ({**good[0], "arrives": "2006-07-11T11:50:00+00:00"}, *good[1:])
    elsewhere = ({**good[0], "destination": "OPO"}, *good[1:])

    assert domain.itinerary_within_policy(good, "DKR", "GVA", STARTS, ENDS) is None
    assert domain.itinerary_within_policy(tight, "DKR", "GVA", STARTS, ENDS) == (
        "connection at LIS shorter than 45 minutes"
    )
    assert domain.itinerary_within_policy(elsewhere, "DKR", "GVA", STARTS, ENDS) == "does not connect at OPO"


# ---------------------------------------------------------------- venue changes: change or rebook (issue 7)


def test_a_venue_change_changes_the_ticket_when_that_costs_less_than_cancelling_and_buying_anew() -> None:
    provider, store = FakeProvider(), FakeStore(requested())
    booker = Booker(store, provider, approval=False, clock=lambda: NOW)
    first = asyncio.run(drive(booker, store))
    moved_venue(store)
    trip = asyncio.run(drive_version(booker, store, 2))

    # Saver fare: a change costs its fee and the fare difference (75 + 100); a cancellation gives only a credit,
    # so cancelling and buying anew would cost the whole new fare (1000).
    assert trip.state == "ticketed" and trip.path == "change" and trip.replaces == first.booking_ref
    assert trip.booking_ref == first.booking_ref and trip.order_id == first.order_id and trip.fare == 1100
    assert store.trip("D1", 1).state == "moved"
    assert provider.changed == [first.order_id] and "cancel" not in provider.calls
    assert event_types(store) == ["travel.ticket_issued", "travel.ticket_issued"]
    issued = store.events[-1].payload
    assert (issued["venue_version"], issued["booking_ref"], issued["itinerary_version"]) == (2, first.booking_ref, 2)
    assert store.bookings[first.booking_ref or ""]["venue_version"] == 2, "I2: one valid ticket, for version 2"
    assert [b["status"] for b in store.bookings.values()] == ["ticketed"]


def test_a_venue_change_cancels_and_rebooks_when_that_costs_less() -> None:
    provider, store = FakeProvider(), FakeStore(requested())
    provider.change_price = Decimal(3000)  # the change would cost 75 + 2000 more; a new ticket 1000
    booker = Booker(store, provider, approval=False, clock=lambda: NOW)
    first = asyncio.run(drive(booker, store))
    moved_venue(store)
    trip = asyncio.run(drive_version(booker, store, 2))

    assert trip.state == "ticketed" and trip.path == "rebook" and trip.replaces == first.booking_ref
    assert trip.booking_ref != first.booking_ref and provider.changed == []
    assert store.trip("D1", 1).state == "cancelled" and provider.orders[first.order_id or ""]["status"] == "cancelled"
    assert event_types(store) == ["travel.ticket_issued", "travel.ticket_cancelled", "travel.ticket_issued"]
    assert len(provider.tickets("D1")) == 1


def test_the_change_asks_sponsorship_for_the_tickets_whole_cost_and_a_declined_one_gives_the_ticket_back() -> None:
    provider, store = FakeProvider(), FakeStore(requested())
    booker = Booker(store, provider, approval=True, clock=lambda: NOW)
    first = asyncio.run(drive(booker, store))
    store.trips[("D1", 1)] = replace(first, state="approved")
    first = asyncio.run(drive(booker, store))
    moved_venue(store)
    held = asyncio.run(drive_version(booker, store, 2))

    assert held.state == "held" and held.path == "change" and held.order_id is None, "nothing at the provider yet"
    fare_held = store.events[-1].payload
    assert store.events[-1].event_type == "travel.fare_held"
    assert fare_held["hold_id"] == held.offer_id and fare_held["replaces_booking_ref"] == first.booking_ref
    assert Decimal(fare_held["fare"]) == Decimal(1000) + 75 + 100, "what the ticket will have cost"
    # Sponsorship declines: no change is made, and the ticket for the old venue is cancelled (I2).
    store.trips[("D1", 2)] = replace(held, state="releasing", release_to="declined", reason="fare declined")
    trip = asyncio.run(drive_version(booker, store, 2))
    assert trip.state == "declined" and provider.changed == []
    assert store.trip("D1", 1).state == "cancelled" and provider.tickets("D1") == []
    assert event_types(store)[-1] == "travel.ticket_cancelled"


def test_killed_as_a_declined_change_ends_the_older_ticket_is_still_given_back() -> None:
    provider, store = FakeProvider(), FakeStore(requested())
    booker = Booker(store, provider, approval=True, clock=lambda: NOW)
    first = asyncio.run(drive(booker, store))
    store.trips[("D1", 1)] = replace(first, state="approved")
    asyncio.run(drive(booker, store))
    moved_venue(store)
    held = asyncio.run(drive_version(booker, store, 2))
    store.trips[("D1", 2)] = replace(held, state="releasing", release_to="declined", reason="fare declined")
    store.crash_on_save = "releasing"  # the process dies at the next step that gives the old ticket back
    with pytest.raises(asyncio.CancelledError):
        asyncio.run(drive_version(booker, store, 2))
    assert store.trip("D1", 2).state == "declined"
    resumed = Booker(store, provider, approval=True, clock=lambda: NOW)  # a fresh process
    asyncio.run(drive_version(resumed, store, 2))
    assert store.trip("D1", 1).state == "cancelled" and provider.tickets("D1") == [], "I2: no ticket left valid"


def test_an_approved_change_is_made_once_through_an_unknown_outcome() -> None:
    provider, store = FakeProvider(), FakeStore(requested())
    booker = Booker(store, provider, approval=True, clock=lambda: NOW)
    first = asyncio.run(drive(booker, store))
    store.trips[("D1", 1)] = replace(first, state="approved")
    first = asyncio.run(drive(booker, store))
    moved_venue(store)
    held = asyncio.run(drive_version(booker, store, 2))
    store.trips[("D1", 2)] = replace(held, state="approved")
    provider.faults["change"] = ["accepted_timeout"]
    trip = asyncio.run(drive_version(booker, store, 2))

    assert trip.state == "ticketed" and provider.changed == [first.order_id]
    assert trip.ticket_number == f"999-{first.order_id}-2" and store.trip("D1", 1).state == "moved"


def test_the_cheaper_path_counts_a_credit_as_lost_and_a_tie_goes_to_the_change() -> None:
    segments = GOOD
    change = ChangeOfferView("C", "Y", Decimal(900), Decimal(0), Decimal(0), "USD", 82, NOW, segments)
    new = OfferView("N", "Y", "economy", Decimal(900), "USD", 82, segments, NOW)
    refund = Cancellation("refund", Decimal(1000), Decimal(0))
    credit = Cancellation("credit", Decimal(900), Decimal(100))

    by_refund = change_quote.venue_change_path(Decimal(1000), change, refund, new, NOW)
    assert by_refund is not None and by_refund.kind == "rebook" and by_refund.extra == -100, "the refund is money"
    by_credit = change_quote.venue_change_path(Decimal(1000), change, credit, new, NOW)
    assert by_credit is not None and by_credit.kind == "change" and by_credit.extra == 0
    everything_back = Cancellation("refund", Decimal(900), Decimal(0))
    tie = change_quote.venue_change_path(Decimal(900), change, everything_back, new, NOW)
    assert tie is not None and tie.kind == "change"
    assert change_quote.venue_change_path(Decimal(900), None, None, None, NOW) is None


# ---------------------------------------------------------------- the worker: trips in flight at once


class SlowProvider(FakeProvider):
    """Searches take a while; counts how many are in flight at once and whether one trip is ever stepped twice."""

    def __init__(self) -> None:
        super().__init__()
        self.deadline = datetime.now(UTC) + timedelta(hours=1)  # the worker reads the real clock
        self.searching: set[str] = set()
        self.most = 0
        self.twice: list[str] = []
        self.slow: dict[str, asyncio.Event] = {}  # origin -> released when set

    async def search(self, origin: str, destination: str, departure: date, back: date, today: date) -> list[OfferView]:
        if origin in self.searching:
            self.twice.append(origin)
        self.searching.add(origin)
        self.most = max(self.most, len(self.searching))
        try:
            await (self.slow[origin].wait() if origin in self.slow else asyncio.sleep(0.01))
            return await super().search(origin, destination, departure, back, today)
        finally:
            self.searching.discard(origin)


async def run_worker(store: FakeStore, provider: FakeProvider, until: Any, timeout: float = 20) -> None:
    @contextlib.asynccontextmanager
    async def leadership(_pool: Any) -> Any:
        yield asyncio.Event()

    worker = BookingWorker(
        lambda _pool: store,
        provider,
        leadership,
        lambda *_: 0,
        lambda *_, **__: [],
        approval=True,
        clock=lambda: datetime.now(UTC),
    )
    worker.start(None)
    try:
        async with asyncio.timeout(timeout):
            while not until():
                await asyncio.sleep(0.01)
    finally:
        await worker.stop()


def trips_from_own_airports(count: int) -> FakeStore:
    return FakeStore(*(replace(requested(f"D{n:03d}"), home_airport=f"A{n:02d}") for n in range(count)))


def test_the_worker_steps_up_to_its_limit_of_trips_at_once_never_one_trip_twice() -> None:
    store, provider = trips_from_own_airports(3 * IN_FLIGHT), SlowProvider()

    asyncio.run(run_worker(store, provider, lambda: all(t.state == "held" for t in store.trips.values())))

    assert provider.most == IN_FLIGHT and provider.twice == []
    assert len(provider.orders) == 3 * IN_FLIGHT  # one hold each


def test_a_trip_waiting_past_its_bound_is_reported_once_per_state_and_attempt_with_what_it_waits_for() -> None:
    provider, store = FakeProvider(), FakeStore(requested())
    held = asyncio.run(drive(Booker(store, provider, approval=True, clock=lambda: NOW), store))
    worker = BookingWorker(lambda _pool: store, provider, contextlib.nullcontext, lambda *_: 0, lambda *_, **__: [],
                           approval=True, clock=lambda: NOW, liveness_bound_s=300)  # fmt: skip

    async def reports(waited: float) -> list[Any]:
        store.since[("D1", 1)] = asyncio.get_running_loop().time() - waited
        before = len(store.events)
        await worker.report_late(store)
        return [e.payload for e in store.events[before:]]

    assert asyncio.run(reports(299)) == [], "within its bound"
    [overdue] = asyncio.run(reports(400))
    assert (overdue["state"], overdue["attempt"], overdue["waited_s"]) == ("held", 1, 400)
    assert overdue["reason"] == f"held for 400 s (bound 300 s), waiting for sponsorship's answer about the held fare" \
                                f" {held.hold_id} (asked 1 times)"  # fmt: skip
    assert asyncio.run(reports(500)) == [], "told once"
    store.trips[("D1", 1)] = domain.requote(held, "hold past its ticketing deadline")
    assert [r["state"] for r in asyncio.run(reports(400))] == ["requested"], "a new attempt is told again"


def test_a_hold_is_requoted_by_the_providers_clock_not_this_machines() -> None:
    provider, store = FakeProvider(), FakeStore(requested())
    provider_time = [NOW]
    booker = Booker(store, provider, approval=True, clock=lambda: provider_time[0])
    held = asyncio.run(drive(booker, store))
    assert asyncio.run(store.wake_past_deadline(provider_time[0] + domain.DEADLINE_MARGIN)) == 0
    provider_time[0] = NOW + timedelta(hours=1)  # the provider's clock runs ahead (a scenario's, a test's)
    assert asyncio.run(store.wake_past_deadline(provider_time[0] + domain.DEADLINE_MARGIN)) == 1
    again = asyncio.run(booker.step(held))
    assert again is not None and (again.state, again.attempt) == ("requested", 2)
    assert asyncio.run(drive(booker, store)).hold_id != held.hold_id, "a new hold, asked about anew"


def test_a_slow_trip_holds_up_no_other_trip() -> None:
    store, provider = trips_from_own_airports(3 * IN_FLIGHT), SlowProvider()
    provider.slow["A00"] = asyncio.Event()
    others = [key for key in store.trips if key[0] != "D000"]
    seen: list[tuple[str, bool]] = []

    def others_held_then_the_slow_one() -> bool:
        if not provider.slow["A00"].is_set() and all(store.trips[key].state == "held" for key in others):
            seen.append((store.trip("D000").state, "A00" in provider.searching))
            provider.slow["A00"].set()
        return store.trip("D000").state == "held"

    asyncio.run(run_worker(store, provider, others_held_then_the_slow_one))

    assert seen == [("requested", True)]  # everyone else was held while the slow one was still searching
    assert provider.twice == []


# ---------------------------------------------------------------- a delegate's own travel dates (issue 5)

EARLY_AND_LAST_DAY = domain.TravelDates(arrive_on=date(2006, 7, 9), leave_on=date(2006, 7, 13))
LEAVE_LATER = domain.TravelDates(leave_on=date(2006, 7, 16))


def test_a_delegates_own_dates_take_the_place_of_the_policys_days() -> None:
    on_their_days = legs(date(2006, 7, 9), date(2006, 7, 9), date(2006, 7, 13))
    day_before = offer("day-before", 500, GOOD)  # arrives 11 July, back 14 July
    theirs = offer("theirs", 900, on_their_days)
    too_soon = offer("too-soon", 400, legs(date(2006, 7, 9), date(2006, 7, 9), date(2006, 7, 12)))
    asked = EARLY_AND_LAST_DAY
    assert domain.within_policy(day_before, "DKR", "GVA", STARTS, ENDS, asked) == (
        "arrives after 2006-07-09, the day the delegate arrives by"
    )
    assert domain.within_policy(too_soon, "DKR", "GVA", STARTS, ENDS, asked) == (
        "leaves before 2006-07-13, the day the delegate flies home"
    )
    assert domain.choose([day_before, theirs, too_soon], "DKR", "GVA", STARTS, ENDS, asked) == theirs
    # Without their dates the policy's hold: flying home on the last day is too soon.
    assert domain.within_policy(theirs, "DKR", "GVA", STARTS, ENDS) == "leaves before the workshop ends"
    assert domain.choose([day_before, theirs, too_soon], "DKR", "GVA", STARTS, ENDS) == day_before


def test_searches_go_out_up_to_three_days_before_the_arrival_day_and_back_on_the_delegates_day() -> None:
    july = [date(2006, 7, day) for day in range(1, 32)]
    assert domain.search_dates(STARTS, ENDS) == [(july[10], july[13]), (july[9], july[13]), (july[8], july[13])]
    assert domain.search_dates(STARTS, ENDS, EARLY_AND_LAST_DAY) == [
        (july[8], july[12]),
        (july[7], july[12]),
        (july[6], july[12]),
    ]


def test_dates_that_no_longer_fit_a_postponed_workshop_give_way_to_the_policys() -> None:
    postponed = (date(2006, 7, 19), date(2006, 7, 20))
    assert EARLY_AND_LAST_DAY.window(*postponed) == (date(2006, 7, 18), date(2006, 7, 21))
    assert EARLY_AND_LAST_DAY.window(STARTS, ENDS) == (date(2006, 7, 9), date(2006, 7, 13))


def test_a_trip_on_the_delegates_dates_is_booked_for_them() -> None:
    store, provider = FakeStore(replace(requested(), leave_on=LEAVE_LATER.leave_on)), FakeProvider()
    trip = asyncio.run(drive(Booker(store, provider, approval=False, clock=lambda: NOW), store))
    assert trip.state == "ticketed" and trip.segments[-1]["departs"].startswith("2006-07-16")
    assert store.events[0].payload["segments"][-1]["departs"].startswith("2006-07-16")


def test_new_dates_after_ticketing_are_quoted_then_the_approved_change_flies_them() -> None:
    store, provider = FakeStore(requested()), FakeProvider()
    trip = ticketed(store, provider)
    quote = change_quote.requested_for(trip, 2, "DKR", STARTS, ENDS, LEAVE_LATER)
    store.quotes[quote.quote_id] = quote
    booker = Booker(store, provider, approval=True, clock=lambda: NOW)
    priced = asyncio.run(booker.price_quote(quote))
    assert priced is not None and priced.status == "pending"
    assert priced.reason == "leave on 2006-07-14 -> 2006-07-16"
    assert all(o.segments[-1]["departs"].startswith("2006-07-16") for o in priced.options)
    [quoted] = store.events
    assert quoted.payload["reason"] == "leave on 2006-07-14 -> 2006-07-16"
    assert store.trip() == trip and provider.changed == []  # nothing changes before staff decide

    approved = change_quote.approve(replace(priced, chosen="change", extra=priced.options[0].extra), NOW)
    store.quotes[quote.quote_id] = approved
    store.trips[("D1", 1)] = replace(trip, state="change_approved", change_quote=quote.quote_id)
    store.events.clear()
    changed = asyncio.run(booker.run_until_waiting(store.trip()))
    assert changed.state == "ticketed" and changed.leave_on == date(2006, 7, 16) and changed.home_airport == "DKR"
    assert changed.booking_ref == trip.booking_ref and changed.itinerary_version == 2
    assert changed.segments[-1]["departs"].startswith("2006-07-16")
    [issued] = store.events
    assert issued.payload["segments"][-1]["departs"].startswith("2006-07-16")
    assert store.quotes[quote.quote_id].status == "applied"


def test_a_rebooked_date_change_books_the_new_ticket_for_the_new_dates() -> None:
    store, provider = FakeStore(requested()), FakeProvider()
    trip = ticketed(store, provider)
    quote = change_quote.requested_for(trip, 2, "DKR", STARTS, ENDS, LEAVE_LATER)
    store.quotes[quote.quote_id] = quote
    priced = asyncio.run(Booker(store, provider, approval=True, clock=lambda: NOW).price_quote(quote))
    assert priced is not None
    rebook = next(o for o in priced.options if o.kind == "rebook")
    store.quotes[quote.quote_id] = change_quote.approve(replace(priced, chosen="rebook", extra=rebook.extra), NOW)
    store.trips[("D1", 1)] = replace(trip, state="change_approved", change_quote=quote.quote_id)
    after = asyncio.run(drive(Booker(store, provider, approval=False, clock=lambda: NOW), store))
    assert after.state == "ticketed" and after.order_id != trip.order_id and after.leave_on == date(2006, 7, 16)
    assert after.segments[-1]["departs"].startswith("2006-07-16") and len(provider.tickets("D1")) == 1


# ---------------------------------------------------------------- fare quotes for sponsorship's estimates (issue 4)


def fare_requested(ref: str = "D1", home: str = "DKR", version: int = 1, on: date = TODAY) -> FareQuote:
    return FareQuote(ref, "w", version, on, home)


def store_with(*quotes: FareQuote) -> FakeStore:
    store = FakeStore()
    store.fare_quotes = {(q.delegate_ref, q.venue_version, q.quoted_on): q for q in quotes}
    return store


def published(store: FakeStore) -> list[travel.FareQuoted]:
    return [travel.FareQuoted.model_validate(e.payload) for e in store.events if e.event_type == "travel.fare_quoted"]


def test_a_quote_is_priced_like_the_trip_and_published_once_with_its_validity() -> None:
    store, provider = store_with(fare_requested()), FakeProvider()
    provider.price = Decimal(1234)
    booker = Booker(store, provider, approval=True, clock=lambda: NOW)

    done = asyncio.run(booker.price_fare_quote(fare_requested()))
    again = asyncio.run(booker.price_fare_quote(fare_requested()))  # a second worker with the same row: nothing more

    assert done is not None and done.status == "published" and again is None
    [event] = published(store)
    assert (event.delegate_ref, event.venue_version, event.home_airport) == ("D1", 1, "DKR")
    assert (event.price, event.currency, event.error) == (Decimal(1234), "USD", None)
    assert event.quoted_on == TODAY and event.valid_until == TODAY + timedelta(days=30)
    assert event.days_ahead == 82 and event.fare_class == "V"
    assert set(provider.calls) == {"search"} and provider.orders == {}  # a read: nothing held
    assert store.events[0].aggregate_key == "D1"


def test_nothing_within_policy_is_published_with_the_reason() -> None:
    store, provider = store_with(fare_requested()), FakeProvider()
    offers: list[Any] = []

    async def no_offers(*_: Any) -> list[Any]:
        provider.calls.append("search")
        return offers

    provider.search = no_offers  # type: ignore[method-assign]
    asyncio.run(Booker(store, provider, approval=True, clock=lambda: NOW).price_fare_quote(fare_requested()))

    [event] = published(store)
    assert event.price is None and event.error == "no itinerary within policy"
    assert provider.calls == ["search"] * len(domain.search_dates(STARTS, ENDS))  # every date the trip would try


def test_a_provider_down_is_asked_again_later_and_nothing_is_published_meanwhile() -> None:
    store, provider = store_with(fare_requested()), FakeProvider()
    provider.faults["search"] = ["down"]
    booker = Booker(store, provider, approval=True, clock=lambda: NOW)

    later = asyncio.run(booker.price_fare_quote(fare_requested()))
    assert later is not None and later.status == "requested" and later.tries == 1 and published(store) == []

    asyncio.run(booker.price_fare_quote(later))
    assert [e.price for e in published(store)] == [Decimal(1000)]


@pytest.mark.parametrize(
    ("workshop", "reason"),
    [
        (replace(WORKSHOP, venue_version=2), "venue version 2"),
        (replace(WORKSHOP, status="deferred"), "workshop deferred"),
    ],
)
def test_a_quote_for_a_venue_left_behind_is_not_priced(workshop: WorkshopFacts, reason: str) -> None:
    store, provider = store_with(fare_requested()), FakeProvider()
    store.workshop = workshop

    done = asyncio.run(Booker(store, provider, approval=True, clock=lambda: NOW).price_fare_quote(fare_requested()))

    assert done is not None and (done.status, done.error) == ("obsolete", reason)
    assert published(store) == [] and provider.calls == []


def test_the_worker_prices_every_requested_quote_once() -> None:
    quotes = [fare_requested(f"D{n:03d}", f"A{n:02d}") for n in range(IN_FLIGHT + 5)]
    store, provider = store_with(*quotes), FakeProvider()

    asyncio.run(run_worker(store, provider, lambda: all(q.status != "requested" for q in store.fare_quotes.values())))

    assert sorted(e.delegate_ref for e in published(store)) == [q.delegate_ref for q in quotes]
    assert provider.calls.count("search") == len(quotes)


def test_quotes_valid_for_thirty_days_from_their_date() -> None:
    done = fare_quote.priced(fare_requested(on=date(2006, 4, 20)), None)
    assert done.valid_until == date(2006, 5, 20) and done.price is None

"""A decision's what-if in travel (issue 18): each ticket priced as the booking worker would price it after the
decision, with nothing held, changed or cancelled at the provider; checked against what the worker then does."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from shared.contracts import travel
from travel.domain import booking as domain
from travel.domain.booking import POLICY_DATES
from travel.domain.change_quote import Cancellation, cancellation_by_terms
from travel.service.booking import Booker
from travel.service.ports import WorkshopFacts
from travel.service.what_if import Traveller, travel_outlook

from ..fakes import NOW, TODAY, WORKSHOP, FakeProvider, FakeStore, drive, drive_version, moved_venue, requested

MOVED = replace(WORKSHOP, venue_version=2, revision=2)
DEFERRED = replace(WORKSHOP, status="deferred", venue_version=2, revision=2)


@pytest.mark.parametrize(
    ("status", "ticket_version", "venue_version", "fate"),
    [
        ("scheduled", 1, 2, domain.FOLLOW),  # a move or a postponement: a new venue version
        ("postponed", 1, 2, domain.FOLLOW),
        ("deferred", 1, 2, domain.CANCEL),
        ("cancelled", 1, 1, domain.CANCEL),
        ("confirmed", 1, 1, domain.KEEP),
        ("scheduled", 2, 2, domain.KEEP),
    ],
)
def test_a_decision_keeps_a_ticket_follows_it_to_the_new_venue_or_cancels_it(
    status: str, ticket_version: int, venue_version: int, fate: str
) -> None:
    assert domain.ticket_fate(ticket_version, venue_version, status) == fate


def test_a_cancellation_gives_the_fare_back_less_its_fee_as_a_refund_or_a_credit_by_the_fares_terms() -> None:
    assert cancellation_by_terms(True, Decimal(50), Decimal(900)) == Cancellation("refund", Decimal(850), Decimal(50))
    assert cancellation_by_terms(False, Decimal(100), Decimal(900)) == Cancellation(
        "credit", Decimal(800), Decimal(100)
    )
    assert cancellation_by_terms(False, Decimal(100), Decimal(60)) == Cancellation("credit", Decimal(0), Decimal(60))


def test_new_trips_are_booked_as_of_the_day_tickets_were_booked_else_the_decisions_else_the_news() -> None:
    assert domain.rebooking_day(TODAY, date(2006, 5, 1), date(2026, 1, 1)) == TODAY
    assert domain.rebooking_day(None, date(2006, 5, 1), date(2026, 1, 1)) == date(2006, 5, 1)
    assert domain.rebooking_day(None, None, date(2026, 1, 1)) == date(2026, 1, 1)


def ticketed(provider: FakeProvider) -> tuple[Booker, FakeStore]:
    store = FakeStore(requested())
    booker = Booker(store, provider, approval=False, clock=lambda: NOW)
    asyncio.run(drive(booker, store))
    assert store.trip("D1").state == "ticketed"
    return booker, store


def outlook(provider: FakeProvider, store: FakeStore, after: WorkshopFacts, *others: Traveller) -> travel.TravelOutlook:
    tickets = [t for t in store.trips.values() if t.state == "ticketed"]
    travellers = [Traveller("D1", "DKR", POLICY_DATES, "granted"), *others]
    return asyncio.run(travel_outlook(provider, after, tickets, travellers, today=TODAY, booking_started=True, now=NOW))


@pytest.mark.parametrize(("change_price", "path"), [(Decimal(1100), "change"), (Decimal(3000), "rebook")])
def test_a_move_is_priced_as_the_worker_then_books_it_and_nothing_happens_at_the_provider_meanwhile(
    change_price: Decimal, path: str
) -> None:
    provider = FakeProvider()
    provider.change_price = change_price
    booker, store = ticketed(provider)
    first = store.trip("D1")
    calls = len(provider.calls)

    [ticket] = outlook(provider, store, MOVED).tickets

    assert not {"hold", "ticket", "cancel", "change"} & set(provider.calls[calls:]), "a what-if writes nothing"
    assert (ticket.fate, ticket.booking_ref, ticket.fare, ticket.path) == ("follow", first.booking_ref, 1000, path)
    # Saver fare: non-refundable, a cancellation fee of 100: the rest as an airline credit.
    assert (ticket.cancellation, ticket.refund, ticket.credit, ticket.cancellation_fee) == ("credit", 0, 900, 100)
    if path == "change":  # the fee and the fare difference
        assert (ticket.extra, ticket.change_fee, ticket.fare_difference, ticket.new_fare) == (175, 75, 100, 1100)
    else:  # the whole old fare lost (a credit counted as lost) and a new ticket at the search's 1,000
        assert (ticket.extra, ticket.new_fare) == (1000, 1000)
    # The decision taken: the worker takes the path the what-if said, at the price it said.
    moved_venue(store)
    trip = asyncio.run(drive_version(booker, store, 2))
    assert (trip.state, trip.path) == ("ticketed", path)
    assert trip.fare == ticket.new_fare


def test_a_deferral_cancels_each_ticket_for_what_its_fare_gives_back_and_prices_no_new_ticket() -> None:
    provider = FakeProvider()
    booker, store = ticketed(provider)

    found = outlook(provider, store, DEFERRED, Traveller("D2", "NBO", POLICY_DATES, "waitlisted"))

    [ticket] = found.tickets
    assert (ticket.fate, ticket.path, ticket.cancellation, ticket.credit, ticket.cancellation_fee) == (
        "cancel",
        None,
        "credit",
        900,
        100,
    )
    # What the provider then gives back when the worker cancels it: the same.
    store.trips[("D1", 1)] = domain.release(store.trip("D1"), "cancelled", "workshop deferred")
    asyncio.run(drive(booker, store))
    [cancelled] = [e.payload for e in store.events if e.event_type == "travel.ticket_cancelled"]
    assert (Decimal(cancelled["credit"]), Decimal(cancelled["fee"])) == (ticket.credit, ticket.cancellation_fee)


def test_a_waitlisted_delegate_without_a_ticket_is_priced_a_new_one_and_a_provider_down_is_said() -> None:
    provider = FakeProvider()
    _, store = ticketed(provider)
    waiting = Traveller("D2", "NBO", POLICY_DATES, "waitlisted")

    found = outlook(provider, store, MOVED, waiting, Traveller("D3", "LIM", POLICY_DATES, "refused"))

    assert [(t.delegate_ref, t.fate, t.new_fare, t.fresh_fare) for t in found.tickets] == [
        ("D1", "follow", 1100, 1000),  # changed at the provider for 1,100; a new ticket would cost 1,000
        ("D2", "new", None, 1000),
    ]
    provider.faults["change_offers"] = ["down"]
    [down, _] = outlook(provider, store, MOVED, waiting).tickets
    assert down.path is None and down.error is not None and "did not price it" in down.error

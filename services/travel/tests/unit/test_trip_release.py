"""Which trips a workshop change, a withdrawal or staff's cancellation gives back, and which tickets survive."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from travel.domain import booking as domain
from travel.domain import trip_release
from travel.domain.booking import Trip

TODAY = date(2006, 4, 20)


def trip(ref: str, version: int, state: str, **changes: Any) -> Trip:
    return replace(Trip(ref, "w", version, state, 1, "DKR", TODAY), **changes)


WORKSHOP_TRIPS = [
    trip("D1", 1, "ticketed", booking_ref="PNR1"),  # followed by its venue version 2 trip below
    trip("D1", 2, "requested"),
    trip("D2", 1, "ticketed", booking_ref="PNR2"),  # not granted again: no trip for version 2
    trip("D3", 1, "held", order_id="O3", hold_key="k3"),
    trip("D4", 1, "requested"),
    trip("D5", 1, "quoted", offer_id="OF5"),  # no hold asked for yet
    trip("D6", 1, "quoted", offer_id="OF6", hold_key="k6"),  # a hold call may have happened
    trip("D7", 1, "cancelled"),
    trip("D8", 1, "releasing", release_to="declined"),
    trip("D9", 1, "change_held", change_quote="Q9"),
    trip("D10", 1, "moved"),
]


def outcome(changes: list[tuple[Trip, Trip]]) -> dict[str, tuple[str, str | None, str | None]]:
    return {f"{b.delegate_ref}/{b.venue_version}": (a.state, a.release_to, a.reason) for b, a in changes}


def test_a_venue_change_gives_back_the_older_trips_in_flight_and_keeps_the_tickets_followed_by_a_new_trip() -> None:
    followed = trip_release.followed_by(WORKSHOP_TRIPS, 2)
    assert followed == {"D1"}
    changes = trip_release.given_back(WORKSHOP_TRIPS, "moved", below_version=2, followed=followed)
    assert outcome(changes) == {
        "D2/1": ("releasing", "cancelled", "moved"),
        "D3/1": ("releasing", "cancelled", "moved"),
        "D4/1": ("cancelled", None, "moved"),
        "D5/1": ("cancelled", None, "moved"),
        "D6/1": ("releasing", "cancelled", "moved"),
        "D9/1": ("releasing", "cancelled", "moved"),
    }
    assert all(after.tries == 0 for _, after in changes)


def test_a_deferral_gives_back_everything_in_flight_and_every_ticket() -> None:
    changes = trip_release.given_back(WORKSHOP_TRIPS, "workshop deferred")
    assert sorted(outcome(changes)) == ["D1/1", "D1/2", "D2/1", "D3/1", "D4/1", "D5/1", "D6/1", "D9/1"]
    assert outcome(changes)["D1/1"] == ("releasing", "cancelled", "workshop deferred")
    assert outcome(changes)["D1/2"] == ("cancelled", None, "workshop deferred")


def test_a_trip_ending_without_a_ticket_gives_back_the_older_tickets_unless_the_workshop_moved_on() -> None:
    ended = trip("D1", 2, "declined")
    older = [trip("D1", 1, "ticketed", booking_ref="PNR1"), trip("D2", 1, "ticketed"), trip("D1", 3, "ticketed")]
    changes = trip_release.older_tickets_given_back(ended, older, 2, "venue version 2: declined")
    assert outcome(changes) == {"D1/1": ("releasing", "cancelled", "venue version 2: declined")}
    assert trip_release.older_tickets_given_back(ended, older, None, "gone") != []  # the workshop not known
    assert trip_release.older_tickets_given_back(ended, older, 3, "a version 3 trip deals with it") == []
    assert trip_release.older_tickets_given_back(ended, [trip("D1", 1, "moved")], 2, "r") == []


def test_new_travel_dates_price_a_trip_not_yet_ticketed_afresh() -> None:
    dates = domain.TravelDates(date(2006, 7, 10), None)
    held = trip("D1", 1, "held", order_id="O1", tries=2)
    again = domain.reprice(held, "ACC", dates, "airport ACC")
    assert again is not None
    assert (again.state, again.release_to, again.attempt, again.tries) == ("releasing", "requested", 2, 0)
    assert (again.home_airport, again.arrive_on, again.reason) == (
        "ACC",
        date(2006, 7, 10),
        "changed: airport ACC",
    )
    requested = domain.reprice(trip("D1", 1, "requested"), "ACC", dates, "x")
    assert requested is not None and (requested.state, requested.release_to) == ("requested", None)
    releasing = domain.reprice(trip("D1", 1, "releasing", release_to="declined"), "ACC", dates, "x")
    assert releasing is not None and (releasing.state, releasing.release_to) == ("releasing", "declined")
    for state in ("ticketed", "change_held", "cancelled", "moved"):
        assert domain.reprice(trip("D1", 1, state), "ACC", dates, "x") is None


def test_a_change_quote_moves_a_ticketed_trip_through_its_states() -> None:
    ticketed = trip("D1", 1, "ticketed", change_key="old", tries=1)
    held = domain.follow_change(ticketed, "change_held", "Q1")
    assert (held.state, held.change_quote, held.change_key, held.tries) == ("change_held", "Q1", None, 0)
    back = domain.follow_change(held, "ticketed", None)
    assert (back.state, back.change_quote) == ("ticketed", None)

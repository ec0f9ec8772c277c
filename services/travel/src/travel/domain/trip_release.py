"""Which trips are given back, and which tickets survive, when a workshop changes (a move, a postponement, a
reschedule, a deferral, a cancellation), a sponsorship is withdrawn or staff cancel travel. No I/O.

A venue change (a new venue version) gives back every trip of the older versions still in flight; their tickets
stay when the delegate has a trip for the new version, which prices changing each ticket against cancelling it and
buying anew and does the cheaper (`booking_worker`). A deferral, a cancellation, a withdrawn sponsorship or staff's
cancellation give back everything. A trip given back with nothing held at the provider ends at once; otherwise it
goes through `releasing` while the provider gives back its hold or ticket.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from travel.domain.booking import Trip, release
from travel.domain.trip_states import (
    APPROVED,
    CANCELLED,
    CHANGE_APPROVED,
    CHANGE_HELD,
    HELD,
    QUOTED,
    REQUESTED,
    TICKETED,
)

# Trips that can be given back: those in flight and those ticketed (not those giving back already, nor ended ones).
RELEASABLE = (REQUESTED, QUOTED, HELD, APPROVED, TICKETED, CHANGE_HELD, CHANGE_APPROVED)


def followed_by(trips: Iterable[Trip], venue_version: int) -> set[str]:
    """The delegates with a trip for `venue_version`: their older tickets wait for it."""
    return {trip.delegate_ref for trip in trips if trip.venue_version == venue_version}


def given_back(
    trips: Iterable[Trip], reason: str, *, below_version: int | None = None, followed: Collection[str] = ()
) -> list[tuple[Trip, Trip]]:
    """(before, after) for each trip given back: every releasable one (of a venue version below `below_version`, if
    given), except the tickets of `followed` delegates (those with a trip for the new venue version)."""
    return [
        (trip, release(trip, CANCELLED, reason))
        for trip in trips
        if trip.state in RELEASABLE
        and (below_version is None or trip.venue_version < below_version)
        and not (trip.state == TICKETED and trip.delegate_ref in followed)
    ]


def older_tickets_given_back(
    ended: Trip, older: Iterable[Trip], workshop_venue_version: int | None, reason: str
) -> list[tuple[Trip, Trip]]:
    """A trip that ended without a ticket (declined, failed, no longer sponsored) gives back the delegate's tickets
    of older venue versions that waited for it, unless the workshop has moved on to a newer venue version, whose
    trip deals with them."""
    if workshop_venue_version is not None and workshop_venue_version > ended.venue_version:
        return []
    return [
        (trip, release(trip, CANCELLED, reason))
        for trip in older
        if trip.state == TICKETED
        and (trip.delegate_ref, trip.workshop_id) == (ended.delegate_ref, ended.workshop_id)
        and trip.venue_version < ended.venue_version
    ]

"""A trip's life cycle: its states, the transitions allowed between them and what each one publishes. No I/O.

Nothing else sets a trip's state: every step of the booking worker, every consumed message and the SQL adapter
moves a trip with `move`, which refuses a transition the table does not hold (`IllegalTransition`). Staying in a
state (a retry counted, a key stored, sponsorship asked again) is not a transition.

    requested -> quoted -> held -> approved -> ticketed          (held: waiting for sponsorship's answer)
        \\-> held | approved (a change of an older venue's ticket) -> ticketed, the older one -> moved
    any live state -> releasing (the provider gives back what it holds) -> cancelled | declined | requested
    ticketed -> change_held -> change_approved -> ticketed       (a costed change staff approved)
    declined | cancelled | failed -> requested                   (booked again)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from travel.domain.booking import Trip

REQUESTED, QUOTED, HELD, APPROVED, RELEASING = "requested", "quoted", "held", "approved", "releasing"
# change_held: the extra cost of an approved change quote waits for sponsorship; change_approved: carry it out.
CHANGE_HELD, CHANGE_APPROVED = "change_held", "change_approved"
# moved: the trip's ticket was changed at the provider to fly a newer venue version (that version's trip holds it).
TICKETED, DECLINED, CANCELLED, FAILED, MOVED = "ticketed", "declined", "cancelled", "failed", "moved"

ACTIVE = (REQUESTED, QUOTED, HELD, APPROVED, RELEASING, CHANGE_HELD, CHANGE_APPROVED)
FINAL = (TICKETED, DECLINED, CANCELLED, FAILED, MOVED)
# A trip that ended without a ticket for its venue version; it can be booked again (granted again, booked again).
ENDED_WITHOUT_TICKET = (DECLINED, CANCELLED, FAILED)

# What a transition publishes with it, in the same transaction (the contracts' event types).
FARE_HELD, TICKET_ISSUED = "travel.fare_held", "travel.ticket_issued"
TICKET_CANCELLED, BOOKING_FAILED = "travel.ticket_cancelled", "travel.booking_failed"


@dataclass(frozen=True)
class Transition:
    source: str
    target: str
    when: str  # what happened, for people reading the table
    emits: tuple[str, ...] = ()  # what it may publish (the conditions are in `when`)


def _each(sources: Iterable[str], target: str, when: str, emits: tuple[str, ...] = ()) -> list[Transition]:
    return [Transition(source, target, when, emits) for source in sources]


TRANSITIONS: tuple[Transition, ...] = (
    Transition(REQUESTED, QUOTED, "an offer within policy chosen (a rebooking: the older ticket given back first)"),
    Transition(REQUESTED, HELD, "a change of an older venue's ticket priced; sponsorship asked", (FARE_HELD,)),
    Transition(REQUESTED, APPROVED, "a change of an older venue's ticket priced; no approval needed"),
    Transition(QUOTED, HELD, "the offer held at the provider; sponsorship asked", (FARE_HELD,)),
    Transition(QUOTED, APPROVED, "the offer held at the provider; no approval needed"),
    Transition(HELD, APPROVED, "sponsorship approved the held fare"),
    Transition(APPROVED, TICKETED, "ticketed, or the older ticket changed for this venue version", (TICKET_ISSUED,)),
    Transition(TICKETED, MOVED, "its ticket changed at the provider for a newer venue version"),
    *_each((QUOTED, HELD, APPROVED), REQUESTED, "priced again: offer or hold expired, fare lost"),
    *_each((REQUESTED, QUOTED, HELD), CANCELLED, "no longer to go ahead, nothing held at the provider"),
    *_each(
        (QUOTED, HELD, APPROVED, TICKETED, CHANGE_HELD, CHANGE_APPROVED),
        RELEASING,
        "given back: declined, no longer to go ahead, a schedule change breaking the policy, a rebooking",
    ),
    *_each(
        (REQUESTED, QUOTED, HELD, APPROVED, CHANGE_HELD, CHANGE_APPROVED),
        FAILED,
        "no itinerary within policy, or the provider refused for good",
        (BOOKING_FAILED,),
    ),
    # A ticket given back publishes its refund or credit (TicketCancelled); a hold given back, nothing.
    Transition(RELEASING, CANCELLED, "the provider gave back what it held", (TICKET_CANCELLED,)),
    Transition(RELEASING, DECLINED, "the provider gave back the fare sponsorship declined", (TICKET_CANCELLED,)),
    Transition(RELEASING, REQUESTED, "given back (or found expired); booked again", (TICKET_CANCELLED,)),
    *_each(ENDED_WITHOUT_TICKET, REQUESTED, "booked again (granted again, staff booking again)"),
    Transition(TICKETED, CHANGE_HELD, "staff approved a change quote; sponsorship asked its extra cost", (FARE_HELD,)),
    Transition(TICKETED, CHANGE_APPROVED, "staff approved a change quote; no approval needed"),
    Transition(CHANGE_HELD, CHANGE_APPROVED, "sponsorship approved the change's extra cost"),
    Transition(CHANGE_HELD, TICKETED, "sponsorship declined the extra cost, or did not answer in time"),
    Transition(CHANGE_APPROVED, TICKETED, "the ticket changed at the provider, or given up", (TICKET_ISSUED,)),
)

ALLOWED: dict[tuple[str, str], Transition] = {(t.source, t.target): t for t in TRANSITIONS}
# Staying in a state may publish too: sponsorship asked again about a held fare; a ticket re-issued after an
# airline's schedule change.
STAYING_EMITS: dict[str, tuple[str, ...]] = {HELD: (FARE_HELD,), TICKETED: (TICKET_ISSUED,)}


class IllegalTransition(ValueError):
    """A trip asked to go where its life cycle does not lead."""


def check(source: str, target: str, emits: Iterable[str] = ()) -> None:
    """Refuse a transition the table does not hold, or one publishing what it does not publish."""
    if source == target:
        allowed = STAYING_EMITS.get(source, ())
    elif (source, target) in ALLOWED:
        allowed = ALLOWED[(source, target)].emits
    else:
        raise IllegalTransition(f"a trip cannot go from {source} to {target}")
    unexpected = sorted(set(emits) - set(allowed))
    if unexpected:
        raise IllegalTransition(f"a trip going from {source} to {target} does not publish {', '.join(unexpected)}")


def move(trip: Trip, target: str, **changes: Any) -> Trip:
    """The trip in `target` (with `changes`), if its life cycle leads there from where it is."""
    check(trip.state, target)
    return replace(trip, state=target, **changes)

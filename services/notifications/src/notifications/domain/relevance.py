"""Which e-mail a fact calls for, and whether a queued e-mail is still worth sending. No I/O.

Versions: decisions on sponsorship count in `award_version`, workshop decisions (postponed, deferred, cancelled)
in the workshop's `revision`, and itineraries in their own number: the ticket's `venue_version`, or one more
than the delegate's last itinerary when that is higher (a ticket re-issued after an airline's schedule change,
or booked again within the same venue version, is a new itinerary). Kinds that share a version space form a
family: a newer e-mail of a family supersedes an older one still waiting in the queue. A withdrawal sends no
e-mail of its own but raises `award_version` too: the worker finds it in the delegate's current award and drops
what it made untrue (a "granted", an itinerary).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

AWARD_KINDS = ("granted", "waitlisted", "refused")
ITINERARY_KINDS = ("itinerary", "itinerary_changed")
WORKSHOP_KINDS = ("postponed", "deferred", "cancelled")
SENT_OR_SENDING = ("sent", "sending")
# What staff decided about a workshop (the event's CHANGE: WorkshopPostponed...) and the e-mail each sponsored
# delegate gets.
# A move or a reschedule is told by the "itinerary_changed" e-mail that follows the new ticket.
CHANGE_KINDS = {"postponed": "postponed", "deferred": "deferred", "cancelled": "cancelled"}
HELD = ("scheduled", "confirmed", "postponed")  # workshop statuses under which a ticket is used
# Who hears of a workshop decision, by the status of their place: a sponsored (or deferred) place of each, a waiting
# request of a deferral or a cancellation too (issue 18: they would otherwise wait for a workshop that is not
# coming); a postponement changes nothing for a request still waiting.
TOLD_OF = {
    "postponed": ("granted", "deferred"),
    "deferred": ("granted", "deferred", "waitlisted"),
    "cancelled": ("granted", "deferred", "waitlisted"),
}


def family(kind: str) -> tuple[str, ...]:
    """The kinds sharing `kind`'s version space (itself included)."""
    for kinds in (AWARD_KINDS, ITINERARY_KINDS, WORKSHOP_KINDS):
        if kind in kinds:
            return kinds
    return (kind,)


def workshop_change_kind(change: str, status: str) -> str | None:
    """The e-mail a workshop decision calls for; None when it calls for none (scheduled, updated, moved, ...)."""
    kind = CHANGE_KINDS.get(change)
    return kind if kind is not None and status == kind else None


def told_of_workshop_change(kind: str, place: str) -> bool:
    """Whether a delegate whose place has this status (granted, deferred, waitlisted, refused, withdrawn) gets the
    e-mail of this workshop decision (postponed, deferred, cancelled)."""
    return place in TOLD_OF.get(kind, ())


@dataclass(frozen=True)
class Ticket:
    """Which ticket an itinerary e-mail tells about: the venue version, the booking and its re-issue."""

    venue_version: int
    booking_ref: str
    itinerary_version: int = 1

    @classmethod
    def of(cls, facts: Mapping[str, Any]) -> Ticket:
        """From a TicketIssued payload (the facts an itinerary e-mail keeps)."""
        return cls(int(facts["venue_version"]), str(facts["booking_ref"]), int(facts.get("itinerary_version", 1)))


@dataclass(frozen=True)
class Told:
    """An itinerary e-mail already queued for the delegate: its version, status and the ticket it tells about."""

    version: int
    status: str
    ticket: Ticket


def itinerary_email(ticket: Ticket, earlier: Iterable[Told]) -> tuple[str, int] | None:
    """The (kind, version) of the e-mail for a ticket just issued, given the delegate's earlier itinerary
    e-mails about the workshop (superseded ones included): None for news already told or older than what was
    told (the same ticket again, a ticket for an older venue, an older issue of the same booking);
    "itinerary_changed" when the delegate may already hold an itinerary, else "itinerary"."""
    earlier = list(earlier)
    for told in (t.ticket for t in earlier):
        if told.venue_version > ticket.venue_version:
            return None
        same_booking = (told.venue_version, told.booking_ref) == (ticket.venue_version, ticket.booking_ref)
        if same_booking and told.itinerary_version >= ticket.itinerary_version:
            return None
    version = max([ticket.venue_version] + [told.version + 1 for told in earlier])
    changed = any(told.status in SENT_OR_SENDING for told in earlier)
    return ("itinerary_changed" if changed else "itinerary"), version


def still_current(
    kind: str, workshop: Mapping[str, str], facts: Mapping[str, Any], award: Mapping[str, Any] | None = None
) -> bool:
    """Whether a queued e-mail still says something true about the workshop and the delegate's place as they are
    now.

    `workshop` holds the workshop's current facts as strings, `facts` the e-mail's own (for an itinerary, its
    TicketIssued payload; for a sponsorship decision, its award event), `award` the delegate's newest award
    decision (`status`, `award_version`; None when none is known). An itinerary for an older venue version, for
    a workshop no longer held or for a withdrawn place, a sponsorship decision a newer one has replaced (a
    "granted" followed by a withdrawal), a "deferred" e-mail for a workshop since rescheduled or cancelled, or
    anything but the "cancelled" e-mail for a cancelled workshop, would mislead: such an e-mail is superseded,
    not sent.
    """
    status = workshop["status"]
    if kind in ITINERARY_KINDS:
        withdrawn = award is not None and award["status"] == "withdrawn"
        return Ticket.of(facts).venue_version == int(workshop["venue_version"]) and status in HELD and not withdrawn
    if kind in AWARD_KINDS and award is not None and int(award["award_version"]) > int(facts["award_version"]):
        return False
    if kind == "postponed":
        return status in HELD
    if kind in ("deferred", "cancelled"):
        return status == kind
    return status != "cancelled"

"""Which e-mail a fact calls for, and whether a queued e-mail is still worth sending. No I/O.

Versions: decisions on sponsorship count in `award_version`, itineraries in the ticket's `venue_version`, and
workshop decisions (postponed, deferred, cancelled) in the workshop's `revision`. Kinds that share a version
space form a family: a newer e-mail of a family supersedes an older one still waiting in the queue.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

ITINERARY_KINDS = ("itinerary", "itinerary_changed")
WORKSHOP_KINDS = ("postponed", "deferred", "cancelled")
SENT_OR_SENDING = ("sent", "sending")
# What staff decided about a workshop (WorkshopScheduled.change) and the e-mail each sponsored delegate gets.
# A move or a reschedule is told by the "itinerary_changed" e-mail that follows the new ticket.
CHANGE_KINDS = {"postponed": "postponed", "deferred": "deferred", "cancelled": "cancelled"}
HELD = ("scheduled", "confirmed", "postponed")  # workshop statuses under which a ticket is used


def family(kind: str) -> tuple[str, ...]:
    """The kinds sharing `kind`'s version space (itself included)."""
    for kinds in (ITINERARY_KINDS, WORKSHOP_KINDS):
        if kind in kinds:
            return kinds
    return (kind,)


def workshop_change_kind(change: str, status: str) -> str | None:
    """The e-mail a workshop decision calls for; None when it calls for none (scheduled, updated, moved, ...)."""
    kind = CHANGE_KINDS.get(change)
    return kind if kind is not None and status == kind else None


def itinerary_kind(version: int, earlier: Iterable[tuple[int, str]], changed: bool = False) -> str | None:
    """The e-mail for a ticket issued for `version`, given the delegate's earlier itinerary e-mails as
    (version, status): None when one already covers this version or a newer one (duplicate or stale news);
    "itinerary_changed" when the delegate may already hold an older itinerary, or when the ticket for this same
    version was changed (`changed`: a re-issue with a higher itinerary version, e.g. a new home airport);
    else "itinerary". One "itinerary_changed" per venue version: a second change in it is not e-mailed again."""
    earlier = list(earlier)
    if any(seen > version for seen, _ in earlier):
        return None
    if any(seen == version for seen, _ in earlier):
        return "itinerary_changed" if changed else None
    if any(status in SENT_OR_SENDING for _, status in earlier):
        return "itinerary_changed"
    return "itinerary"


def still_current(kind: str, version: int, workshop: Mapping[str, str]) -> bool:
    """Whether a queued e-mail still says something true about the workshop as it is now.

    `workshop` holds the workshop's current facts as strings. An itinerary for an older venue version, or for a
    workshop no longer held, a "deferred" e-mail for a workshop since rescheduled or cancelled, or anything but
    the "cancelled" e-mail for a cancelled workshop, would mislead: such an e-mail is superseded, not sent.
    """
    status = workshop["status"]
    if kind in ITINERARY_KINDS:
        return version == int(workshop["venue_version"]) and status in HELD
    if kind == "postponed":
        return status in HELD
    if kind in ("deferred", "cancelled"):
        return status == kind
    return status != "cancelled"

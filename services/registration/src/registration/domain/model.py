"""Workshops and delegates, and the rules for creating and updating them. No I/O."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date


class RuleBroken(Exception):
    """A command that makes no sense; the message says why, for staff."""


@dataclass(frozen=True)
class Workshop:
    workshop_id: str
    title: str
    year: int
    city: str
    country: str
    airport: str
    starts: date
    ends: date
    currency: str
    status: str = "scheduled"
    venue_version: int = 1
    revision: int = 1
    minimum_sponsored: int = 0
    as_of: date | None = None

    def venue(self) -> tuple[str, str, str, date, date]:
        return (self.city, self.country, self.airport, self.starts, self.ends)


@dataclass(frozen=True)
class Delegate:
    ref: str
    workshop_id: str
    given_name: str
    family_name: str
    email: str
    country: str
    role: str
    language: str
    home_airport: str
    sponsorship: str
    revision: int = 1


def schedule(existing: Workshop | None, proposed: Workshop) -> Workshop | None:
    """The workshop after a schedule command, or None when nothing changes (a repeated command).

    A change of city, airport or dates raises venue_version: bookings for the old venue are stale.
    """
    if proposed.ends < proposed.starts:
        raise RuleBroken(f"workshop {proposed.workshop_id} ends ({proposed.ends}) before it starts ({proposed.starts})")
    if existing is None:
        return replace(proposed, status="scheduled", venue_version=1, revision=1)
    if existing.status == "cancelled":
        raise RuleBroken(f"workshop {existing.workshop_id} is cancelled")
    updated = replace(
        proposed,
        status=existing.status,
        venue_version=existing.venue_version + (proposed.venue() != existing.venue()),
        revision=existing.revision,
    )
    if updated == existing:
        return None
    return replace(updated, revision=existing.revision + 1)


def register(existing: Delegate | None, proposed: Delegate, workshop: Workshop | None) -> Delegate | None:
    """The delegate after a registration command, or None when nothing changes."""
    if workshop is None:
        raise RuleBroken(f"delegate {proposed.ref}: workshop {proposed.workshop_id} is not known")
    if workshop.status == "cancelled":
        raise RuleBroken(f"delegate {proposed.ref}: workshop {proposed.workshop_id} is cancelled")
    if existing is None:
        return replace(proposed, revision=1)
    if existing.workshop_id != proposed.workshop_id:
        raise RuleBroken(f"delegate {proposed.ref} is already registered for workshop {existing.workshop_id}")
    updated = replace(proposed, revision=existing.revision)
    if updated == existing:
        return None
    return replace(updated, revision=existing.revision + 1)

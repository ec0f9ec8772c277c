"""The idempotency keys of the provider writes: stable for one intent, stored with the trip before the call."""

from __future__ import annotations

import hashlib

from travel.domain.booking import Trip


def idempotency_key(trip: Trip, operation: str) -> str:
    """Stable for one intent (delegate, workshop, venue version, operation, attempt); stored before the call."""
    parts = f"{trip.delegate_ref}|{trip.workshop_id}|{trip.venue_version}|{operation}|{trip.attempt}"
    return f"travel-{operation}-{hashlib.sha256(parts.encode()).hexdigest()[:32]}"


def change_key(quote_id: str) -> str:
    """The provider change call's key: one per approved quote, stored before the call."""
    return f"travel-change-{hashlib.sha256(quote_id.encode()).hexdigest()[:32]}"

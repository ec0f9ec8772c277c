"""One delegate's timeline across the services, from the event streams, without personal data. No I/O.

The delegate's own commands and events, and those of its workshop as a whole, in order: only identifiers, types,
versions, statuses and amounts, never names or addresses; each step with the person whose command caused it.
"""

from __future__ import annotations

from typing import Any

from shared.contracts.envelope import Envelope
from shared.contracts.registration import EVENT_OF_TYPE

# Payload fields safe to show: identifiers, versions, statuses. Anything else (names, e-mails) is never shown.
SHOWN = (
    "status",
    "change",
    "venue_version",
    "revision",
    "award_version",
    "version",
    "kind",
    "position",
    "priority",
    "hold_id",
    "booking_ref",
    "fare",
    "total",
    "released",
    "refund",
    "credit",
)


# What each workshop event tells, shown as `change` (WorkshopScheduled v1, still on the topic, carries it itself).
def details(envelope: Envelope) -> dict[str, Any]:
    payload = {**envelope.payload}
    if envelope.event_type in EVENT_OF_TYPE:
        payload.setdefault("change", EVENT_OF_TYPE[envelope.event_type].CHANGE)
    return {key: payload[key] for key in SHOWN if payload.get(key) is not None}


def involves(payload: dict[str, Any], delegate: str, workshop: str | None) -> bool:
    """An event about the delegate, or about its workshop as a whole (no other delegate named)."""
    named = payload.get("delegate_ref", payload.get("ref"))
    if named is not None:
        return bool(named == delegate)
    return workshop is not None and payload.get("workshop_id") == workshop


def workshop_of(envelopes: list[Envelope], delegate: str) -> str | None:
    mine = (e for e in envelopes if e.payload.get("delegate_ref", e.payload.get("ref")) == delegate)
    return next((str(e.payload["workshop_id"]) for e in mine if e.payload.get("workshop_id")), None)


def timeline(envelopes: list[Envelope], delegate: str, workshop: str | None) -> list[dict[str, Any]]:
    steps = [e for e in envelopes if involves(e.payload, delegate, workshop)]
    steps.sort(key=lambda e: (e.occurred_at, str(e.event_id)))
    return [
        {
            "at": e.occurred_at.isoformat(),
            "service": e.event_type.split(".", 1)[0],
            "type": e.event_type,
            "details": details(e),
            "event_id": str(e.event_id),
            "causation_id": str(e.causation_id) if e.causation_id else None,
            "correlation_id": str(e.correlation_id),
            "actor": e.actor.name if e.actor else None,
            "actor_token": e.actor.token_id if e.actor else None,
        }
        for e in steps
    ]

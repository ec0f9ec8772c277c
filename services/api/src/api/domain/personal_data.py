"""What of an event operations staff may see: the one allow-list of payload fields for the ops views. No I/O.

Only fields that cannot hold personal data are shown: identifiers and references, types, versions, statuses, dates,
amounts, codes. Names, e-mail addresses, passport details, dates of birth and every free-text field (reasons, notes,
donor names: staff type them and they may name a person) are left out, and so is any field not listed here: a field a
new contract adds stays hidden until someone decides it is safe (tests/unit/test_personal_data.py makes them decide).
The contact details' topic is never shown at all.
"""

from __future__ import annotations

from typing import Any

from shared.contracts.topics import REGISTRATION_CONTACT

# Topics whose every message is personal data: never tailed, and their dead letters are listed without payload.
PRIVATE_TOPICS = frozenset({REGISTRATION_CONTACT})

SAFE = frozenset(
    {
        # identifiers and references
        "workshop_id", "delegate_ref", "ref", "pledge_id", "donor_id", "donors", "booking_ref", "hold_id",
        "quote_id", "command_id", "command_type", "message_id", "replaces_booking_ref",
        # versions, states, kinds
        "venue_version", "award_version", "itinerary_version", "revision", "version", "status", "state", "kind",
        "change", "role", "sponsorship", "approval", "awaiting_approval", "award_type", "recommendation",
        "on_deferral", "venue_tbd", "confirmed", "chosen", "rebooking", "refundable", "early_booking_warning",
        "position", "priority", "attempt", "language", "attended", "when_full", "window", "fate", "path",
        "cancellation", "booking_started", "decision", "round",
        # workshops and places
        "title", "theme", "year", "to_year", "starts", "ends", "city", "country", "airport", "home_airport",
        "capacity", "council", "sessions",
        # dates and times
        "today", "as_of", "arrive_on", "leave_on", "booked_on", "decided_on", "detected_on", "effective_from",
        "pledged_on", "quoted_on", "requested_at", "expires_at", "valid_until", "ticketing_deadline", "days_ahead",
        "days_before", "waited_s", "closes_on",
        # money and places counted
        "amount", "currency", "fare", "total", "price", "estimate", "gap", "fee", "change_fee", "cancellation_fee",
        "fare_difference", "new_fare", "extra", "lost", "credit", "refund", "released", "pledged", "rate",
        "rate_per_night", "covers", "needed", "needed_places", "fundable_places", "minimum_sponsored",
        "max_per_country", "cost_lines", "conditions", "fare_class", "fare_class_name", "options",
        "fresh_fare", "places_without_ticket", "tickets",
        # flights
        "segments", "flight", "origin", "destination", "origin_tz", "destination_tz", "departs", "arrives",
    }
)  # fmt: skip

PERSONAL = frozenset(
    {
        "given_name", "family_name", "email", "passport_number", "date_of_birth", "nationality",
        # free text: may name a person
        "reason", "approval_reason", "error", "name", "source", "why",
    }
)  # fmt: skip


def shown(value: Any) -> Any:
    """A payload (or a part of one) with only the safe fields, at every depth."""
    if isinstance(value, dict):
        return {key: shown(item) for key, item in value.items() if key in SAFE}
    if isinstance(value, list):
        return [shown(item) for item in value]
    return value


def public_payload(topic: str, payload: dict[str, Any]) -> dict[str, Any] | None:
    """What ops may see of a message's payload on `topic` (unqualified name); None for a private topic."""
    if topic.removesuffix(".dlq") in PRIVATE_TOPICS:
        return None
    result: dict[str, Any] = shown(payload)
    return result

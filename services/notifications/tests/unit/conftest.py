"""Sample e-mails shaped as the mail queue hands them over (adapters.postgres): the workshop's facts as strings,
the event's facts as JSON, the contact as stored. Geneva 2006, a delegate flying from Dakar."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from shared.contracts.registration import WorkshopScheduled
from shared.contracts.sponsorship import (
    BookingWindowClosing,
    CostLine,
    FareDeclined,
    ShortfallDetected,
    SponsorshipGranted,
    SponsorshipRefused,
    SponsorshipWaitlisted,
)
from shared.contracts.travel import BookingFailed, ChangeDecided, Segment, TicketCancelled, TicketIssued, TripOverdue

TITLE = "Migrants and the Host Society: Partnerships for Success"
QUEUED_AT = datetime(2006, 4, 20, 9, 30, tzinfo=UTC)

Email = Callable[..., dict[str, Any]]


# The workshop as each kind of e-mail finds it when sent: a workshop-change e-mail follows that change.
WORKSHOP_AFTER = {
    "postponed": {"status": "postponed", "change": "postponed", "starts": "2006-09-13", "ends": "2006-09-14"},
    "deferred": {"status": "deferred", "change": "deferred", "year": 2007, "venue_tbd": True, "venue_version": 2},
    "cancelled": {"status": "cancelled", "change": "cancelled", "reason": "the pledges fell short"},
}


def workshop_facts(**changes: Any) -> dict[str, str]:
    facts = WorkshopScheduled(
        workshop_id="idm-2006-geneva",
        title=TITLE,
        year=2006,
        city="Geneva",
        country="CH",
        airport="GVA",
        starts="2006-07-12",
        ends="2006-07-13",
        currency="USD",
        status="scheduled",
        venue_version=1,
        revision=1,
    ).model_dump()
    return {key: str(value) for key, value in {**facts, **changes}.items()}


def segment(flight: str, origin: str, destination: str, departs: str, arrives: str, tz: tuple[str, str]) -> Segment:
    return Segment(
        flight=flight,
        origin=origin,
        destination=destination,
        departs=departs,
        arrives=arrives,
        origin_tz=tz[0],
        destination_tz=tz[1],
    )


def event_facts(kind: str, version: int = 1) -> dict[str, Any]:
    common = {"workshop_id": "idm-2006-geneva", "delegate_ref": "GVA-901"}
    if kind == "granted":
        pledge = "aus-geneva"
        return SponsorshipGranted(
            **common,
            priority=3,
            award_version=version,
            cost_lines=[
                CostLine(kind="airfare", amount=Decimal("1330"), currency="USD", pledge_id=pledge),
                CostLine(kind="subsistence", amount=Decimal("1050"), currency="USD", pledge_id=pledge),
                CostLine(kind="terminal", amount=Decimal("152"), currency="USD", pledge_id=pledge),
            ],
            total=Decimal("2532"),
            currency="USD",
            donors=["Government of Australia"],
        ).model_dump(mode="json")
    if kind == "waitlisted":
        return SponsorshipWaitlisted(**common, position=4, award_version=version).model_dump(mode="json")
    if kind == "received":
        return {**common, "revision": 1}
    if kind in WORKSHOP_AFTER:
        return {"workshop_id": "idm-2006-geneva", "change": kind, "revision": version}
    if kind == "digest":
        return {"items": version}
    if kind == "change_decided":
        return ChangeDecided(
            **common,
            quote_id="q-1",
            reason="home airport DKR -> ACC",
            revision=2,
            round=1,
            decision="rejected",
            why="the fare from ACC is above the policy",
        ).model_dump(mode="json")
    if kind == "refused":
        return SponsorshipRefused(**common, reason="the workshop was cancelled", award_version=version).model_dump(
            mode="json"
        )
    return TicketIssued(
        **common,
        venue_version=version,
        booking_ref="K7QWZP",
        fare=Decimal("1330"),
        currency="USD",
        booked_on="2006-04-20",
        days_ahead=82,
        segments=[
            # Offsets as travel sends them; the outbound one is given in UTC on purpose: the e-mail must still
            # show each time in its airport's own zone.
            segment(
                "DL4711",
                "DKR",
                "GVA",
                "2006-07-11T07:00:00+00:00",
                "2006-07-11T13:06:00+00:00",
                ("Africa/Dakar", "Europe/Zurich"),
            ),
            segment(
                "DL2209",
                "GVA",
                "DKR",
                "2006-07-14T10:30:00+02:00",
                "2006-07-14T14:36:00+00:00",
                ("Europe/Zurich", "Africa/Dakar"),
            ),
        ],
    ).model_dump(mode="json")


def ticket_cancelled(refund: str = "980", credit: str = "0", fee: str = "350") -> dict[str, Any]:
    return TicketCancelled(
        workshop_id="idm-2006-geneva",
        delegate_ref="GVA-901",
        venue_version=1,
        booking_ref="K7QWZP",
        reason="workshop cancelled",
        refund=Decimal(refund),
        credit=Decimal(credit),
        fee=Decimal(fee),
        currency="USD",
    ).model_dump(mode="json")


def digest_items() -> list[dict[str, Any]]:
    shortfall = ShortfallDetected(
        workshop_id="idm-2006-bangkok",
        needed_places=25,
        fundable_places=11,
        needed=Decimal("62500"),
        pledged=Decimal("40000"),
        confirmed=Decimal("27500"),
        gap=Decimal("35000"),
        currency="USD",
        recommendation="defer",
        detected_on="2006-08-01",
        days_before=84,
    )
    declined = FareDeclined(
        workshop_id="idm-2006-bangkok",
        delegate_ref="BKK-017",
        hold_id="H-88",
        fare=Decimal("2140"),
        currency="USD",
        reason="the fare exceeds the money left on the pledges",
    )
    return [
        {
            "position": 1,
            "kind": "shortfall",
            "workshop_id": "idm-2006-bangkok",
            "facts": shortfall.model_dump(mode="json"),
        },
        {
            "position": 2,
            "kind": "fare_declined",
            "workshop_id": "idm-2006-bangkok",
            "facts": declined.model_dump(mode="json"),
        },
        {"position": 3, "kind": "dead_letter", "workshop_id": "*", "facts": DEAD_LETTER},
        {"position": 4, "kind": "booking_failed", "workshop_id": "idm-2006-geneva", "facts": BOOKING_FAILED},
        {"position": 5, "kind": "trip_overdue", "workshop_id": "idm-2006-geneva", "facts": TRIP_OVERDUE},
        {"position": 6, "kind": "booking_window", "workshop_id": "idm-2006-bangkok", "facts": BOOKING_WINDOW},
    ]


BOOKING_FAILED = BookingFailed(
    workshop_id="idm-2006-geneva",
    delegate_ref="GVA-017",
    venue_version=1,
    attempt=2,
    reason="no itinerary within policy",
).model_dump(mode="json")

TRIP_OVERDUE = TripOverdue(
    workshop_id="idm-2006-geneva",
    delegate_ref="GVA-021",
    venue_version=2,
    attempt=2,
    state="held",
    waited_s=340,
    reason="held for 340 s (bound 300 s), waiting for sponsorship's answer about the held fare ORD-7 (asked 3 times)",
).model_dump(mode="json")

BOOKING_WINDOW = BookingWindowClosing(
    workshop_id="idm-2006-bangkok",
    window="cheapest_fares_ended",
    closes_on="2006-08-25",
    places_without_ticket=7,
    detected_on="2006-08-26",
    days_before=59,
).model_dump(mode="json")

DEAD_LETTER = {
    "dlq_topic": "registration.commands.v1.dlq",
    "partition": "3",
    "offset": "0",
    "topic": "registration.commands.v1",
    "consumer": "registration",
    "event_type": "registration.register_delegate",
    "reason": "malformed registration.register_delegate payload: email: value is not a valid email address",
}


def queued_email(
    kind: str,
    language: str = "en",
    version: int = 1,
    given_name: str = "Aminata",
    family_name: str = "Sarr",
    itinerary: bool = True,
    ticket: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A claimed e-mail; for workshop changes, `itinerary` says whether the delegate was sent one and `ticket`
    is travel's cancellation of it (None: not reported yet)."""
    if kind == "digest":
        return {
            "id": 1,
            "delegate_ref": "staff",
            "workshop_id": "*",
            "kind": kind,
            "version": version,
            "attempts": 1,
            "created_at": QUEUED_AT,
            "facts": event_facts(kind, version),
            "contact": {
                "given_name": "IDM",
                "family_name": "logistics staff",
                "email": "staff@iom.example",
                "language": language,
            },
            "workshop": None,
            "itinerary": None,
            "ticket": None,
            "items": digest_items()[:version],
        }
    return {
        "id": 1,
        "delegate_ref": "GVA-901",
        "workshop_id": "idm-2006-geneva",
        "kind": kind,
        "version": version,
        "attempts": 1,
        "created_at": QUEUED_AT,
        "facts": event_facts(kind, version),
        "contact": {
            "delegate_ref": "GVA-901",
            "workshop_id": "idm-2006-geneva",
            "given_name": given_name,
            "family_name": family_name,
            "email": "aminata.sarr@interior.gov-sn.example",
            "language": language,
            "revision": 1,
        },
        "workshop": workshop_facts(**WORKSHOP_AFTER.get(kind, {})),
        "itinerary": event_facts("itinerary") if itinerary and kind in WORKSHOP_AFTER else None,
        "ticket": ticket,
        "items": [],
    }


@pytest.fixture
def email() -> Email:
    """A factory: email(kind, language="en", version=1, given_name=..., family_name=..., itinerary=True,
    ticket=None)."""
    return queued_email

"""Reactions: keep the facts e-mails are built from, and queue one e-mail per decision."""

from __future__ import annotations

from shared.contracts import registration as registration_events
from shared.contracts import sponsorship as sponsorship_events
from shared.contracts import travel as travel_events
from shared.contracts.envelope import Envelope

from notifications.service.ports import Repository


async def when_workshop_scheduled_keep_facts(
    repo: Repository, envelope: Envelope, event: registration_events.WorkshopScheduled
) -> None:
    await repo.save_workshop(event.model_dump())


async def when_delegate_registered_keep_contact(
    repo: Repository, envelope: Envelope, event: registration_events.DelegateRegistered
) -> None:
    await repo.save_contact({**event.model_dump(), "delegate_ref": event.ref})


async def when_sponsorship_decided_queue_email(
    repo: Repository,
    envelope: Envelope,
    event: sponsorship_events.SponsorshipGranted
    | sponsorship_events.SponsorshipWaitlisted
    | sponsorship_events.SponsorshipRefused,
) -> None:
    kind = envelope.event_type.rsplit("_", 1)[-1]  # granted | waitlisted | refused
    await repo.queue_email(
        event.delegate_ref, event.workshop_id, kind, event.award_version, event.model_dump(mode="json")
    )


async def when_ticket_issued_send_itinerary(
    repo: Repository, envelope: Envelope, event: travel_events.TicketIssued
) -> None:
    await repo.queue_email(
        event.delegate_ref, event.workshop_id, "itinerary", event.venue_version, event.model_dump(mode="json")
    )

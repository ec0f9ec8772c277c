"""Travel use cases: keep registration's and sponsorship's facts, book tickets on command."""

from __future__ import annotations

from dataclasses import asdict, fields
from datetime import date

from shared.contracts import registration as registration_events
from shared.contracts import sponsorship as sponsorship_events
from shared.contracts import travel as contracts
from shared.contracts.envelope import Envelope, envelope_for
from shared.contracts.topics import TRAVEL_BOOKING
from shared.messaging.consumer import Refused

from travel.domain.fares import booking_reference
from travel.service.ports import Airports, FareProvider, Repository, WorkshopFacts


async def when_workshop_scheduled_keep_facts(
    repo: Repository, envelope: Envelope, event: registration_events.WorkshopScheduled
) -> None:
    existing = await repo.workshop(event.workshop_id)
    if existing and existing.revision >= event.revision:
        return
    names = {field.name for field in fields(WorkshopFacts)}
    await repo.save_workshop(WorkshopFacts(**{k: v for k, v in event.model_dump().items() if k in names}))


async def when_delegate_registered_keep_airport(
    repo: Repository, envelope: Envelope, event: registration_events.DelegateRegistered
) -> None:
    await repo.save_traveller(event.ref, event.workshop_id, event.home_airport, event.revision)


async def when_sponsorship_decided_keep_status(
    repo: Repository,
    envelope: Envelope,
    event: sponsorship_events.SponsorshipGranted
    | sponsorship_events.SponsorshipWaitlisted
    | sponsorship_events.SponsorshipRefused,
) -> None:
    status = envelope.event_type.rsplit("_", 1)[-1]  # granted | waitlisted | refused
    await repo.save_sponsorship(event.delegate_ref, event.workshop_id, status, event.award_version)


async def when_sponsorship_withdrawn_cancel_ticket(
    repo: Repository, envelope: Envelope, event: sponsorship_events.SponsorshipWithdrawn
) -> None:
    """No sponsorship, no ticket (I2): cancel what was issued, unless newer news already arrived."""
    if not await repo.save_sponsorship(event.delegate_ref, event.workshop_id, "withdrawn", event.award_version):
        return
    for booking_ref, venue_version in await repo.cancel_tickets(event.delegate_ref, event.workshop_id):
        cancelled = contracts.TicketCancelled(
            workshop_id=event.workshop_id,
            delegate_ref=event.delegate_ref,
            venue_version=venue_version,
            booking_ref=booking_ref,
            reason=f"sponsorship withdrawn: {event.reason}",
        )
        await repo.publish(
            TRAVEL_BOOKING, envelope_for(cancelled, aggregate_key=event.delegate_ref, causation=envelope)
        )


async def book_workshop_travel(
    repo: Repository,
    envelope: Envelope,
    command: contracts.BookWorkshopTravel,
    provider: FareProvider,
    airports: Airports,
) -> None:
    workshop = await repo.workshop(command.workshop_id, lock=True)
    if workshop is None:
        raise Refused(f"workshop {command.workshop_id} is not known to travel yet")
    if workshop.status in {"cancelled", "deferred"}:
        raise Refused(f"workshop {command.workshop_id} is {workshop.status}: nothing to book")
    today: date = command.today or workshop.as_of or envelope.occurred_at.date()
    venue = airports.get(workshop.airport)
    if venue is None:
        raise Refused(f"workshop {workshop.workshop_id}: airport {workshop.airport} is not known")
    for delegate_ref, home_airport in await repo.to_book(workshop):
        home = airports.get(home_airport)
        if home is None:
            continue
        offer = await provider.quote(home, venue, workshop.starts, workshop.ends, today)
        segments = [contracts.Segment(**asdict(leg)) for leg in offer.legs]
        booking = {
            "booking_ref": booking_reference(delegate_ref, workshop.workshop_id, workshop.venue_version),
            "delegate_ref": delegate_ref,
            "workshop_id": workshop.workshop_id,
            "venue_version": workshop.venue_version,
            "fare": offer.fare,
            "currency": offer.currency,
            "booked_on": today,
            "days_ahead": offer.days_ahead,
        }
        if not await repo.save_booking({**booking, "segments": [s.model_dump(mode="json") for s in segments]}):
            continue
        event = contracts.TicketIssued(**booking, early_booking_warning=offer.warning, segments=segments)
        await repo.publish(TRAVEL_BOOKING, envelope_for(event, aggregate_key=delegate_ref, causation=envelope))

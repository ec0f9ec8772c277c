"""Travel use cases: keep registration's and sponsorship's facts, book tickets on command."""

from __future__ import annotations

from dataclasses import fields
from datetime import date

from shared.contracts import registration as registration_events
from shared.contracts import sponsorship as sponsorship_events
from shared.contracts import travel as contracts
from shared.contracts.envelope import Envelope
from shared.messaging.consumer import Refused

from travel.service.ports import Airports, Repository, WorkshopFacts


async def when_workshop_scheduled_keep_facts(
    repo: Repository, envelope: Envelope, event: registration_events.WorkshopScheduled
) -> None:
    """Keep the newest facts; a new venue version or a deferral or cancellation reaches every trip (issue 7).

    Trips of an older venue version are stopped and their holds and tickets given back (the provider has no
    change call, so a ticket is always cancelled and rebooked); after a move, postponement or reschedule the
    delegates are booked again for the new venue version. Older news (a lower revision) changes nothing.
    """
    existing = await repo.workshop(event.workshop_id, lock=True)
    if existing and existing.revision >= event.revision:
        return
    names = {field.name for field in fields(WorkshopFacts)}
    workshop = WorkshopFacts(**{k: v for k, v in event.model_dump().items() if k in names})
    await repo.save_workshop(workshop)
    if existing is None or not await repo.has_trips(event.workshop_id):
        return
    if event.status in {"deferred", "cancelled"}:
        await repo.release_trips(event.workshop_id, f"workshop {event.status}")
        return
    if event.venue_version > existing.venue_version:
        today = await repo.booked_today(event.workshop_id) or event.as_of or envelope.occurred_at.date()
        await repo.release_trips(
            event.workshop_id,
            f"workshop {event.change}: venue version {event.venue_version}",
            below_version=event.venue_version,
        )
        await repo.request_trips(workshop, today)


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
    newer = await repo.save_sponsorship(event.delegate_ref, event.workshop_id, status, event.award_version)
    if not newer or status != "granted" or not await repo.has_trips(event.workshop_id):
        return
    # Granted once the workshop's booking had started (promoted from the waitlist, re-confirmed after a
    # reschedule): the delegate is booked too, priced and approved like everyone else.
    workshop = await repo.workshop(event.workshop_id)
    if workshop is not None and workshop.status not in {"cancelled", "deferred"}:
        today = await repo.booked_today(event.workshop_id) or workshop.as_of or envelope.occurred_at.date()
        if today < workshop.starts:
            await repo.request_trips(workshop, today, event.delegate_ref)


async def when_sponsorship_withdrawn_cancel_ticket(
    repo: Repository, envelope: Envelope, event: sponsorship_events.SponsorshipWithdrawn
) -> None:
    """No sponsorship, no ticket (I2): stop the delegate's trips and give back what they hold, unless newer
    news already arrived. The worker cancels at the provider and publishes TicketCancelled with the refund."""
    if not await repo.save_sponsorship(event.delegate_ref, event.workshop_id, "withdrawn", event.award_version):
        return
    await repo.release_trips(
        event.workshop_id, f"sponsorship withdrawn: {event.reason}", delegate_ref=event.delegate_ref
    )


async def when_fare_answered_ticket_or_release(
    repo: Repository,
    envelope: Envelope,
    event: sponsorship_events.FareApproved | sponsorship_events.FareDeclined,
) -> None:
    """Ticket a held fare sponsorship approved; give back one it declined. An answer to an older hold does nothing."""
    approved = isinstance(event, sponsorship_events.FareApproved)
    reason = None if approved else f"fare declined: {getattr(event, 'reason', '')}"
    await repo.answer_fare(event.delegate_ref, event.hold_id, approved, reason)


async def book_workshop_travel(
    repo: Repository,
    envelope: Envelope,
    command: contracts.BookWorkshopTravel,
    airports: Airports,
) -> None:
    """A trip for every granted delegate without one for the current venue; the booking worker takes it from there.

    Booking the same workshop again (or the same command twice) adds nothing: trips are keyed by delegate and
    venue version.
    """
    workshop = await repo.workshop(command.workshop_id, lock=True)
    if workshop is None:
        raise Refused(f"workshop {command.workshop_id} is not known to travel yet")
    if workshop.status in {"cancelled", "deferred"}:
        raise Refused(f"workshop {command.workshop_id} is {workshop.status}: nothing to book")
    if airports.get(workshop.airport) is None:
        raise Refused(f"workshop {workshop.workshop_id}: airport {workshop.airport} is not known")
    today: date = command.today or workshop.as_of or envelope.occurred_at.date()
    if today >= workshop.starts:
        raise Refused(f"workshop {workshop.workshop_id} starts {workshop.starts}: too late to book on {today}")
    if command.delegate_ref is not None:
        attends, sponsorship = await repo.traveller_status(command.delegate_ref)
        if attends != workshop.workshop_id or sponsorship != "granted":
            raise Refused(
                f"delegate {command.delegate_ref} has no granted sponsorship for {workshop.workshop_id}"
                f" ({sponsorship or 'not known to travel'})"
            )
    await repo.request_trips(workshop, today, command.delegate_ref)


async def cancel_travel(repo: Repository, envelope: Envelope, command: contracts.CancelTravel) -> None:
    """Staff cancel the workshop's bookings (or one delegate's); the worker gives holds and tickets back."""
    workshop = await repo.workshop(command.workshop_id, lock=True)
    if workshop is None:
        raise Refused(f"workshop {command.workshop_id} is not known to travel")
    if not await repo.release_trips(command.workshop_id, f"cancelled by staff: {command.reason}",
                                    delegate_ref=command.delegate_ref):  # fmt: skip
        who = f"delegate {command.delegate_ref}" if command.delegate_ref else command.workshop_id
        raise Refused(f"{who}: no booking in flight or ticketed to cancel")

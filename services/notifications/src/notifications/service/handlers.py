"""Reactions: keep the facts e-mails are built from, and queue one e-mail per (delegate, kind, version)."""

from __future__ import annotations

from shared.contracts import registration as registration_events
from shared.contracts import sponsorship as sponsorship_events
from shared.contracts import travel as travel_events
from shared.contracts.envelope import Envelope

from notifications.domain.mail import DIGEST, STAFF_REF
from notifications.domain.relevance import Ticket, itinerary_email, told_of_workshop_change, workshop_change_kind
from notifications.service.ports import Repository

RECEIVED_VERSION = 1  # one acknowledgement per registration, whatever is corrected in it later
DIGEST_WORKSHOP = "*"  # the digest is about every workshop
CHANGE_ROUNDS = 1000  # a change_decided e-mail's version: revision * CHANGE_ROUNDS + the quote's round


async def when_workshop_scheduled_keep_facts(
    repo: Repository,
    envelope: Envelope,
    event: registration_events.WorkshopScheduled
    | registration_events.WorkshopMoved
    | registration_events.WorkshopRescheduled
    | registration_events.WorkshopConfirmed
    | registration_events.WorkshopHeld,
) -> None:
    """Keep the workshop's facts for the e-mails. A move or a reschedule is told by the "itinerary_changed" e-mail
    that follows the new ticket, not here."""
    await repo.save_workshop({**event.model_dump(), "change": event.CHANGE})


async def when_workshop_put_off_tell_delegates(
    repo: Repository,
    envelope: Envelope,
    event: registration_events.WorkshopPostponed
    | registration_events.WorkshopDeferred
    | registration_events.WorkshopCancelled,
) -> None:
    """Keep the workshop's facts; a postponement, deferral or cancellation is told to every sponsored delegate (and
    a deferral or cancellation to each waitlisted one), once per workshop revision. Stale or repeated news changes
    nothing."""
    if not await repo.save_workshop({**event.model_dump(), "change": event.CHANGE}):
        return
    kind = workshop_change_kind(event.CHANGE, event.status)
    if kind is None:
        return
    facts = {"workshop_id": event.workshop_id, "change": event.CHANGE, "revision": event.revision}
    for delegate_ref, place in await repo.places(event.workshop_id, envelope.event_id):
        if told_of_workshop_change(kind, place):
            await repo.queue_email(delegate_ref, event.workshop_id, kind, event.revision, facts)


async def when_contact_recorded_keep_contact(
    repo: Repository, envelope: Envelope, event: registration_events.ContactRecorded
) -> None:
    """Keep the delegate's name, address and passport details (the newest revision): e-mails waiting for them go."""
    await repo.save_contact({**event.model_dump(), "delegate_ref": event.ref})


async def when_delegate_registered_acknowledge_request(
    repo: Repository, envelope: Envelope, event: registration_events.DelegateRegistered
) -> None:
    """An official who asks for sponsorship is told the request was received (once the contact is known)."""
    if event.sponsorship == "requested":
        facts = {"workshop_id": event.workshop_id, "delegate_ref": event.ref, "revision": event.revision}
        await repo.queue_email(event.ref, event.workshop_id, "received", RECEIVED_VERSION, facts)


async def when_sponsorship_decided_queue_email(
    repo: Repository,
    envelope: Envelope,
    event: sponsorship_events.SponsorshipGranted
    | sponsorship_events.SponsorshipWaitlisted
    | sponsorship_events.SponsorshipRefused,
) -> None:
    kind = envelope.event_type.rsplit("_", 1)[-1]  # granted | waitlisted | refused
    await repo.save_award(event.delegate_ref, event.workshop_id, kind, event.award_version)
    await repo.queue_email(
        event.delegate_ref, event.workshop_id, kind, event.award_version, event.model_dump(mode="json")
    )


async def when_place_ended_keep_who_is_sponsored(
    repo: Repository, envelope: Envelope, event: sponsorship_events.SponsorshipWithdrawn
) -> None:
    """A withdrawn delegate is no longer told about the workshop's changes. A place ended by a workshop decision
    (its cancellation) keeps that decision's id (the causation), so the decision's own e-mail still reaches the
    delegate if this news arrives before the decision does. (A deferred place stays sponsored: it keeps hearing.)"""
    await repo.save_award(
        event.delegate_ref, event.workshop_id, "withdrawn", event.award_version, envelope.causation_id
    )


async def when_ticket_issued_send_itinerary(
    repo: Repository, envelope: Envelope, event: travel_events.TicketIssued
) -> None:
    """The itinerary, or "itinerary changed" for a delegate who may already hold an older one (a new venue, a
    re-issue after an airline's schedule change, a new booking). Stale or repeated news sends nothing."""
    ticket = Ticket(event.venue_version, event.booking_ref, event.itinerary_version)
    email = itinerary_email(ticket, await repo.itinerary_history(event.delegate_ref, event.workshop_id))
    if email is not None:
        kind, version = email
        await repo.queue_email(event.delegate_ref, event.workshop_id, kind, version, event.model_dump(mode="json"))


async def when_change_decided_tell_delegate(
    repo: Repository, envelope: Envelope, event: travel_events.ChangeDecided
) -> None:
    """The delegate who asked for other dates or another airport (the reply page, issue 18) is told what staff
    decided, once per quote (its registration revision and round number the e-mail)."""
    version = event.revision * CHANGE_ROUNDS + event.round
    await repo.queue_email(
        event.delegate_ref, event.workshop_id, "change_decided", version, event.model_dump(mode="json")
    )


async def when_ticket_cancelled_keep_refund(
    repo: Repository, envelope: Envelope, event: travel_events.TicketCancelled
) -> None:
    """What the fare rules gave back, for the "cancelled" e-mail."""
    await repo.save_ticket_cancellation(event.model_dump(mode="json"))


async def when_shortfall_detected_tell_staff(
    repo: Repository, envelope: Envelope, event: sponsorship_events.ShortfallDetected
) -> None:
    # Keyed by what was found, not by the message: the same shortfall published again is listed once.
    key = f"shortfall:{event.workshop_id}:{event.detected_on}:{event.needed_places}:{event.fundable_places}:{event.gap}"
    await add_to_digest(repo, key, "shortfall", event.workshop_id, event)


async def when_booking_window_closes_tell_staff(
    repo: Repository, envelope: Envelope, event: sponsorship_events.BookingWindowClosing
) -> None:
    """Sponsored places still without a ticket as an early-booking window passes: listed once per window."""
    key = f"booking_window:{event.workshop_id}:{event.window}"
    await add_to_digest(repo, key, "booking_window", event.workshop_id, event)


async def when_fare_declined_tell_staff(
    repo: Repository, envelope: Envelope, event: sponsorship_events.FareDeclined
) -> None:
    await add_to_digest(repo, f"fare_declined:{event.hold_id}", "fare_declined", event.workshop_id, event)


async def when_booking_failed_tell_staff(
    repo: Repository, envelope: Envelope, event: travel_events.BookingFailed
) -> None:
    """A sponsored delegate has no ticket and travel has stopped trying: staff decide (book again, another airport).
    Each attempt that fails is listed once."""
    key = f"booking_failed:{event.workshop_id}:{event.delegate_ref}:{event.venue_version}:{event.attempt}"
    await add_to_digest(repo, key, "booking_failed", event.workshop_id, event)


async def when_trip_overdue_tell_staff(repo: Repository, envelope: Envelope, event: travel_events.TripOverdue) -> None:
    """A trip has waited in one state past its bound: staff see what it waits for. Listed once per state and
    attempt."""
    key = f"trip_overdue:{event.workshop_id}:{event.delegate_ref}:{event.venue_version}:{event.attempt}:{event.state}"
    await add_to_digest(repo, key, "trip_overdue", event.workshop_id, event)


async def when_message_dead_lettered_tell_staff(repo: Repository, dead_letter: dict[str, str]) -> None:
    """A message some consumer could not read went to a dead-letter topic: staff see where and why. Keyed by
    its place on that topic, so a redelivery lists it once."""
    key = f"dead_letter:{dead_letter['dlq_topic']}:{dead_letter['partition']}:{dead_letter['offset']}"
    await add_to_digest(repo, key, "dead_letter", DIGEST_WORKSHOP, dead_letter)


async def add_to_digest(
    repo: Repository,
    item_key: str,
    kind: str,
    workshop_id: str,
    event: sponsorship_events.ShortfallDetected
    | sponsorship_events.BookingWindowClosing
    | sponsorship_events.FareDeclined
    | travel_events.BookingFailed
    | travel_events.TripOverdue
    | dict[str, str],
) -> None:
    facts = event if isinstance(event, dict) else event.model_dump(mode="json")
    version = await repo.add_digest_item(item_key, kind, workshop_id, facts)
    if version is not None:
        await repo.queue_email(STAFF_REF, DIGEST_WORKSHOP, DIGEST, version, {"items": version})

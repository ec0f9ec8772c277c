"""Travel use cases: keep registration's and sponsorship's facts, book tickets on command, cost changes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields, replace
from datetime import date, datetime
from decimal import Decimal

import structlog
from shared.contracts import registration as registration_events
from shared.contracts import sponsorship as sponsorship_events
from shared.contracts import travel as contracts
from shared.contracts.envelope import Envelope, envelope_for
from shared.contracts.topics import TRAVEL_BOOKING
from shared.messaging.consumer import Refused

from travel.domain import change_quote, trip_states
from travel.domain.booking import TravelDates, rebooking_day
from travel.domain.change_quote import ChangeQuote, DecisionRefused
from travel.service import change_decisions
from travel.service.ports import Airports, Repository, WorkshopFacts

log = structlog.get_logger()


async def keep_newest_workshop(repo: Repository, event: registration_events.Workshop) -> WorkshopFacts | None:
    """Keep the event's facts unless they are older news (a lower revision); the facts kept before them, when there
    were any and booking for the workshop has started (None otherwise, or for older news): trips to follow up."""
    existing = await repo.workshop(event.workshop_id, lock=True)
    if existing and existing.revision >= event.revision:
        return None
    names = {field.name for field in fields(WorkshopFacts)}
    await repo.save_workshop(WorkshopFacts(**{k: v for k, v in event.model_dump().items() if k in names}))
    if existing is None or not await repo.booking_started(event.workshop_id):
        return None
    return existing


async def when_workshop_scheduled_keep_facts(
    repo: Repository,
    envelope: Envelope,
    event: registration_events.WorkshopScheduled
    | registration_events.WorkshopConfirmed
    | registration_events.WorkshopHeld,
) -> None:
    """Scheduled (again at the same venue), confirmed or held: the newest facts are kept, the trips stay."""
    await keep_newest_workshop(repo, event)


async def when_workshop_moved_rebook_tickets(
    repo: Repository,
    envelope: Envelope,
    event: registration_events.WorkshopMoved
    | registration_events.WorkshopPostponed
    | registration_events.WorkshopRescheduled,
) -> None:
    """A new venue version (moved, postponed, rescheduled) reaches every trip (issue 7): trips of an older venue
    version are stopped and their holds given back; their tickets stay until the new venue version's trip (one per
    delegate, booked again) has priced changing each at the provider against cancelling it and buying anew, and done
    the cheaper (booking worker). Older news (a lower revision) changes nothing."""
    existing = await keep_newest_workshop(repo, event)
    if existing is None or event.venue_version <= existing.venue_version:
        return
    names = {field.name for field in fields(WorkshopFacts)}
    workshop = WorkshopFacts(**{k: v for k, v in event.model_dump().items() if k in names})
    today = rebooking_day(await repo.booked_today(event.workshop_id), event.as_of, envelope.occurred_at.date())
    await repo.request_trips(workshop, today)
    await repo.release_trips(
        event.workshop_id,
        f"workshop {event.CHANGE}: venue version {event.venue_version}",
        below_version=event.venue_version,
        keep_tickets=True,
    )


async def when_workshop_deferred_give_trips_back(
    repo: Repository,
    envelope: Envelope,
    event: registration_events.WorkshopDeferred | registration_events.WorkshopCancelled,
) -> None:
    """Deferred or cancelled: every trip is stopped, its holds and tickets given back (issue 7)."""
    if await keep_newest_workshop(repo, event) is not None:
        await repo.release_trips(event.workshop_id, f"workshop {event.status}")


async def when_delegate_registered_keep_traveller(
    repo: Repository, envelope: Envelope, event: registration_events.DelegateRegistered
) -> None:
    """Keep the delegate's home airport, own travel dates and whether sponsorship was requested (for fare quotes).
    A new airport or other dates for a delegate already travelling (issue 5): a trip not yet ticketed is priced
    again; a ticketed one gets a change quote for staff, priced by the booking worker, and nothing changes on the
    ticket until they decide. A quote still open is superseded by the newer news. Older or repeated news changes
    nothing."""
    dates = TravelDates(event.arrive_on, event.leave_on)
    requested = event.sponsorship == "requested" and event.approval != "rejected"
    saved = await repo.save_traveller(
        event.ref, event.workshop_id, event.home_airport, event.revision, dates, sponsorship_requested=requested
    )
    if not saved:
        return
    trip = await repo.current_trip(event.ref, event.workshop_id, lock=True)
    workshop = await repo.workshop(event.workshop_id)
    if trip is None or workshop is None:
        return
    for quote in await repo.quotes(event.ref, lock=True):
        if quote.status in change_quote.OPEN:
            await repo.save_quote(change_quote.supersede(quote, f"registration revision {event.revision}"))
    change = change_quote.what_changed(trip, event.home_airport, dates, workshop.starts, workshop.ends)
    action = change_quote.what_to_do(trip.state, change)
    if action == "requote":
        assert change is not None
        await repo.requote_trip(trip, event.home_airport, dates, change)
        log.info("change.requoted_before_ticketing", delegate_ref=event.ref, state=trip.state)
    elif action == "quote":
        asked_by = str(envelope.causation_id) if envelope.causation_id else None
        quote = change_quote.requested_for(
            trip, event.revision, event.home_airport, workshop.starts, workshop.ends, dates, asked_by=asked_by
        )
        if await repo.save_quote(quote):
            log.info("change.quote_requested", delegate_ref=event.ref, quote_id=quote.quote_id)


async def _latest_quote(repo: Repository, delegate_ref: str) -> ChangeQuote:
    quotes = await repo.quotes(delegate_ref, lock=True)
    if not quotes:
        raise Refused(f"delegate {delegate_ref} has no change quote")
    return quotes[0]


async def approve_change(
    repo: Repository,
    envelope: Envelope,
    command: contracts.ApproveChange,
    approval: bool,
    provider_now: Callable[[], datetime],
) -> None:
    """Staff approve the delegate's pending quote (before its expiry, by the provider's clock: the expiry is its
    change offer's). The extra cost goes to sponsorship as a held fare (FareHeld naming the quote); once approved the
    booking worker changes or rebooks the ticket."""
    quote = await _latest_quote(repo, command.delegate_ref)
    now = provider_now()
    try:
        approved = change_quote.approve(quote, now)
    except DecisionRefused as refused:
        raise Refused(str(refused)) from None
    trip = await repo.current_trip(quote.delegate_ref, quote.workshop_id, lock=True)
    if trip is None or trip.state != trip_states.TICKETED or trip.booking_ref != quote.booking_ref:
        raise Refused(
            f"change quote {quote.quote_id}: ticket {quote.booking_ref} is no longer as it was priced;"
            f" re-quote with `logistics travel change quote --delegate {quote.delegate_ref}`"
        )
    await repo.save_quote(approved)
    assert approved.expires_at is not None and approved.extra is not None
    if approval:
        held = contracts.FareHeld(
            workshop_id=quote.workshop_id,
            delegate_ref=quote.delegate_ref,
            venue_version=quote.venue_version,
            hold_id=quote.quote_id,
            fare=max(approved.extra, Decimal(0)),
            currency=quote.currency,
            ticketing_deadline=approved.expires_at,
            replaces_booking_ref=quote.booking_ref,
        )
        await repo.publish(
            TRAVEL_BOOKING, envelope_for(held, aggregate_key=quote.delegate_ref, occurred_at=now, causation=envelope)
        )
        # Woken at the expiry to give up if sponsorship has not answered by then.
        until = max(0.0, (approved.expires_at - now).total_seconds())
        await repo.move_trip(trip, trip_states.CHANGE_HELD, quote.quote_id, until)
    else:
        await repo.move_trip(trip, trip_states.CHANGE_APPROVED, quote.quote_id, 0.0)
    await change_decisions.announce(repo, envelope, quote, "approved", None, now)
    log.info("change.approved", delegate_ref=quote.delegate_ref, quote_id=quote.quote_id, option=approved.chosen)


async def reject_change(
    repo: Repository, envelope: Envelope, command: contracts.RejectChange, clock: Callable[[], datetime]
) -> None:
    """Staff reject the delegate's pending quote: the ticket stays as it is (announced at `clock`'s time)."""
    quote = await _latest_quote(repo, command.delegate_ref)
    try:
        rejected = change_quote.reject(quote, command.reason, envelope.occurred_at)
    except DecisionRefused as refused:
        raise Refused(str(refused)) from None
    await repo.save_quote(rejected)
    await change_decisions.announce(repo, envelope, quote, "rejected", command.reason, clock())
    log.info("change.rejected", delegate_ref=quote.delegate_ref, quote_id=quote.quote_id)


async def quote_change(
    repo: Repository, envelope: Envelope, command: contracts.QuoteChange, provider_now: Callable[[], datetime]
) -> None:
    """Price a ticketed delegate's change again (a quote expired, was declined or failed): the next round."""
    ref = command.delegate_ref
    known = await repo.traveller(ref)
    trip = await repo.current_trip(ref, known[0], lock=True) if known else None
    workshop = await repo.workshop(known[0]) if known else None
    if known is None or trip is None or workshop is None or trip.state != trip_states.TICKETED:
        raise Refused(f"delegate {ref} holds no ticket to change")
    _, home, revision, dates = known
    if change_quote.what_changed(trip, home, dates, workshop.starts, workshop.ends) is None:
        raise Refused(f"delegate {ref} already flies from {home} on the registered dates: no change to quote")
    quotes = await repo.quotes(ref, lock=True)
    same = [q for q in quotes if q.revision == revision and q.venue_version == trip.venue_version]
    latest = quotes[0] if quotes else None
    if latest is not None:
        status = change_quote.status_at(latest, provider_now())
        if status in change_quote.OPEN:
            raise Refused(f"delegate {ref}: change quote {latest.quote_id} is {status} already")
        if status == "expired" and latest.status == "pending":
            await repo.save_quote(replace(latest, status="expired"))
    round_ = max((q.round for q in same), default=0) + 1
    asked_by = next((q.asked_by for q in same), None)  # a new round of the same request
    await repo.save_quote(
        change_quote.requested_for(trip, revision, home, workshop.starts, workshop.ends, dates, round_, asked_by)
    )


async def when_sponsorship_decided_keep_status(
    repo: Repository,
    envelope: Envelope,
    event: sponsorship_events.SponsorshipGranted
    | sponsorship_events.SponsorshipWaitlisted
    | sponsorship_events.SponsorshipRefused,
) -> None:
    status = envelope.event_type.rsplit("_", 1)[-1]  # granted | waitlisted | refused
    newer = await repo.save_sponsorship(event.delegate_ref, event.workshop_id, status, event.award_version)
    if not newer or status != "granted" or not await repo.booking_started(event.workshop_id):
        return
    # Granted once the workshop's booking had started (promoted from the waitlist, re-confirmed after a
    # reschedule, or simply heard of after staff's order to book): the delegate is booked too, priced and approved
    # like everyone else.
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
    if await repo.answer_fare(event.delegate_ref, event.hold_id, approved, reason):
        return
    await _answer_change(repo, event.delegate_ref, event.hold_id, approved, reason)


async def _answer_change(
    repo: Repository, delegate_ref: str, quote_id: str, approved: bool, reason: str | None
) -> None:
    """Sponsorship's answer to the extra cost of an approved change: carry it out, or leave the ticket as it is."""
    quote = next((q for q in await repo.quotes(delegate_ref, lock=True) if q.quote_id == quote_id), None)
    if quote is None or quote.status != "approved":
        return
    trip = await repo.current_trip(delegate_ref, quote.workshop_id, lock=True)
    if trip is None or trip.state != trip_states.CHANGE_HELD or trip.change_quote != quote_id:
        return
    if approved:
        await repo.move_trip(trip, trip_states.CHANGE_APPROVED, quote_id, 0.0)
        return
    await repo.move_trip(trip, trip_states.TICKETED, None, None)
    await repo.save_quote(change_quote.settled(quote, "declined", reason))
    log.info("change.declined", delegate_ref=delegate_ref, quote_id=quote_id)


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
    if command.delegate_ref is None:
        await repo.open_booking(workshop.workshop_id, today)
    await repo.request_trips(workshop, today, command.delegate_ref)


async def quote_workshop(
    repo: Repository, envelope: Envelope, command: contracts.QuoteWorkshop, airports: Airports
) -> None:
    """Fare quotes on `today` for every delegate of the workshop who requested sponsorship; the booking worker prices
    them (consumers never call the provider) and publishes each as FareQuoted. The same command again (or on the
    same date) adds nothing: quotes are keyed by delegate, workshop, venue version and date."""
    workshop = await repo.workshop(command.workshop_id, lock=True)
    if workshop is None:
        raise Refused(f"workshop {command.workshop_id} is not known to travel yet")
    if workshop.status in {"cancelled", "deferred"}:
        raise Refused(f"workshop {command.workshop_id} is {workshop.status}: nothing to quote")
    if airports.get(workshop.airport) is None:
        raise Refused(f"workshop {workshop.workshop_id}: airport {workshop.airport} is not known")
    today: date = command.today or workshop.as_of or envelope.occurred_at.date()
    if today >= workshop.starts:
        raise Refused(f"workshop {workshop.workshop_id} starts {workshop.starts}: too late to quote on {today}")
    added = await repo.request_fare_quotes(workshop, today)
    log.info("fare_quotes.requested", workshop_id=workshop.workshop_id, quoted_on=str(today), added=added)


async def cancel_travel(repo: Repository, envelope: Envelope, command: contracts.CancelTravel) -> None:
    """Staff cancel the workshop's bookings (or one delegate's); the worker gives holds and tickets back."""
    workshop = await repo.workshop(command.workshop_id, lock=True)
    if workshop is None:
        raise Refused(f"workshop {command.workshop_id} is not known to travel")
    if not await repo.release_trips(command.workshop_id, f"cancelled by staff: {command.reason}",
                                    delegate_ref=command.delegate_ref):  # fmt: skip
        who = f"delegate {command.delegate_ref}" if command.delegate_ref else command.workshop_id
        raise Refused(f"{who}: no booking in flight or ticketed to cancel")

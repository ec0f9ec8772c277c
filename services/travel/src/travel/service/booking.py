"""The booking worker: drives every trip forward one step at a time, each step its own transaction.

A provider write's idempotency key is stored with the state that precedes it, before the call; the next
step (after a timeout, a crash or a SIGKILL) first asks the provider what that key already did, and
only calls again (same key) when it did nothing. A new attempt, with new keys, starts only after the
provider has said the previous one cannot be ticketed (offer or hold expired, fare lost): one delegate
never gets two tickets for one venue version (I2).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import structlog
from shared.contracts import travel as contracts
from shared.contracts.envelope import Envelope, envelope_for

from travel.domain import booking as domain
from travel.domain import change_quote, fare_quote, trip_states
from travel.domain.booking import OfferView, Trip
from travel.domain.change_quote import ChangeQuote
from travel.domain.fare_quote import FareQuote
from travel.service.ports import (
    Provider,
    ProviderDown,
    ProviderOrder,
    ProviderRefused,
    TripFacts,
    TripStore,
    WorkshopFacts,
)

log = structlog.get_logger()

IN_FLIGHT = 32  # trips (and change quotes) stepped at once; each starts as soon as another one waits or ends
FEED_EVERY_S = 5.0
ZERO = Decimal(0)


def idempotency_key(trip: Trip, operation: str) -> str:
    """Stable for one intent (delegate, workshop, venue version, operation, attempt); stored before the call."""
    parts = f"{trip.delegate_ref}|{trip.workshop_id}|{trip.venue_version}|{operation}|{trip.attempt}"
    return f"travel-{operation}-{hashlib.sha256(parts.encode()).hexdigest()[:32]}"


def change_key(quote_id: str) -> str:
    """The provider change call's key: one per approved quote, stored before the call."""
    return f"travel-change-{hashlib.sha256(quote_id.encode()).hexdigest()[:32]}"


def now_utc() -> datetime:
    return datetime.now(UTC)


def fare_conditions(order: ProviderOrder) -> contracts.FareConditions | None:
    """The ticket's fare conditions as the provider states them, for TicketIssued (and the itinerary e-mail)."""
    terms = order.conditions
    if terms is None:
        return None
    return contracts.FareConditions(
        fare_class=terms.fare_class,
        fare_class_name=terms.fare_class_name,
        refundable=terms.refundable,
        change_fee=terms.change_fee,
        cancellation_fee=terms.cancellation_fee,
        currency=terms.currency,
    )


async def search(provider: Provider, trip: Trip, workshop: WorkshopFacts) -> OfferView | None:
    """The cheapest offer within policy for the trip, searching the day before, then two days before (or the
    delegate's own dates), never a departure before the trip's `today`. A read: nothing is held."""
    for departure, back in domain.search_dates(workshop.starts, workshop.ends, trip.dates):
        if departure < trip.today:
            continue
        offers = await provider.search(trip.home_airport, workshop.airport, departure, back, trip.today)
        chosen = domain.choose(offers, trip.home_airport, workshop.airport, workshop.starts, workshop.ends, trip.dates)
        if chosen is not None:
            return chosen
    return None


@dataclass(frozen=True)
class VenueChangePrice:
    """An older venue's ticket against the trip's new venue or dates: the change offer within policy, what
    cancelling the ticket would give back, the new ticket a rebooking would buy, and the cheaper path (None:
    neither is within policy)."""

    path: change_quote.PricedOption | None
    change: change_quote.ChangeOfferView | None
    cancellation: change_quote.Cancellation | None
    rebook: OfferView | None


async def price_venue_change(
    provider: Provider, trip: Trip, previous: Trip, workshop: WorkshopFacts, now: datetime
) -> VenueChangePrice:
    """Price `previous`'s ticket for `trip` (issue 7): as a change at the provider and as a cancellation and a new
    ticket, both within policy; the cheaper is the path (a tie goes to the change). Reads only: the booking worker
    then carries the path out, and a what-if shows it to staff before they decide."""
    assert previous.order_id is not None and previous.fare is not None
    home, venue = trip.home_airport, workshop.airport
    change, cancellation = None, None
    for departure, back in domain.search_dates(workshop.starts, workshop.ends, trip.dates):
        if departure < trip.today:
            continue
        offers, cancellation = await provider.change_offers(previous.order_id, home, venue, departure, back, trip.today)
        change = change_quote.choose_change(offers, home, venue, workshop.starts, workshop.ends, trip.dates)
        if change is not None:
            break
    rebook = await search(provider, trip, workshop)
    path = change_quote.venue_change_path(previous.fare, change, cancellation, rebook, now)
    return VenueChangePrice(path, change, cancellation, rebook)


class Booker:
    """One step of one trip. `approval`: wait for sponsorship's FareApproved before ticketing."""

    def __init__(
        self, store: TripStore, provider: Provider, *, approval: bool, clock: Callable[[], datetime] = now_utc
    ) -> None:
        self.store = store
        self.provider = provider
        self.approval = approval
        self.clock = clock

    async def run_until_waiting(self, trip: Trip, max_steps: int = 12) -> Trip:
        """Step this trip until it waits (for approval, a backoff or nothing more to do)."""
        for _ in range(max_steps):
            after = await self.step(trip)
            if after is None or after.state not in domain.ACTIVE or after == trip:
                return after or trip
            trip = after
            if trip.state == "held" or trip.tries > 0:
                return trip
        return trip

    async def step(self, trip: Trip) -> Trip | None:
        """Take the trip's next step; the trip as saved, or None when someone else changed it first."""
        facts = await self.store.facts(trip)
        workshop = facts.workshop
        if trip.state in domain.ACTIVE and trip.state != "releasing":
            reason = domain.why_obsolete(
                trip,
                workshop.venue_version if workshop else None,
                workshop.status if workshop else None,
                facts.sponsorship,
            )
            if reason is not None:
                return await self._save(trip, domain.release(trip, "cancelled", reason))
        try:
            if trip.state == "requested":
                return await self._quote(trip, facts)
            if trip.state == "quoted":
                return await self._hold(trip)
            if trip.state == "approved" and trip.path == domain.CHANGE:
                return await self._move(trip)  # asks first whether its change call happened, deadline or not
            if trip.state in {"held", "approved"} and domain.deadline_passed(trip, self.clock()):
                log.info("booking.hold_expired_requote", delegate_ref=trip.delegate_ref, attempt=trip.attempt)
                return await self._save(trip, domain.requote(trip, "hold past its ticketing deadline"))
            if trip.state == "approved":
                return await self._ticket(trip)
            if trip.state == "releasing":
                return await self._release(trip)
            if trip.state == "change_held":
                return await self._change_waits(trip)
            if trip.state == "change_approved":
                return await self._change(trip)
            if trip.state == "held":  # due while still waiting for sponsorship's answer
                return await self._ask_again(trip)
        except ProviderDown as error:
            return await self._later(trip, f"provider down: {error}")
        except ProviderRefused as error:
            if error.requote:
                log.info("booking.requote", delegate_ref=trip.delegate_ref, code=error.code, attempt=trip.attempt)
                return await self._save(trip, domain.requote(trip, error.code))
            log.warning("booking.refused_by_provider", delegate_ref=trip.delegate_ref, code=error.code)
            if trip.state == "releasing":  # nothing left to give back (expired, released or already cancelled)
                return await self._released(trip, None)
            return await self._failed(trip, f"{error.code}: {error}")
        return trip

    # -- steps -----------------------------------------------------------------------------------

    async def _search(self, trip: Trip, workshop: WorkshopFacts) -> OfferView | None:
        return await search(self.provider, trip, workshop)

    async def _quote(self, trip: Trip, facts: TripFacts) -> Trip | None:
        workshop = facts.workshop
        assert workshop is not None
        previous = await self.store.predecessor(trip)
        if previous is not None and previous.order_id is not None:
            return await self._change_or_rebook(trip, previous, workshop)
        chosen = await self._search(trip, workshop)
        if chosen is None:
            return await self._failed(trip, "no itinerary within policy")
        return await self._quoted(trip, chosen)

    async def _quoted(self, trip: Trip, chosen: OfferView) -> Trip | None:
        quoted = trip_states.move(
            trip,
            trip_states.QUOTED,
            offer_id=chosen.offer_id,
            fare_class=chosen.fare_class,
            fare=chosen.price,
            currency=chosen.currency,
            days_ahead=chosen.days_ahead,
            warning=domain.early_booking_warning(chosen.price, chosen.days_ahead, chosen.currency),
            segments=chosen.segments,
            hold_key=idempotency_key(trip, "hold"),  # stored before the hold call
            tries=0,
        )
        return await self._save(trip, quoted)

    async def _change_or_rebook(self, trip: Trip, previous: Trip, workshop: WorkshopFacts) -> Trip | None:
        """A ticket for an older venue version (issue 7): priced as a change at the provider and as a cancellation
        and a new ticket, both within policy; the cheaper is taken (a tie goes to the change) and recorded on the
        trip. Rebook: the old ticket is given back first (its refund or credit), then booked as usual. Change: its
        cost (the ticket's money and the extra) goes to sponsorship as a held fare, then the change call."""
        priced = await price_venue_change(self.provider, trip, previous, workshop, self.clock())
        path, change, rebook = priced.path, priced.change, priced.rebook
        log.info("booking.venue_change_priced", delegate_ref=trip.delegate_ref, path=path.kind if path else None,
                 extra=str(path.extra) if path else None)  # fmt: skip
        if path is None or path.kind == change_quote.REBOOK:
            reason = f"venue version {trip.venue_version}: " + (
                "cancelled and rebooked, cheaper than a change" if path else "no itinerary within policy"
            )
            if await self._save(previous, domain.release(previous, "cancelled", reason)) is None:
                return None
            if path is None or rebook is None:
                return await self._failed(trip, reason)
            return await self._quoted(replace(trip, path=domain.REBOOK, replaces=previous.booking_ref), rebook)
        assert change is not None and previous.booking_ref is not None
        moving = trip_states.move(
            trip,
            trip_states.HELD if self.approval else trip_states.APPROVED,
            path=domain.CHANGE,
            replaces=previous.booking_ref,
            offer_id=change.offer_id,
            fare_class=change.fare_class,
            fare=change.price,
            currency=change.currency,
            days_ahead=change.days_ahead,
            warning=domain.early_booking_warning(change.price, change.days_ahead, change.currency),
            segments=change.segments,
            ticketing_deadline=change.expires_at,
            change_key=idempotency_key(trip, "change"),  # stored before the change call
            itinerary_version=previous.itinerary_version + 1,  # the same booking, re-issued
            tries=0,
            # What the ticket will have cost: what was paid for it and the change's fee and fare difference.
            hold_id=change.offer_id if self.approval else None,
            hold_fare=previous.fare + path.extra if self.approval else None,
            asked=1 if self.approval else 0,
        )
        if not self.approval:
            return await self._save(trip, moving)
        events = (envelope_for(self._fare_held(moving), aggregate_key=trip.delegate_ref),)
        return await self._save(trip, moving, events=events, due_in=domain.held_due_in(moving, self.clock()))

    async def _move(self, trip: Trip) -> Trip | None:
        """Change the older venue's ticket to this trip's itinerary (key stored first; an unknown outcome is asked
        about with it): the same booking reference, a new ticket number, TicketIssued for this venue version; the
        older trip ends "moved". Past the offer's expiry without the change made: priced again."""
        assert trip.change_key and trip.offer_id and trip.replaces
        order = await self.provider.resolve("change", trip.change_key)
        previous = await self.store.predecessor(trip)
        if order is None:
            if domain.deadline_passed(trip, self.clock()) or previous is None or previous.order_id is None:
                return await self._save(trip, domain.requote(trip, "change offer past its expiry"))
            order = await self.provider.change(previous.order_id, trip.offer_id, trip.change_key)
        if previous is not None and previous.booking_ref == order.booking_reference:
            reason = f"changed for venue version {trip.venue_version}"
            moved = trip_states.move(previous, trip_states.MOVED, reason=reason)
            if await self._save(previous, moved, due_in=None) is None:
                return None
        version = trip.itinerary_version
        ticketed = trip_states.move(
            trip,
            trip_states.TICKETED,
            order_id=order.order_id,
            booking_ref=order.booking_reference,
            ticket_number=order.ticket_number,
            fare=order.price,
            currency=order.currency,
            days_ahead=order.days_ahead,
            warning=domain.early_booking_warning(order.price, order.days_ahead, order.currency),
            segments=order.segments,
            itinerary_version=version,
            tries=0,
        )
        issued = contracts.TicketIssued(
            workshop_id=trip.workshop_id,
            delegate_ref=trip.delegate_ref,
            venue_version=trip.venue_version,
            booking_ref=order.booking_reference,
            fare=order.price,
            currency=order.currency,
            booked_on=trip.today,
            days_ahead=order.days_ahead,
            early_booking_warning=ticketed.warning,
            segments=[contracts.Segment(**segment) for segment in order.segments],
            itinerary_version=version,
            conditions=fare_conditions(order),
        )
        booking = {
            "booking_ref": order.booking_reference,
            "segments": list(order.segments),
            "itinerary_version": version,
            "venue_version": trip.venue_version,
            "fare": order.price,
            "days_ahead": order.days_ahead,
            "ticket_number": order.ticket_number,
        }
        events = (envelope_for(issued, aggregate_key=trip.delegate_ref),)
        return await self._save(trip, ticketed, changed_booking=booking, events=events, due_in=None)

    async def _hold(self, trip: Trip) -> Trip | None:
        assert trip.hold_key and trip.offer_id
        order = await self.provider.resolve("hold", trip.hold_key)
        if order is None:
            order = await self.provider.hold(trip.offer_id, trip.delegate_ref, trip.hold_key)
        if order.status not in {"held", "ticketed"}:
            return await self._save(trip, domain.requote(trip, f"hold {order.status}"))
        held = trip_states.move(
            trip,
            trip_states.HELD if self.approval else trip_states.APPROVED,
            order_id=order.order_id,
            booking_ref=order.booking_reference,
            fare_class=order.fare_class,
            fare=order.price,
            currency=order.currency,
            days_ahead=order.days_ahead,
            warning=domain.early_booking_warning(order.price, order.days_ahead, order.currency),
            segments=order.segments,
            ticketing_deadline=order.ticketing_deadline,
            ticket_key=idempotency_key(trip, "ticket"),  # stored before any ticket call
            tries=0,
            hold_id=order.order_id if self.approval else None,
            hold_fare=order.price if self.approval else None,
            asked=1 if self.approval else 0,
        )
        if not self.approval:
            return await self._save(trip, held)
        # Held trips wake to ask again, or at their deadline to re-quote, unless the answer arrives first.
        events = (envelope_for(self._fare_held(held), aggregate_key=trip.delegate_ref),)
        return await self._save(trip, held, events=events, due_in=domain.held_due_in(held, self.clock()))

    def _fare_held(self, trip: Trip) -> contracts.FareHeld:
        """What sponsorship is asked to approve before a ticket (or a change of an older venue's ticket)."""
        assert trip.hold_id and trip.hold_fare is not None and trip.currency and trip.ticketing_deadline
        return contracts.FareHeld(
            workshop_id=trip.workshop_id,
            delegate_ref=trip.delegate_ref,
            venue_version=trip.venue_version,
            hold_id=trip.hold_id,
            fare=trip.hold_fare,
            currency=trip.currency,
            ticketing_deadline=trip.ticketing_deadline,
            replaces_booking_ref=trip.replaces if trip.path == domain.CHANGE else None,
        )

    async def _ask_again(self, trip: Trip) -> Trip | None:
        """No answer yet about the held fare: sponsorship is asked again (it repeats an answer it gave, charging
        nothing twice), less often each time, until the answer comes or the hold nears its deadline."""
        asked = replace(trip, asked=trip.asked + 1)
        log.info("booking.fare_asked_again", delegate_ref=trip.delegate_ref, hold_id=trip.hold_id, asked=asked.asked)
        events = (envelope_for(self._fare_held(asked), aggregate_key=trip.delegate_ref),)
        return await self._save(trip, asked, events=events, due_in=domain.held_due_in(asked, self.clock()))

    async def _ticket(self, trip: Trip) -> Trip | None:
        assert trip.ticket_key and trip.order_id
        order = await self.provider.resolve("ticket", trip.ticket_key)
        if order is None:
            order = await self.provider.ticket(trip.order_id, trip.ticket_key)
        if order.status != "ticketed":
            return await self._save(trip, domain.requote(trip, f"order {order.status} at ticketing"))
        ticketed = trip_states.move(trip, trip_states.TICKETED, ticket_number=order.ticket_number, tries=0)
        booking = {
            "booking_ref": order.booking_reference,
            "delegate_ref": trip.delegate_ref,
            "workshop_id": trip.workshop_id,
            "venue_version": trip.venue_version,
            "fare": order.price,
            "currency": order.currency,
            "booked_on": trip.today,
            "days_ahead": order.days_ahead,
            "segments": list(order.segments),
            "order_id": order.order_id,
            "ticket_number": order.ticket_number,
            "fare_class": order.fare_class,
        }
        issued = contracts.TicketIssued(
            workshop_id=trip.workshop_id,
            delegate_ref=trip.delegate_ref,
            venue_version=trip.venue_version,
            booking_ref=order.booking_reference,
            fare=order.price,
            currency=order.currency,
            booked_on=trip.today,
            days_ahead=order.days_ahead,
            early_booking_warning=trip.warning,
            segments=[contracts.Segment(**segment) for segment in order.segments],
            conditions=fare_conditions(order),
            itinerary_version=trip.itinerary_version,  # above 1: it replaces a ticket of this venue version
        )
        events = (envelope_for(issued, aggregate_key=trip.delegate_ref),)
        return await self._save(trip, ticketed, booking=booking, events=events, due_in=None)

    async def _release(self, trip: Trip) -> Trip | None:
        order_id = trip.order_id
        if order_id is None and trip.hold_key:  # a hold call may have happened before we knew its order
            found = await self.provider.resolve("hold", trip.hold_key)
            order_id = found.order_id if found else None
        if order_id is None:
            return await self._released(trip, None)
        if trip.cancel_key is None:
            keyed = replace(trip, order_id=order_id, cancel_key=idempotency_key(trip, "cancel"))
            saved = await self._save(trip, keyed)
            if saved is None:
                return None
            trip = saved
        assert trip.cancel_key
        order = await self.provider.resolve("cancel", trip.cancel_key)
        if order is None:
            order = await self.provider.cancel(order_id, trip.cancel_key)
        return await self._released(trip, order)

    async def _released(self, trip: Trip, order: ProviderOrder | None) -> Trip | None:
        if (trip.release_to or trip_states.CANCELLED) == trip_states.REQUESTED:  # book again, with new keys
            final = replace(domain.requote(trip, trip.reason or "rebooking"), release_to=None, booking_ref=None,
                            ticket_number=None)  # fmt: skip
        else:
            final = trip_states.move(trip, trip.release_to or trip_states.CANCELLED, tries=0)
        events: tuple[Envelope, ...] = ()
        cancelled_booking = None
        if trip.booking_ref and await self._was_ticketed(trip):
            outcome, amount, fee = order.cancellation if order and order.cancellation else ("void", ZERO, ZERO)
            refund, credit = (amount if outcome == "refund" else ZERO), (amount if outcome == "credit" else ZERO)
            cancelled = contracts.TicketCancelled(
                workshop_id=trip.workshop_id,
                delegate_ref=trip.delegate_ref,
                venue_version=trip.venue_version,
                booking_ref=trip.booking_ref,
                reason=trip.reason or "cancelled",
                refund=refund,
                credit=credit,
                fee=fee,
                currency=trip.currency or "USD",
                # Booked again (a schedule change, an approved rebooking, a newer venue's trip): sponsorship keeps
                # the money for the next ticket; otherwise it is given back, whatever sponsorship has heard so far.
                rebooking=final.state == "requested" or await self.store.rebooked(trip),
            )
            events = (envelope_for(cancelled, aggregate_key=trip.delegate_ref),)
            cancelled_booking = {"booking_ref": trip.booking_ref, "refund": refund, "credit": credit, "fee": fee}
        return await self._save(trip, final, events=events, cancelled_booking=cancelled_booking)

    # -- costed changes of a ticketed trip (issue 5) ------------------------------------------------

    async def price_quote(self, quote: ChangeQuote) -> ChangeQuote | None:
        """Price a requested change quote: the provider's change offer and a new ticket from the new airport on the
        new dates, both within policy; the cheaper chosen. A read at the provider: nothing is held or changed."""
        trip = await self.store.trip_of(quote)
        if trip is None or trip.state != "ticketed" or trip.booking_ref != quote.booking_ref:
            failed = replace(quote, status="failed", decided_reason="the ticket changed before the quote was priced")
            return failed if await self.store.save_quote(quote.status, failed) else None
        workshop = (await self.store.facts(trip)).workshop
        assert workshop is not None and trip.order_id is not None
        home, venue, dates = quote.to_airport, workshop.airport, quote.dates
        options: list[change_quote.PricedOption] = []
        try:
            cancellation = None
            for departure, back in domain.search_dates(workshop.starts, workshop.ends, dates):
                if departure < trip.today:
                    continue
                offers, cancellation = await self.provider.change_offers(
                    trip.order_id, home, venue, departure, back, trip.today
                )
                chosen = change_quote.choose_change(offers, home, venue, workshop.starts, workshop.ends, dates)
                if chosen is not None:
                    options.append(change_quote.change_option(chosen))
                    break
            for departure, back in domain.search_dates(workshop.starts, workshop.ends, dates):
                if departure < trip.today or cancellation is None:
                    continue
                found = await self.provider.search(home, venue, departure, back, trip.today)
                offer = domain.choose(found, home, venue, workshop.starts, workshop.ends, dates)
                if offer is not None:
                    expires = offer.expires_at or self.clock()
                    options.append(change_quote.rebook_option(quote.old_fare, cancellation, offer, expires))
                    break
        except ProviderDown:
            log.warning("change.quote_retry_later", delegate_ref=quote.delegate_ref, quote_id=quote.quote_id)
            await self.store.save_quote(quote.status, quote, due_in=domain.backoff_seconds(3))
            return None
        except ProviderRefused as error:
            failed = replace(quote, status="failed", decided_reason=f"{error.code}: {error}")
            return failed if await self.store.save_quote(quote.status, failed) else None
        done = change_quote.priced(quote, options)
        events: tuple[Envelope, ...] = ()
        chosen_option = done.option()
        if done.status == "pending" and chosen_option is not None:
            assert done.extra is not None and done.expires_at is not None
            quoted = contracts.ChangeQuoted(
                quote_id=done.quote_id,
                workshop_id=done.workshop_id,
                delegate_ref=done.delegate_ref,
                venue_version=done.venue_version,
                booking_ref=done.booking_ref,
                reason=done.reason,
                chosen=chosen_option.kind,
                extra=done.extra,
                currency=done.currency,
                expires_at=done.expires_at,
                options=[
                    contracts.ChangeOption(
                        **{k: v for k, v in option.as_json().items() if k in contracts.ChangeOption.model_fields}
                    )
                    for option in done.options
                ],
            )
            events = (envelope_for(quoted, aggregate_key=done.delegate_ref),)
        if not await self.store.save_quote(quote.status, done, events=events):
            return None
        log.info(f"change.quote_{done.status}", delegate_ref=done.delegate_ref, quote_id=done.quote_id,
                 option=done.chosen)  # fmt: skip
        return done

    # -- fare quotes for sponsorship's estimates (issue 4) -------------------------------------------

    async def price_fare_quote(self, quote: FareQuote) -> FareQuote | None:
        """Price a requested fare quote as the delegate's trip would be priced on its date (the same searches and
        policy), and publish it (FareQuoted), or why nothing is within policy. A read at the provider: nothing held.
        A provider that does not answer is asked again later; the quote as saved, or None if it changed meanwhile."""
        workshop = await self.store.workshop_facts(quote.workshop_id)
        reason = fare_quote.why_obsolete(
            quote, workshop.venue_version if workshop else None, workshop.status if workshop else None
        )
        if reason is not None or workshop is None:
            obsolete = replace(quote, status="obsolete", error=reason)
            return obsolete if await self.store.save_fare_quote(quote, obsolete) else None
        as_trip = Trip(quote.delegate_ref, quote.workshop_id, quote.venue_version, "requested", 1,
                       quote.home_airport, quote.quoted_on)  # fmt: skip
        try:
            done = fare_quote.priced(quote, await self._search(as_trip, workshop))
        except ProviderDown:
            log.warning("fare_quote.retry_later", delegate_ref=quote.delegate_ref, tries=quote.tries + 1)
            later = replace(quote, tries=quote.tries + 1)
            saved = await self.store.save_fare_quote(quote, later, due_in=domain.backoff_seconds(quote.tries))
            return later if saved else None
        except ProviderRefused as error:
            done = fare_quote.priced(quote, None, f"{error.code}: {error}")
        assert done.valid_until is not None
        quoted = contracts.FareQuoted(
            workshop_id=done.workshop_id,
            delegate_ref=done.delegate_ref,
            venue_version=done.venue_version,
            home_airport=done.home_airport,
            quoted_on=done.quoted_on,
            valid_until=done.valid_until,
            price=done.price,
            currency=done.currency,
            days_ahead=done.days_ahead,
            fare_class=done.fare_class,
            error=done.error,
        )
        events = (envelope_for(quoted, aggregate_key=done.delegate_ref),)
        if not await self.store.save_fare_quote(quote, done, events=events):
            return None
        log.info("fare_quote.published", delegate_ref=done.delegate_ref, priced=done.price is not None)
        return done

    async def _change_waits(self, trip: Trip) -> Trip | None:
        """Waiting for sponsorship's answer on the extra cost; past the quote's expiry, give up (ticket unchanged)."""
        quote = await self.store.quote(trip.change_quote or "")
        if quote is not None and quote.expires_at is not None and self.clock() < quote.expires_at:
            return trip
        back = trip_states.move(trip, trip_states.TICKETED, change_quote=None, change_key=None, tries=0)
        settled = None
        if quote is not None and quote.status == "approved":
            settled = change_quote.settled(quote, "failed", "sponsorship did not answer before the quote expired")
        return await self._save(trip, back, due_in=None, quote=settled)

    async def _change(self, trip: Trip) -> Trip | None:
        """Carry out an approved quote whose extra cost sponsorship approved: change the ticket at the provider
        (key stored first; an unknown outcome is asked about with the same key), or cancel it and book again from
        the new airport through the usual steps."""
        quote = await self.store.quote(trip.change_quote or "")
        option = quote.option() if quote else None
        if quote is None or option is None or quote.status != "approved":
            given_up = trip_states.move(trip, trip_states.TICKETED, change_quote=None, change_key=None)
            return await self._save(trip, given_up)
        if option.kind == change_quote.REBOOK:
            rebook = domain.release(trip, "requested", f"change {quote.quote_id}: {quote.reason}")
            rebook = replace(rebook, home_airport=quote.to_airport, arrive_on=quote.arrive_on,
                             leave_on=quote.leave_on, change_quote=None, change_key=None,
                             itinerary_version=trip.itinerary_version + 1)  # fmt: skip
            return await self._save(trip, rebook, quote=change_quote.settled(quote, "applied"))
        if trip.change_key is None:  # its own step: the key is committed before any change call
            return await self._save(trip, replace(trip, change_key=change_key(quote.quote_id)))
        assert trip.change_key and trip.order_id and trip.booking_ref
        try:
            order = await self.provider.resolve("change", trip.change_key)
            if order is None:
                order = await self.provider.change(trip.order_id, option.offer_id, trip.change_key)
        except ProviderRefused as error:
            log.warning("change.refused_by_provider", delegate_ref=trip.delegate_ref, code=error.code)
            back = trip_states.move(trip, trip_states.TICKETED, change_quote=None, change_key=None, tries=0)
            failed = change_quote.settled(quote, "failed", f"{error.code}: {error}")
            return await self._save(trip, back, due_in=None, quote=failed)
        changed = trip_states.move(
            trip,
            trip_states.TICKETED,
            home_airport=quote.to_airport,
            arrive_on=quote.arrive_on,
            leave_on=quote.leave_on,
            fare=order.price,
            currency=order.currency,
            days_ahead=order.days_ahead,
            warning=domain.early_booking_warning(order.price, order.days_ahead, order.currency),
            segments=order.segments,
            ticket_number=order.ticket_number,
            itinerary_version=trip.itinerary_version + 1,
            change_quote=None,
            change_key=None,
            tries=0,
        )
        issued = contracts.TicketIssued(
            workshop_id=trip.workshop_id,
            delegate_ref=trip.delegate_ref,
            venue_version=trip.venue_version,
            booking_ref=trip.booking_ref,
            fare=order.price,
            currency=order.currency,
            booked_on=trip.today,
            days_ahead=order.days_ahead,
            early_booking_warning=changed.warning,
            segments=[contracts.Segment(**segment) for segment in order.segments],
            conditions=fare_conditions(order),
            itinerary_version=changed.itinerary_version,
        )
        booking = {
            "booking_ref": trip.booking_ref,
            "segments": list(order.segments),
            "itinerary_version": changed.itinerary_version,
            "fare": order.price,
            "days_ahead": order.days_ahead,
            "ticket_number": order.ticket_number,
        }
        events = (envelope_for(issued, aggregate_key=trip.delegate_ref),)
        applied = change_quote.settled(quote, "applied")
        return await self._save(trip, changed, changed_booking=booking, events=events, due_in=None, quote=applied)

    # -- the airline's schedule changes -------------------------------------------------------------

    async def follow_schedule_changes(self) -> int:
        """Apply the provider's schedule changes since the last one applied; returns how many were read.

        A change that breaks the policy (arriving on or after the first day, leaving before the last) cancels
        the ticket and books again; any other one re-issues the ticket with a higher itinerary version (an
        "itinerary changed" e-mail). Each trip remembers the last change applied, so a replay changes nothing.
        """
        since = await self.store.feed_position()
        changes = await self.provider.schedule_changes(since)
        for sequence, order_ids in changes:
            for order_id in order_ids:
                await self._apply_schedule_change(sequence, order_id)
            await self.store.advance_feed(since, sequence)
            since = sequence
        return len(changes)

    async def _apply_schedule_change(self, sequence: int, order_id: str) -> None:
        trip = await self.store.trip_by_order(order_id)
        if trip is None or trip.state != "ticketed" or trip.schedule_sequence >= sequence:
            return  # not ours, no longer valid, or already applied
        order = await self.provider.order(order_id)
        workshop = (await self.store.facts(trip)).workshop
        assert workshop is not None
        broken = domain.itinerary_within_policy(
            order.segments, trip.home_airport, workshop.airport, workshop.starts, workshop.ends, trip.dates
        )
        if broken is not None:
            log.info("booking.schedule_change_rebook", delegate_ref=trip.delegate_ref, sequence=sequence)
            rebook = domain.release(trip, "requested", f"schedule change {sequence}: {broken}")
            await self._save(trip, replace(rebook, schedule_sequence=sequence))
            return
        changed = replace(
            trip, segments=order.segments, itinerary_version=trip.itinerary_version + 1, schedule_sequence=sequence
        )
        assert trip.booking_ref and trip.fare is not None and trip.currency and trip.days_ahead is not None
        issued = contracts.TicketIssued(
            workshop_id=trip.workshop_id,
            delegate_ref=trip.delegate_ref,
            venue_version=trip.venue_version,
            booking_ref=trip.booking_ref,
            fare=trip.fare,
            currency=trip.currency,
            booked_on=trip.today,
            days_ahead=trip.days_ahead,
            early_booking_warning=trip.warning,
            segments=[contracts.Segment(**segment) for segment in order.segments],
            conditions=fare_conditions(order),
            itinerary_version=changed.itinerary_version,
        )
        log.info("booking.itinerary_changed", delegate_ref=trip.delegate_ref, sequence=sequence)
        booking = {"booking_ref": trip.booking_ref, "segments": list(order.segments),
                   "itinerary_version": changed.itinerary_version}  # fmt: skip
        events = (envelope_for(issued, aggregate_key=trip.delegate_ref),)
        await self._save(trip, changed, changed_booking=booking, events=events, due_in=None)

    async def _was_ticketed(self, trip: Trip) -> bool:
        return trip.ticket_number is not None

    # -- saving ----------------------------------------------------------------------------------

    async def _later(self, trip: Trip, reason: str) -> Trip | None:
        log.warning("booking.retry_later", delegate_ref=trip.delegate_ref, state=trip.state, tries=trip.tries + 1)
        later = replace(trip, tries=trip.tries + 1, reason=reason)
        return await self._save(trip, later, due_in=domain.backoff_seconds(trip.tries))

    async def _failed(self, trip: Trip, reason: str) -> Trip | None:
        """No ticket for this venue version; staff are told (BookingFailed, in the digest)."""
        failed = contracts.BookingFailed(
            workshop_id=trip.workshop_id,
            delegate_ref=trip.delegate_ref,
            venue_version=trip.venue_version,
            attempt=trip.attempt,
            reason=reason,
        )
        events = (envelope_for(failed, aggregate_key=trip.delegate_ref),)
        return await self._save(trip, trip_states.move(trip, trip_states.FAILED, reason=reason), events=events)

    async def _save(
        self,
        before: Trip,
        after: Trip,
        *,
        due_in: float | None = 0.0,
        booking: dict[str, Any] | None = None,
        cancelled_booking: dict[str, Any] | None = None,
        changed_booking: dict[str, Any] | None = None,
        events: tuple[Envelope, ...] = (),
        quote: ChangeQuote | None = None,
    ) -> Trip | None:
        trip_states.check(before.state, after.state, (envelope.event_type for envelope in events))
        if after.state in domain.FINAL:
            due_in = None
        # A trip that ends without a ticket (declined, failed, no longer sponsored) while an older venue's ticket
        # waited for it: that ticket is given back in the same transaction (a SIGKILL in between would keep it
        # valid for good), unless a newer venue version's trip will deal with it.
        without_ticket = after.state in {"declined", "failed", "cancelled"} and after.venue_version > 1
        saved = await self.store.save(
            before,
            after,
            due_in=due_in,
            booking=booking,
            cancelled_booking=cancelled_booking,
            changed_booking=changed_booking,
            events=events,
            quote=quote,
            release_older=f"venue version {after.venue_version}: {after.state} ({after.reason})"
            if without_ticket
            else None,
        )
        if saved and after.state != before.state:  # logged once committed: a killed step logs nothing
            log.info(f"booking.{after.state}", delegate_ref=after.delegate_ref, attempt=after.attempt)
        return after if saved else None


class BookingWorker:
    """The background task: one active per database (advisory lock), up to IN_FLIGHT trips stepped at once.

    Every FEED_EVERY_S it also follows the provider's schedule changes, wakes holds past their deadline in the
    provider's time, and reports trips in one state longer than `liveness_bound_s` (TripOverdue, once each)."""

    def __init__(
        self,
        store_factory: Callable[[Any], TripStore],
        provider: Provider,
        leadership: Callable[[Any], Any],
        pending: Callable[[Any, str | None], Any],
        late: Callable[..., Any],
        *,
        approval: bool,
        clock: Callable[[], datetime] = now_utc,
        liveness_bound_s: float = 300.0,
    ) -> None:
        self.store_factory = store_factory
        self.provider = provider
        self.leadership = leadership
        self._pending = pending
        self._late = late
        self.approval = approval
        self.clock = clock
        self.liveness_bound_s = liveness_bound_s
        self._task: asyncio.Task[None] | None = None

    def start(self, pool: Any) -> None:
        self._task = asyncio.create_task(self._run(pool), name="booking-worker")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def pending(self, conn: Any, workshop_id: str | None = None) -> int:
        return int(await self._pending(conn, workshop_id))

    async def late(self, conn: Any, workshop_id: str | None = None) -> list[dict[str, Any]]:
        """Trips in their state past the liveness bound (all of them, reported or not), with why."""
        return [
            {
                "delegate_ref": trip.delegate_ref,
                "workshop_id": trip.workshop_id,
                "venue_version": trip.venue_version,
                "state": trip.state,
                "attempt": trip.attempt,
                "waited_s": int(waited),
                "reason": domain.overdue(trip, waited, self.liveness_bound_s),
            }
            for trip, waited in await self._late(conn, self.liveness_bound_s, workshop_id=workshop_id)
        ]

    async def _run(self, pool: Any) -> None:
        store = self.store_factory(pool)
        booker = Booker(store, self.provider, approval=self.approval, clock=self.clock)
        while True:
            try:
                async with self.leadership(pool) as wake, asyncio.TaskGroup() as group:
                    # Leaving the lead (an error, or stop) cancels the steps in flight, like a SIGKILL would.
                    running: dict[tuple[Any, ...], asyncio.Task[None]] = {}
                    next_feed = 0.0
                    while True:
                        if time.monotonic() >= next_feed:
                            next_feed = time.monotonic() + FEED_EVERY_S
                            await self._follow_feed(booker)
                            await store.wake_past_deadline(self.clock() + domain.DEADLINE_MARGIN)
                            await self.report_late(store)
                        wake.clear()  # before looking: work or a free place arriving meanwhile wakes the wait below
                        if not await self._start_due(booker, store, group, running, wake):
                            with contextlib.suppress(TimeoutError):  # not wait_for: it can swallow a cancellation
                                async with asyncio.timeout(0.5):
                                    await wake.wait()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("booking.worker_failed")
                await asyncio.sleep(1.0)

    async def report_late(self, store: TripStore) -> None:
        """Each trip waiting past its bound is told to staff once per state and attempt, with what it waits for."""
        for trip, waited in await store.late(self.liveness_bound_s, unreported=True):
            reason = domain.overdue(trip, waited, self.liveness_bound_s)
            if reason is None:
                continue
            overdue = contracts.TripOverdue(
                workshop_id=trip.workshop_id,
                delegate_ref=trip.delegate_ref,
                venue_version=trip.venue_version,
                attempt=trip.attempt,
                state=trip.state,
                waited_s=int(waited),
                reason=reason,
            )
            if await store.report_late(trip, (envelope_for(overdue, aggregate_key=trip.delegate_ref),)):
                log.warning("booking.overdue", delegate_ref=trip.delegate_ref, state=trip.state, waited_s=int(waited))

    async def _start_due(
        self,
        booker: Booker,
        store: TripStore,
        group: asyncio.TaskGroup,
        running: dict[tuple[Any, ...], asyncio.Task[None]],
        wake: asyncio.Event,
    ) -> bool:
        """Start due trips, change quotes and fare quotes, up to IN_FLIGHT at once, none twice; whether more may be due
        right now. A finished one frees its place and sets `wake`."""

        def start(key: tuple[Any, ...], step: Any) -> None:
            def finished(_: asyncio.Task[None]) -> None:
                running.pop(key, None)
                wake.set()

            task = group.create_task(step)
            running[key] = task
            task.add_done_callback(finished)

        free = IN_FLIGHT - len(running)
        if free <= 0:
            return False
        in_flight = [key[1:] for key in running if key[0] == "trip"]
        trips = await store.due(free, skip=in_flight)
        for trip in trips:
            start(("trip", trip.delegate_ref, trip.workshop_id, trip.venue_version), self._advance(booker, trip))
        quotes = [q for q in await store.quotes_due(IN_FLIGHT) if ("quote", q.quote_id) not in running]
        for quote in quotes[: IN_FLIGHT - len(running)]:
            start(("quote", quote.quote_id), self._price(booker, quote))
        for fare in await store.fare_quotes_due(IN_FLIGHT):
            key = ("fare", fare.delegate_ref, fare.workshop_id, fare.venue_version, fare.quoted_on)
            if key not in running and len(running) < IN_FLIGHT:
                start(key, self._price_fare(booker, fare))
        return len(trips) == free and len(running) < IN_FLIGHT

    async def _follow_feed(self, booker: Booker) -> None:
        try:
            await booker.follow_schedule_changes()
        except (ProviderDown, ProviderRefused) as error:
            log.warning("booking.schedule_feed_unavailable", error=type(error).__name__)

    async def _price(self, booker: Booker, quote: ChangeQuote) -> None:
        with structlog.contextvars.bound_contextvars(delegate_ref=quote.delegate_ref, quote_id=quote.quote_id):
            try:
                await booker.price_quote(quote)
            except Exception:
                log.exception("change.pricing_failed")
                with contextlib.suppress(Exception):
                    await booker.store.save_quote(quote.status, quote, due_in=30.0)

    async def _price_fare(self, booker: Booker, quote: FareQuote) -> None:
        with structlog.contextvars.bound_contextvars(delegate_ref=quote.delegate_ref):
            try:
                await booker.price_fare_quote(quote)
            except Exception:
                log.exception("fare_quote.pricing_failed")
                with contextlib.suppress(Exception):
                    await booker.store.save_fare_quote(quote, replace(quote, tries=quote.tries + 1), due_in=30.0)

    async def _advance(self, booker: Booker, trip: Trip) -> None:
        with structlog.contextvars.bound_contextvars(delegate_ref=trip.delegate_ref, venue_version=trip.venue_version):
            try:
                await booker.run_until_waiting(trip)
            except Exception:
                log.exception("booking.step_failed", state=trip.state)
                with contextlib.suppress(Exception):
                    await booker._later(trip, "step failed")

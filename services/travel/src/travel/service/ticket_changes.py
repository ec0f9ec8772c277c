"""Costed changes of a ticketed trip (issue 5): a change quote priced at the provider, then, once staff and
sponsorship approved it, the ticket changed at the provider or cancelled and booked again."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import structlog
from shared.contracts import travel as contracts
from shared.contracts.envelope import Envelope, envelope_for

from travel.domain import booking as domain
from travel.domain import change_quote, trip_states
from travel.domain.booking import Trip
from travel.domain.change_quote import ChangeQuote
from travel.service.ports import ProviderDown, ProviderRefused
from travel.service.provider_keys import change_key
from travel.service.ticketing import ticket_issued

if TYPE_CHECKING:
    from travel.service.booking import Booker

log = structlog.get_logger()


async def price_quote(booker: Booker, quote: ChangeQuote) -> ChangeQuote | None:
    """Price a requested change quote: the provider's change offer and a new ticket from the new airport on the
    new dates, both within policy; the cheaper chosen. A read at the provider: nothing is held or changed."""
    trip = await booker.store.trip_of(quote)
    if trip is None or trip.state != trip_states.TICKETED or trip.booking_ref != quote.booking_ref:
        failed = replace(quote, status="failed", decided_reason="the ticket changed before the quote was priced")
        return failed if await booker.store.save_quote(quote.status, failed) else None
    workshop = (await booker.store.facts(trip)).workshop
    assert workshop is not None and trip.order_id is not None
    home, venue, dates = quote.to_airport, workshop.airport, quote.dates
    options: list[change_quote.PricedOption] = []
    try:
        cancellation = None
        for departure, back in domain.search_dates(workshop.starts, workshop.ends, dates):
            if departure < trip.today:
                continue
            offers, cancellation = await booker.provider.change_offers(
                trip.order_id, home, venue, departure, back, trip.today
            )
            chosen = change_quote.choose_change(offers, home, venue, workshop.starts, workshop.ends, dates)
            if chosen is not None:
                options.append(change_quote.change_option(chosen))
                break
        for departure, back in domain.search_dates(workshop.starts, workshop.ends, dates):
            if departure < trip.today or cancellation is None:
                continue
            found = await booker.provider.search(home, venue, departure, back, trip.today)
            offer = domain.choose(found, home, venue, workshop.starts, workshop.ends, dates)
            if offer is not None:
                expires = offer.expires_at or booker.clock()
                options.append(change_quote.rebook_option(quote.old_fare, cancellation, offer, expires))
                break
    except ProviderDown:
        log.warning("change.quote_retry_later", delegate_ref=quote.delegate_ref, quote_id=quote.quote_id)
        await booker.store.save_quote(quote.status, quote, due_in=domain.backoff_seconds(3))
        return None
    except ProviderRefused as error:
        failed = replace(quote, status="failed", decided_reason=f"{error.code}: {error}")
        return failed if await booker.store.save_quote(quote.status, failed) else None
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
        events = (envelope_for(quoted, aggregate_key=done.delegate_ref, occurred_at=booker.clock()),)
    if not await booker.store.save_quote(quote.status, done, events=events):
        return None
    log.info(f"change.quote_{done.status}", delegate_ref=done.delegate_ref, quote_id=done.quote_id,
             option=done.chosen)  # fmt: skip
    return done


async def change_waits(booker: Booker, trip: Trip) -> Trip | None:
    """Waiting for sponsorship's answer on the extra cost; past the quote's expiry, give up (ticket unchanged)."""
    quote = await booker.store.quote(trip.change_quote or "")
    if quote is not None and quote.expires_at is not None and booker.clock() < quote.expires_at:
        return trip
    back = trip_states.move(trip, trip_states.TICKETED, change_quote=None, change_key=None, tries=0)
    settled = None
    if quote is not None and quote.status == "approved":
        settled = change_quote.settled(quote, "failed", "sponsorship did not answer before the quote expired")
    return await booker.save(trip, back, due_in=None, quote=settled)


async def change(booker: Booker, trip: Trip) -> Trip | None:
    """Carry out an approved quote whose extra cost sponsorship approved: change the ticket at the provider
    (key stored first; an unknown outcome is asked about with the same key), or cancel it and book again from
    the new airport through the usual steps."""
    quote = await booker.store.quote(trip.change_quote or "")
    option = quote.option() if quote else None
    if quote is None or option is None or quote.status != "approved":
        given_up = trip_states.move(trip, trip_states.TICKETED, change_quote=None, change_key=None)
        return await booker.save(trip, given_up)
    if option.kind == change_quote.REBOOK:
        rebook = domain.release(trip, "requested", f"change {quote.quote_id}: {quote.reason}")
        rebook = replace(rebook, home_airport=quote.to_airport, arrive_on=quote.arrive_on,
                         leave_on=quote.leave_on, change_quote=None, change_key=None,
                         itinerary_version=trip.itinerary_version + 1)  # fmt: skip
        return await booker.save(trip, rebook, quote=change_quote.settled(quote, "applied"))
    if trip.change_key is None:  # its own step: the key is committed before any change call
        return await booker.save(trip, replace(trip, change_key=change_key(quote.quote_id)))
    assert trip.change_key and trip.order_id and trip.booking_ref
    try:
        order = await booker.provider.resolve("change", trip.change_key)
        if order is None:
            order = await booker.provider.change(trip.order_id, option.offer_id, trip.change_key)
    except ProviderRefused as error:
        log.warning("change.refused_by_provider", delegate_ref=trip.delegate_ref, code=error.code)
        back = trip_states.move(trip, trip_states.TICKETED, change_quote=None, change_key=None, tries=0)
        failed = change_quote.settled(quote, "failed", f"{error.code}: {error}")
        return await booker.save(trip, back, due_in=None, quote=failed)
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
    issued = ticket_issued(trip, order, changed.warning, changed.itinerary_version)  # same order, same reference
    booking = {
        "booking_ref": trip.booking_ref,
        "segments": list(order.segments),
        "itinerary_version": changed.itinerary_version,
        "fare": order.price,
        "days_ahead": order.days_ahead,
        "ticket_number": order.ticket_number,
    }
    events = (envelope_for(issued, aggregate_key=trip.delegate_ref, occurred_at=booker.clock()),)
    applied = change_quote.settled(quote, "applied")
    return await booker.save(trip, changed, changed_booking=booking, events=events, due_in=None, quote=applied)

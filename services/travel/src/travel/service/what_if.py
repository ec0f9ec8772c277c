"""What a workshop decision staff are weighing would do to its tickets, priced before anything is published
(issue 18): the same pricing the booking worker does after the decision (`booking.price_venue_change`, `search`),
with the provider's fares of the day. Reads only: nothing is held, changed or cancelled at the provider."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

from shared.contracts import travel as contracts

from travel.domain import booking as domain
from travel.domain import change_quote
from travel.domain.booking import TravelDates, Trip
from travel.service.ports import Provider, ProviderDown, ProviderRefused, WorkshopFacts
from travel.service.pricing import price_venue_change, search


@dataclass(frozen=True)
class Traveller:
    """A delegate as travel knows them: home airport, own travel dates, sponsorship (granted, waitlisted, ...)."""

    delegate_ref: str
    home_airport: str
    dates: TravelDates
    sponsorship: str | None


async def travel_outlook(
    provider: Provider,
    after: WorkshopFacts,
    tickets: Sequence[Trip],
    travellers: Sequence[Traveller],
    *,
    today: date,
    booking_started: bool,
    now: datetime,
) -> contracts.TravelOutlook:
    """Each ticketed trip under the workshop's facts `after` a decision: kept, followed to the new venue version
    (its path priced as the booking worker would price it, on `today`) or cancelled; and, once booking has started
    and the workshop goes on, the fare of a new ticket for each granted or waitlisted delegate without one (a place
    promoted or re-confirmed is booked). A provider that does not answer leaves that delegate unpriced, with why."""
    by_ref = {traveller.delegate_ref: traveller for traveller in travellers}
    outlooks = [await ticket_outlook(provider, after, ticket, by_ref.get(ticket.delegate_ref), today, now)
                for ticket in tickets]  # fmt: skip
    ticketed = {ticket.delegate_ref for ticket in tickets}
    if booking_started and domain.ticket_fate(after.venue_version, after.venue_version, after.status) != domain.CANCEL:
        for traveller in travellers:
            if traveller.delegate_ref not in ticketed and traveller.sponsorship in {"granted", "waitlisted"}:
                outlooks.append(await new_ticket_outlook(provider, after, traveller, today))
    return contracts.TravelOutlook(
        workshop_id=after.workshop_id,
        venue_version=after.venue_version,
        today=today,
        booking_started=booking_started,
        tickets=outlooks,
    )


def trip_for(after: WorkshopFacts, delegate_ref: str, home_airport: str, dates: TravelDates, today: date) -> Trip:
    """The trip the workshop's new venue version would give the delegate (as `request_trips` makes it)."""
    first = Trip(delegate_ref, after.workshop_id, after.venue_version, "requested", 1, home_airport, today)
    return replace(first, arrive_on=dates.arrive_on, leave_on=dates.leave_on)


async def ticket_outlook(
    provider: Provider, after: WorkshopFacts, ticket: Trip, traveller: Traveller | None, today: date, now: datetime
) -> contracts.TicketOutlook:
    assert ticket.order_id is not None and ticket.fare is not None
    fate = domain.ticket_fate(ticket.venue_version, after.venue_version, after.status)
    outlook = contracts.TicketOutlook(
        delegate_ref=ticket.delegate_ref,
        fate=fate,  # type: ignore[arg-type]
        currency=ticket.currency or "USD",
        booking_ref=ticket.booking_ref,
        fare=ticket.fare,
    )
    try:
        cancellation = None
        if fate == domain.FOLLOW:
            home = traveller.home_airport if traveller else ticket.home_airport
            dates = traveller.dates if traveller else ticket.dates
            new_trip = trip_for(after, ticket.delegate_ref, home, dates, today)
            priced = await price_venue_change(provider, new_trip, ticket, after, now)
            cancellation = priced.cancellation
            outlook = with_path(outlook, priced.path)
            if priced.rebook is not None:
                outlook = outlook.model_copy(update={"fresh_fare": priced.rebook.price})
        if cancellation is None:  # what cancelling gives back, under the fare's conditions as the provider states
            terms = (await provider.order(ticket.order_id)).conditions
            if terms is not None:
                cancellation = change_quote.cancellation_by_terms(terms.refundable, terms.cancellation_fee, ticket.fare)
    except (ProviderDown, ProviderRefused) as error:
        return outlook.model_copy(update={"error": f"the fare provider did not price it: {error}"})
    if cancellation is None:
        return outlook.model_copy(update={"error": outlook.error or "the fare provider stated no cancellation terms"})
    return outlook.model_copy(
        update={
            "cancellation": cancellation.outcome,
            "refund": cancellation.amount if cancellation.outcome == "refund" else 0,
            "credit": cancellation.amount if cancellation.outcome == "credit" else 0,
            "cancellation_fee": cancellation.fee,
        }
    )


def with_path(outlook: contracts.TicketOutlook, path: change_quote.PricedOption | None) -> contracts.TicketOutlook:
    if path is None:
        return outlook.model_copy(update={"error": "no itinerary within policy, by change or by a new ticket"})
    return outlook.model_copy(
        update={
            "path": path.kind,
            "extra": path.extra,
            "new_fare": path.new_fare,
            "change_fee": path.fee if path.kind == change_quote.CHANGE else None,
            "fare_difference": path.fare_difference if path.kind == change_quote.CHANGE else None,
        }
    )


async def new_ticket_outlook(
    provider: Provider, after: WorkshopFacts, traveller: Traveller, today: date
) -> contracts.TicketOutlook:
    outlook = contracts.TicketOutlook(delegate_ref=traveller.delegate_ref, fate="new", currency=after.currency)
    trip = trip_for(after, traveller.delegate_ref, traveller.home_airport, traveller.dates, today)
    try:
        offer = await search(provider, trip, after)
    except (ProviderDown, ProviderRefused) as error:
        return outlook.model_copy(update={"error": f"the fare provider did not price it: {error}"})
    if offer is None:
        return outlook.model_copy(update={"error": "no itinerary within policy"})
    return outlook.model_copy(update={"fresh_fare": offer.price, "currency": offer.currency})

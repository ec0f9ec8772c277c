"""Pricing at the provider, reads only: the cheapest offer within policy for a trip, and an older venue's ticket
priced as a change against a cancellation and a new ticket (the booking worker and the what-if both use them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from travel.domain import booking as domain
from travel.domain import change_quote
from travel.domain.booking import OfferView, Trip
from travel.service.ports import Provider, WorkshopFacts


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

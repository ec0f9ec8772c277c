"""Fare quotes for sponsorship's estimates (issue 4): priced as the delegate's trip would be, published as
FareQuoted. A read at the provider: nothing is held."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import structlog
from shared.contracts import travel as contracts
from shared.contracts.envelope import envelope_for

from travel.domain import booking as domain
from travel.domain import fare_quote
from travel.domain.booking import Trip
from travel.domain.fare_quote import FareQuote
from travel.service.ports import ProviderDown, ProviderRefused
from travel.service.pricing import search

if TYPE_CHECKING:
    from travel.service.booking import Booker

log = structlog.get_logger()


async def price_fare_quote(booker: Booker, quote: FareQuote) -> FareQuote | None:
    """Price a requested fare quote as the delegate's trip would be priced on its date (the same searches and
    policy), and publish it (FareQuoted), or why nothing is within policy. A read at the provider: nothing held.
    A provider that does not answer is asked again later; the quote as saved, or None if it changed meanwhile."""
    workshop = await booker.store.workshop_facts(quote.workshop_id)
    reason = fare_quote.why_obsolete(
        quote, workshop.venue_version if workshop else None, workshop.status if workshop else None
    )
    if reason is not None or workshop is None:
        obsolete = replace(quote, status="obsolete", error=reason)
        return obsolete if await booker.store.save_fare_quote(quote, obsolete) else None
    as_trip = Trip(quote.delegate_ref, quote.workshop_id, quote.venue_version, "requested", 1,
                   quote.home_airport, quote.quoted_on)  # fmt: skip
    try:
        done = fare_quote.priced(quote, await search(booker.provider, as_trip, workshop))
    except ProviderDown:
        log.warning("fare_quote.retry_later", delegate_ref=quote.delegate_ref, tries=quote.tries + 1)
        later = replace(quote, tries=quote.tries + 1)
        saved = await booker.store.save_fare_quote(quote, later, due_in=domain.backoff_seconds(quote.tries))
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
    events = (envelope_for(quoted, aggregate_key=done.delegate_ref, occurred_at=booker.clock()),)
    if not await booker.store.save_fare_quote(quote, done, events=events):
        return None
    log.info("fare_quote.published", delegate_ref=done.delegate_ref, priced=done.price is not None)
    return done

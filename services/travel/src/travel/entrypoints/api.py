"""HTTP read API (JSON) and the process entry point."""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict, fields
from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from shared.contracts.registration import Workshop
from shared.runtime import pool, row_or_404, serve

from travel.bootstrap import build, quote_provider, what_if_facts, workshop_late_trips
from travel.config import Settings
from travel.domain import booking
from travel.domain.booking import ACTIVE, TravelDates
from travel.service import what_if
from travel.service.ports import Provider, ProviderDown, ProviderRefused, WorkshopFacts

router = APIRouter()


@router.get("/workshops/{workshop_id}/tickets")
async def tickets(workshop_id: str, request: Request) -> dict[str, Any]:
    async with pool(request).acquire() as conn:
        workshop = await conn.fetchrow("SELECT * FROM workshops WHERE workshop_id = $1", workshop_id)
        bookings = await conn.fetch(
            "SELECT booking_ref, delegate_ref, venue_version, status, fare, currency, booked_on, days_ahead,"
            " order_id, ticket_number, fare_class, refund, credit, fee"
            " FROM bookings WHERE workshop_id = $1 ORDER BY delegate_ref, venue_version",
            workshop_id,
        )
        # Fares sponsorship could not cover: no ticket, staff told (the consistency report lists them apart).
        declined = await conn.fetch(
            "SELECT delegate_ref, venue_version, fare, reason FROM trips WHERE workshop_id = $1 AND state = 'declined'"
            " ORDER BY delegate_ref",
            workshop_id,
        )
        sponsored = await conn.fetch(
            "SELECT delegate_ref, sponsorship, award_version FROM travellers WHERE workshop_id = $1"
            " AND sponsorship IS NOT NULL ORDER BY delegate_ref",
            workshop_id,
        )
    return {
        "workshop": dict(workshop) if workshop else None,
        "bookings": [dict(row) for row in bookings],
        "declined": [dict(row) for row in declined],
        "sponsorships": [dict(row) for row in sponsored],
    }


TRIP_FIELDS = (
    "delegate_ref, workshop_id, venue_version, state, attempt, home_airport, today, fare_class, fare, currency,"
    " days_ahead, warning, segments, order_id, ticketing_deadline, booking_ref, ticket_number, reason, tries,"
    " due_at, updated_at, path, replaces, arrive_on, leave_on"
)


def _trip(row: Any) -> dict[str, Any]:
    trip = dict(row)
    if isinstance(trip.get("segments"), str):
        trip["segments"] = json.loads(trip["segments"])
    return trip


@router.get("/workshops/{workshop_id}/progress")
async def progress(workshop_id: str, request: Request) -> dict[str, Any]:
    """Trips of the current venue version by state, against the granted delegates: for progress bars."""
    async with pool(request).acquire() as conn:
        missing = f"workshop {workshop_id} is not known to travel"
        query = "SELECT venue_version FROM workshops WHERE workshop_id = $1"
        workshop = await row_or_404(conn, query, workshop_id, missing=missing)
        states = await conn.fetch(
            "SELECT state, count(*) AS n FROM trips WHERE workshop_id = $1 AND venue_version = $2 GROUP BY state",
            workshop_id,
            workshop["venue_version"],
        )
        granted = await conn.fetchval(
            "SELECT count(*) FROM travellers WHERE workshop_id = $1 AND sponsorship = 'granted'", workshop_id
        )
        bound = request.app.state.runtime.settings.travel_liveness_bound_s
        late = await workshop_late_trips(conn, bound, workshop_id)
        paths = await conn.fetch(  # after a venue change: tickets changed at the provider, or cancelled and rebooked
            "SELECT path, count(*) AS n FROM trips WHERE workshop_id = $1 AND venue_version = $2 AND path IS NOT NULL"
            " GROUP BY path",
            workshop_id,
            workshop["venue_version"],
        )
    counts = {row["state"]: row["n"] for row in states}
    done = sum(counts.get(state, 0) for state in ("ticketed", "declined", "failed", "cancelled"))
    return {
        "workshop_id": workshop_id,
        "venue_version": workshop["venue_version"],
        "granted": granted,
        "states": counts,
        "done": done,
        "in_flight": sum(counts.get(state, 0) for state in ACTIVE),
        "paths": {row["path"]: row["n"] for row in paths},
        # Trips in one state longer than the liveness bound, with what each waits for (issue 13).
        "late": [
            {
                "delegate_ref": trip.delegate_ref,
                "venue_version": trip.venue_version,
                "state": trip.state,
                "waited_s": int(waited),
                "reason": booking.overdue(trip, waited, bound),
            }
            for trip, waited in late
        ],
    }


@router.get("/workshops/{workshop_id}/manifest")
async def manifest(workshop_id: str, request: Request) -> dict[str, Any]:
    """Every valid ticket of the workshop with its flights: booking, ticket number, fare class and each segment (for
    the ticket manifest staff export with the participants' names)."""
    async with pool(request).acquire() as conn:
        rows = await conn.fetch(
            "SELECT delegate_ref, booking_ref, ticket_number, fare_class, fare, currency, venue_version, segments"
            " FROM bookings WHERE workshop_id = $1 AND status = 'ticketed' ORDER BY delegate_ref",
            workshop_id,
        )
    return {"workshop_id": workshop_id, "tickets": [_trip(row) for row in rows]}


@router.get("/delegates/{delegate_ref}/travel")
async def delegate_travel(delegate_ref: str, request: Request) -> dict[str, Any]:
    """One delegate's trips (every venue version and state) and tickets."""
    async with pool(request).acquire() as conn:
        traveller = await conn.fetchrow(
            "SELECT delegate_ref, workshop_id, home_airport, sponsorship, award_version, arrive_on, leave_on"
            " FROM travellers WHERE delegate_ref = $1",
            delegate_ref,
        )
        if traveller is None:
            raise HTTPException(404, f"delegate {delegate_ref} is not known to travel")
        trips = await conn.fetch(
            f"SELECT {TRIP_FIELDS} FROM trips WHERE delegate_ref = $1 ORDER BY venue_version", delegate_ref
        )
        bookings = await conn.fetch(
            "SELECT booking_ref, workshop_id, venue_version, status, fare, currency, fare_class, booked_on,"
            " days_ahead, order_id, ticket_number, refund, credit, fee, segments, itinerary_version, ticket_changes"
            " FROM bookings"
            " WHERE delegate_ref = $1 ORDER BY venue_version, created_at",
            delegate_ref,
        )
        latest = await conn.fetchrow(
            f"SELECT {QUOTE_FIELDS} FROM change_quotes WHERE delegate_ref = $1 ORDER BY created_at DESC, round DESC"
            " LIMIT 1",
            delegate_ref,
        )
    quote = _quote(latest, request.app.state.runtime.clock()) if latest else None
    return {
        "traveller": dict(traveller),
        "trips": [_trip(row) for row in trips],
        "bookings": [_trip(row) for row in bookings],
        "change_quote": quote if quote and quote["status"] in {"requested", "pending", "approved"} else None,
    }


QUOTE_FIELDS = (
    "quote_id, delegate_ref, workshop_id, venue_version, revision, round, reason, from_airport, to_airport,"
    " booking_ref, order_id, old_fare, currency, status, options, chosen, extra, expires_at, decided_reason,"
    " created_at, updated_at, arrive_on, leave_on, asked_by"
)


def _quote(row: Any, now: datetime) -> dict[str, Any]:
    quote = dict(row)
    if isinstance(quote.get("options"), str):
        quote["options"] = json.loads(quote["options"])
    if quote["status"] == "pending" and quote["expires_at"] is not None and now >= quote["expires_at"]:
        quote["status"] = "expired"  # as staff would find it: approving it is refused
    return quote


@router.get("/delegates/{delegate_ref}/change-quotes")
async def change_quotes(delegate_ref: str, request: Request) -> dict[str, Any]:
    """One delegate's change quotes, newest first: options priced, the one chosen, extra cost, expiry, status."""
    async with pool(request).acquire() as conn:
        rows = await conn.fetch(
            f"SELECT {QUOTE_FIELDS} FROM change_quotes WHERE delegate_ref = $1 ORDER BY created_at DESC, round DESC",
            delegate_ref,
        )
    now = request.app.state.runtime.clock()  # the quotes expire with the provider's offers, in its time
    quotes = [_quote(row, now) for row in rows]
    pending = next((quote for quote in quotes[:1] if quote["status"] == "pending"), None)
    return {"delegate_ref": delegate_ref, "now": now, "pending": pending, "quotes": quotes}


@router.get("/workshops/{workshop_id}/quotes")
async def quotes(workshop_id: str, request: Request, delegate: str | None = None) -> dict[str, Any]:
    """What the provider would sell each granted delegate (or one) today, within policy: a read, nothing held."""
    async with pool(request).acquire() as conn:
        missing = f"workshop {workshop_id} is not known to travel"
        row = await row_or_404(conn, "SELECT * FROM workshops WHERE workshop_id = $1", workshop_id, missing=missing)
        travellers = await conn.fetch(
            "SELECT delegate_ref, home_airport, arrive_on, leave_on FROM travellers WHERE workshop_id = $1"
            " AND sponsorship = 'granted'"
            " AND home_airport IS NOT NULL AND ($2::text IS NULL OR delegate_ref = $2) ORDER BY delegate_ref",
            workshop_id,
            delegate,
        )
        today = await conn.fetchval("SELECT max(today) FROM trips WHERE workshop_id = $1", workshop_id)
    if delegate is not None and not travellers:
        raise HTTPException(404, f"delegate {delegate} has no granted sponsorship for {workshop_id}")
    today = today or row["as_of"] or request.app.state.runtime.clock().date()
    provider = request.app.state.quote_provider
    answers = await asyncio.gather(
        *(
            quote_one(
                provider, t["delegate_ref"], t["home_airport"], row, today, TravelDates(t["arrive_on"], t["leave_on"])
            )
            for t in travellers
        )
    )
    return {"workshop_id": workshop_id, "today": today, "quotes": list(answers)}


async def quote_one(
    provider: Provider, delegate_ref: str, home: str, workshop: Any, today: date, dates: TravelDates
) -> dict[str, Any]:
    answer: dict[str, Any] = {"delegate_ref": delegate_ref, "home_airport": home}
    try:
        for departure, back in booking.search_dates(workshop["starts"], workshop["ends"], dates):
            if departure < today:
                continue
            offers = await provider.search(home, workshop["airport"], departure, back, today)
            chosen = booking.choose(offers, home, workshop["airport"], workshop["starts"], workshop["ends"], dates)
            if chosen is not None:
                warning = booking.early_booking_warning(chosen.price, chosen.days_ahead, chosen.currency)
                return {**answer, **asdict(chosen), "warning": warning}
        return {**answer, "error": "no itinerary within policy"}
    except (ProviderDown, ProviderRefused) as error:
        return {**answer, "error": str(error)}


@router.get("/workshops/{workshop_id}/fare-quotes")
async def fare_quotes(workshop_id: str, request: Request) -> dict[str, Any]:
    """The fare quotes published for sponsorship's estimates (`travel.quote_workshop`), newest first per delegate,
    and how many are still to be priced."""
    async with pool(request).acquire() as conn:
        rows = await conn.fetch(
            "SELECT delegate_ref, venue_version, quoted_on, home_airport, status, price, currency, days_ahead,"
            " fare_class, valid_until, error FROM fare_quotes WHERE workshop_id = $1"
            " ORDER BY delegate_ref, venue_version DESC, quoted_on DESC",
            workshop_id,
        )
    return {
        "workshop_id": workshop_id,
        "pending": sum(1 for row in rows if row["status"] == "requested"),
        "quotes": [dict(row) for row in rows],
    }


@router.get("/delegates/{delegate_ref}/bookings")
async def delegate_bookings(delegate_ref: str, request: Request) -> list[dict[str, Any]]:
    async with pool(request).acquire() as conn:
        rows = await conn.fetch("SELECT * FROM bookings WHERE delegate_ref = $1 ORDER BY venue_version", delegate_ref)
    return [dict(row) for row in rows]


@router.post("/workshops/{workshop_id}/what-if")
async def outlook(workshop_id: str, after: Workshop, request: Request) -> dict[str, Any]:
    """What the workshop's facts `after` a decision (as registration would announce them) would do to each ticket,
    priced with the provider's fares of the day as the booking worker would price it: kept, changed, cancelled and
    rebooked, or cancelled, with fees, refunds and credits; and a new ticket's fare for each sponsored or waitlisted
    delegate without one. Nothing is held or changed (issue 18)."""
    if after.workshop_id != workshop_id:
        raise HTTPException(422, f"the facts are about workshop {after.workshop_id}, not {workshop_id}")
    names = {field.name for field in fields(WorkshopFacts)}
    facts = WorkshopFacts(**{k: v for k, v in after.model_dump().items() if k in names})
    async with pool(request).acquire() as conn:
        tickets, rows, booked = await what_if_facts(conn, workshop_id)
    travellers = [
        what_if.Traveller(row["delegate_ref"], row["home_airport"], TravelDates(row["arrive_on"], row["leave_on"]),
                          row["sponsorship"])
        for row in rows
    ]  # fmt: skip
    provider = request.app.state.quote_provider
    now = provider.now()
    found = await what_if.travel_outlook(
        provider,
        facts,
        tickets,
        travellers,
        today=booking.rebooking_day(booked, after.as_of, now.date()),
        booking_started=booked is not None,
        now=now,
    )
    return found.model_dump(mode="json")


def main() -> None:
    settings = Settings()
    serve(build(settings), router, settings.travel_http_port, quote_provider=quote_provider(settings))

"""HTTP read API (JSON) and the process entry point."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import asyncpg
from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, ValidationError
from shared.contracts.envelope import describe
from shared.contracts.registration import EVENT_OF_TYPE, WorkshopEvent
from shared.contracts.travel import TravelOutlook
from shared.runtime import pool, row_or_404, serve

from sponsorship.bootstrap import build, reference_tables, rehearsal, repository
from sponsorship.config import Settings
from sponsorship.domain import simulation
from sponsorship.domain.statement import Place
from sponsorship.service import funding as funding_service
from sponsorship.service import statement as statement_service
from sponsorship.service import what_if as what_if_service

router = APIRouter()


@router.get("/pledges")
async def pledges(request: Request) -> list[dict[str, Any]]:
    async with pool(request).acquire() as conn:
        rows = await conn.fetch(
            "SELECT p.*, d.name AS donor_name,"
            " coalesce((SELECT sum(amount) FROM award_lines l WHERE l.pledge_id = p.pledge_id), 0) AS committed"
            " FROM pledges p LEFT JOIN donors d USING (donor_id) ORDER BY pledge_id"
        )
    return [dict(row) for row in rows]


@router.get("/workshops/{workshop_id}/sponsorships")
async def sponsorships(workshop_id: str, request: Request) -> dict[str, Any]:
    """Awards, budget and per-pledge commitments for one workshop (what I1 is checked against)."""
    async with pool(request).acquire() as conn:
        missing = f"workshop {workshop_id} is not known to sponsorship"
        workshop = await row_or_404(
            conn, "SELECT * FROM workshops WHERE workshop_id = $1", workshop_id, missing=missing
        )
        awards = await conn.fetch(
            "SELECT a.delegate_ref, a.status, a.priority, a.award_version, a.position, a.reason, a.total, a.currency,"
            " a.award_type, a.airfare_estimate, a.estimate_source, a.estimate_quoted_on,"
            " coalesce((SELECT json_agg(json_build_object('kind', l.kind, 'pledge_id', l.pledge_id,"
            "   'amount', l.amount, 'booking_ref', l.booking_ref) ORDER BY l.kind, l.pledge_id, l.booking_ref)"
            "   FROM award_lines l WHERE l.delegate_ref = a.delegate_ref), '[]') AS lines"
            " FROM awards a WHERE a.workshop_id = $1 ORDER BY a.priority",
            workshop_id,
        )
        requested = await repository(conn, request.app.state.sponsorship_settings.logistics_namespace).request_counts(
            workshop_id
        )
        # Amounts in the workshop's currency (at the rate recorded on each pledge); the pledge's own amount and
        # currency alongside. `committed` is everything the pledge carries (what I1 bounds); `committed_here`
        # what this workshop's places hold; `spent_here` what cancelled tickets left spent (fees, airline credits).
        pledges = await conn.fetch(
            "SELECT p.pledge_id, p.donor_id, p.kind, p.status, p.workshop_id, p.year, p.covers, p.rate, p.on_deferral,"
            " p.award_type, p.amount AS pledge_amount, p.currency AS pledge_currency, $3::text AS currency,"
            " CASE WHEN p.currency = $3 THEN p.amount ELSE coalesce(trunc(p.amount * p.rate, 2), 0) END AS amount,"
            " coalesce((SELECT sum(l.amount) FROM award_lines l WHERE l.pledge_id = p.pledge_id), 0) AS committed,"
            " coalesce((SELECT sum(l.amount) FROM award_lines l JOIN awards a USING (delegate_ref)"
            "   WHERE l.pledge_id = p.pledge_id AND a.workshop_id = $1"
            "   AND l.kind NOT IN ('ticket_fee', 'airline_credit')), 0) AS committed_here,"
            " coalesce((SELECT sum(l.amount) FROM award_lines l JOIN awards a USING (delegate_ref)"
            "   WHERE l.pledge_id = p.pledge_id AND a.workshop_id = $1"
            "   AND l.kind IN ('ticket_fee', 'airline_credit')), 0) AS spent_here"
            " FROM pledges p WHERE p.workshop_id = $1 OR (p.workshop_id IS NULL AND p.year = $2) ORDER BY pledge_id",
            workshop_id,
            workshop["year"],
            workshop["currency"],
        )
        waiting = await conn.fetchrow(
            "SELECT city, currency, needed_on, statuses, since FROM subsistence_waits WHERE workshop_id = $1",
            workshop_id,
        )
    spendable = [p for p in pledges if p["kind"] == "cash" and p["status"] in ("confirmed", "received")]
    return {
        "workshop": dict(workshop),
        # Places that wait for a subsistence rate for the workshop's city (a move there, a promotion): decided
        # once staff add one (logistics sponsorship subsistence); null when nothing waits.
        "waiting_for_subsistence_rate": dict(waiting) if waiting else None,
        "requested": requested["requested"],  # requests allocation considers (registration approved)
        "awaiting_approval": requested["awaiting_approval"],
        # Each award with the lines it holds on the pledges (kind, pledge, amount, the ticket that paid, if any).
        "awards": [{**dict(row), "lines": json.loads(row["lines"])} for row in awards],
        "pledges": [dict(row) for row in pledges],
        "budget": {
            "currency": workshop["currency"],
            # Money as decimal strings, as every amount of this API (and of the contracts) is.
            "available": sum((p["amount"] for p in spendable), Decimal(0)),
            "committed": sum((p["committed_here"] for p in pledges), Decimal(0)),
            "spent": sum((p["spent_here"] for p in pledges), Decimal(0)),
        },
    }


FUNDING_LINES = """
WITH scope AS (
    SELECT workshop_id, year, currency FROM workshops WHERE ($1::text IS NULL OR workshop_id = $1)
        AND ($2::int IS NULL OR year = $2)
),
lines AS (
    SELECT l.pledge_id, a.workshop_id, r.country,
        sum(l.amount) FILTER (WHERE l.kind NOT IN ('ticket_fee', 'airline_credit')) AS committed,
        sum(l.amount) FILTER (WHERE l.booking_ref IS NOT NULL) AS actual,
        sum(l.amount) FILTER (WHERE l.kind IN ('ticket_fee', 'airline_credit')) AS spent_on_cancellations
    FROM award_lines l JOIN awards a USING (delegate_ref) JOIN requests r USING (delegate_ref)
    WHERE a.workshop_id IN (SELECT workshop_id FROM scope)
    GROUP BY l.pledge_id, a.workshop_id, r.country
),
released AS (
    SELECT x.pledge_id, x.workshop_id, r.country, sum(x.amount) AS released
    FROM releases x JOIN requests r USING (delegate_ref)
    WHERE x.workshop_id IN (SELECT workshop_id FROM scope)
    GROUP BY x.pledge_id, x.workshop_id, r.country
)
SELECT coalesce(l.pledge_id, x.pledge_id) AS pledge_id, p.donor_id,
    coalesce(l.workshop_id, x.workshop_id) AS workshop_id, coalesce(l.country, x.country) AS country,
    coalesce(l.committed, 0) AS committed, coalesce(l.actual, 0) AS actual, coalesce(x.released, 0) AS released,
    coalesce(l.spent_on_cancellations, 0) AS spent_on_cancellations
FROM lines l FULL JOIN released x
    ON l.pledge_id = x.pledge_id AND l.workshop_id = x.workshop_id AND l.country = x.country
JOIN pledges p ON p.pledge_id = coalesce(l.pledge_id, x.pledge_id)
ORDER BY 1, 3, 4
"""


@router.get("/funding")
async def funding(request: Request, workshop: str | None = None, year: int | None = None) -> dict[str, Any]:
    """Per pledge, workshop and delegates' country: committed (what places hold now), actual (what issued
    tickets cost, with the fees and credits of cancelled ones) and released (given back, and why in `releases`).
    Amounts are in each workshop's currency; pledges carry their own amount and currency and the rate."""
    async with pool(request).acquire() as conn:
        lines = await conn.fetch(FUNDING_LINES, workshop, year)
        workshops = await conn.fetch(
            "SELECT workshop_id, year, city, status, currency, starts, ends, minimum_sponsored FROM workshops"
            " WHERE ($1::text IS NULL OR workshop_id = $1) AND ($2::int IS NULL OR year = $2) ORDER BY starts",
            workshop,
            year,
        )
        years = sorted({row["year"] for row in workshops})
        ids = [row["workshop_id"] for row in workshops]
        pledges = await conn.fetch(
            "SELECT p.pledge_id, p.donor_id, d.name AS donor_name, p.workshop_id, p.year, p.amount, p.currency,"
            " p.kind, p.covers, p.status, p.rate, p.on_deferral, p.pledged_on FROM pledges p"
            " LEFT JOIN donors d USING (donor_id) WHERE p.workshop_id = ANY($1::text[])"
            " OR (p.workshop_id IS NULL AND p.year = ANY($2::int[])) ORDER BY p.pledge_id",
            ids,
            years,
        )
        tickets = await conn.fetch(
            "SELECT workshop_id, status, count(*) AS tickets, sum(fare) AS fares, sum(refund) AS refunds,"
            " sum(credit) AS credits, sum(fee) AS fees FROM tickets WHERE workshop_id = ANY($1::text[])"
            " GROUP BY workshop_id, status ORDER BY 1, 2",
            ids,
        )
        credits = await conn.fetch(
            "SELECT c.donor_id, c.pledge_id, c.booking_ref, c.amount, c.currency FROM airline_credits c"
            " JOIN tickets t USING (booking_ref) WHERE t.workshop_id = ANY($1::text[]) ORDER BY 1, 2, 3",
            ids,
        )
        shortfalls = await conn.fetch(
            "SELECT workshop_id, situation, detected_on, event FROM shortfalls WHERE workshop_id = ANY($1::text[])"
            " ORDER BY detected_on, workshop_id",
            ids,
        )
    return {
        "workshops": [dict(row) for row in workshops],
        "pledges": [dict(row) for row in pledges],
        "lines": [dict(row) for row in lines],
        "tickets": [dict(row) for row in tickets],
        "airline_credits": [dict(row) for row in credits],
        "shortfalls": [
            {**dict(row), "event": json.loads(row["event"]) if isinstance(row["event"], str) else row["event"]}
            for row in shortfalls
        ],
    }


@router.get("/funding/simulation")
async def funding_simulation(request: Request, year: int, mode: str = "annual") -> dict[str, Any]:
    """The funding simulator: the year's pledges replayed against the fare curve, annual or per workshop."""
    if mode not in simulation.MODES:
        raise HTTPException(422, f"mode {mode!r} is not one of {', '.join(simulation.MODES)}")
    settings, tables = request.app.state.sponsorship_settings, request.app.state.sponsorship_tables
    async with pool(request).acquire() as conn:
        repo = repository(conn, settings.logistics_namespace)
        try:
            outcomes = await funding_service.simulate_year(repo, tables, year, mode)
        except funding_service.CannotSimulate as why:
            raise HTTPException(409, str(why)) from why
    return {"year": year, "mode": mode, "workshops": outcomes}


@router.get("/subsistence-rates")
async def subsistence_rates(request: Request) -> list[dict[str, Any]]:
    """The dated subsistence table in force: the shipped rows and those staff set since, oldest first."""
    settings, tables = request.app.state.sponsorship_settings, request.app.state.sponsorship_tables
    async with pool(request).acquire() as conn:
        staff = await repository(conn, settings.logistics_namespace).subsistence_rates()
    ours = {(rate.city, rate.currency, rate.effective_from) for rate in staff}
    return [
        {
            "city": rate.city,
            "currency": rate.currency,
            "rate_per_night": str(rate.rate_per_night),
            "effective_from": rate.effective_from.isoformat(),
            "set_by": "staff" if (rate.city, rate.currency, rate.effective_from) in ours else "shipped table",
            "source": rate.source,
        }
        for rate in tables.subsistence.with_rates(staff).rates
    ]


@router.get("/donors/{donor_id}/statement")
async def donor_statement(donor_id: str, request: Request, year: int | None = None) -> dict[str, Any]:
    """The statement a donor receives (issue 18): per pledge (of the year's workshops and pool, when given), each
    funded delegate by reference, country and role (no names), each cost line committed against spent (a ticket
    used or unused, an allowance paid or not by attendance, fees and airline credits), and the totals against the
    pledge. Money re-decided (given back and charged again at once) is not counted as released."""
    async with pool(request).acquire() as conn:
        missing = f"donor {donor_id} is not known to sponsorship"
        donor = await row_or_404(
            conn, "SELECT donor_id, name FROM donors WHERE donor_id = $1", donor_id, missing=missing
        )
        pledges = await conn.fetch(
            "SELECT pledge_id, workshop_id, year, amount, currency, rate, kind, status FROM pledges"
            " WHERE donor_id = $1 AND ($2::int IS NULL OR year = $2"
            " OR workshop_id IN (SELECT workshop_id FROM workshops WHERE year = $2)) ORDER BY pledge_id",
            donor_id,
            year,
        )
        ids = [row["pledge_id"] for row in pledges]
        lines = await conn.fetch(
            "SELECT l.delegate_ref, l.kind, l.pledge_id, l.amount, l.booking_ref FROM award_lines l"
            " WHERE l.pledge_id = ANY($1::text[]) ORDER BY l.delegate_ref, l.pledge_id, l.kind, l.booking_ref",
            ids,
        )
        places = await conn.fetch(
            "SELECT a.delegate_ref, a.workshop_id, r.country, r.role, a.status AS award_status,"
            " w.status AS workshop_status, CASE WHEN t.attended THEN 'attended' WHEN NOT t.attended THEN 'no_show'"
            " END AS attendance FROM awards a JOIN requests r USING (delegate_ref)"
            " JOIN workshops w ON w.workshop_id = a.workshop_id LEFT JOIN attendance t USING (delegate_ref)"
            " WHERE a.delegate_ref = ANY($1::text[])",
            list({row["delegate_ref"] for row in lines}),
        )
        funded = {row["workshop_id"] for row in places} | {row["workshop_id"] for row in pledges}
        workshops = await conn.fetch(
            "SELECT workshop_id, year, city, status, currency, starts, ends FROM workshops"
            " WHERE workshop_id = ANY($1::text[]) OR year = $2 ORDER BY starts, workshop_id",
            [w for w in funded if w],
            year,
        )
        released = await conn.fetch(
            "SELECT pledge_id, why, sum(amount) AS amount FROM releases WHERE pledge_id = ANY($1::text[])"
            " AND why <> 're-decided' GROUP BY pledge_id, why",
            ids,
        )
    return statement_service.donor_statement(
        dict(donor),
        [dict(row) for row in pledges],
        [dict(row) for row in lines],
        {row["delegate_ref"]: Place(**dict(row)) for row in places},
        {row["workshop_id"]: dict(row) for row in workshops},
        {(row["pledge_id"], row["why"]): row["amount"] for row in released},
        year,
    )


class DecisionToRehearse(BaseModel):
    workshop: dict[str, Any]  # the workshop as the decision would leave it (registration's preview)
    event_type: str  # the event registration would publish with it, e.g. registration.workshop_moved
    travel: TravelOutlook  # what travel would do to each ticket, priced today

    def event(self) -> WorkshopEvent:
        """The workshop's facts on the event the decision would publish; HTTPException 422 when it is not one."""
        event = EVENT_OF_TYPE.get(self.event_type)
        if event is None:
            raise HTTPException(422, f"{self.event_type} is not a workshop event")
        try:
            return event.model_validate(self.workshop)
        except ValidationError as error:
            raise HTTPException(422, describe(error)) from None


@router.post("/workshops/{workshop_id}/what-if")
async def what_if(workshop_id: str, body: DecisionToRehearse, request: Request) -> dict[str, Any]:
    """A decision rehearsed (issue 18): places decided again at the new venue's estimated costs, each ticket settled
    as travel priced it, and the money per pledge and donor; all in a transaction rolled back, so nothing changes.
    409 when it cannot be rehearsed (not known here, or busy past the lock wait)."""
    after = body.event()
    if after.workshop_id != workshop_id or body.travel.workshop_id != workshop_id:
        raise HTTPException(422, f"the decision and travel's outlook must both be about workshop {workshop_id}")
    settings, tables = request.app.state.sponsorship_settings, request.app.state.sponsorship_tables
    now = request.app.state.runtime.clock()  # the service's clock, as its decisions use
    async with pool(request).acquire() as conn:
        try:
            return await what_if_service.what_if(
                lambda: rehearsal(conn, settings.logistics_namespace, lambda: now), tables, after, body.travel, now
            )
        except what_if_service.CannotRehearse as why:
            raise HTTPException(409, str(why)) from None
        except asyncpg.LockNotAvailableError:
            raise HTTPException(
                409, f"workshop {workshop_id} is being changed right now; try the what-if again in a moment"
            ) from None


def main() -> None:
    settings = Settings()
    serve(
        build(settings),
        router,
        settings.sponsorship_http_port,
        sponsorship_settings=settings,
        sponsorship_tables=reference_tables(settings),
    )

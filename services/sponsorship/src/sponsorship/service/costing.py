"""What a place costs: the reference tables, staff's subsistence rates, airfare estimates and cost lines;
and, for a city without a rate, the wait recorded until staff set one.

A city without a subsistence rate: a full award there has no known cost. Staff's allocation is refused with the
command that adds the rate; what events would decide (a move's, postponement's or reschedule's re-decision, a
promotion from the waitlist) waits, recorded, until the rate is set, then happens (subsistence_rates.py)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

import structlog
from shared.contracts.envelope import Envelope

from sponsorship.domain import allocation, costs
from sponsorship.domain.eligibility import EligibilityList
from sponsorship.service.ports import Airports, Fares, RateWait, RequestRow, SubsistenceRates, WorkshopFacts

log = structlog.get_logger("sponsorship")


@dataclass(frozen=True)
class ReferenceTables:
    """What allocation needs besides the database: airports, the eligibility list, subsistence rates, and the
    ISO 4217 currency codes pledges may be in."""

    airports: Airports
    eligibility: EligibilityList
    subsistence: costs.SubsistenceTable
    currencies: frozenset[str] = frozenset({"USD"})


async def with_staff_rates(repo: SubsistenceRates, tables: ReferenceTables) -> ReferenceTables:
    """The shipped subsistence table with the rates staff have set since (read at each decision: every replica
    sees the same table)."""
    staff = await repo.subsistence_rates()
    return replace(tables, subsistence=tables.subsistence.with_rates(staff)) if staff else tables


def missing_rate(workshop: WorkshopFacts, tables: ReferenceTables) -> costs.NoSubsistenceRate | None:
    """Why full awards at the workshop cannot be costed now, or None."""
    try:
        tables.subsistence.per_night(workshop.city, workshop.starts, workshop.currency)
    except costs.NoSubsistenceRate as missing:
        return missing
    return None


async def wait_for_rate(
    repo: SubsistenceRates,
    envelope: Envelope,
    workshop: WorkshopFacts,
    missing: costs.NoSubsistenceRate,
    statuses: frozenset[str],
) -> None:
    await repo.save_rate_wait(
        RateWait(workshop.workshop_id, missing.city, missing.currency, missing.on, statuses, envelope.occurred_at)
    )
    log.warning("subsistence.rate_missing", workshop_id=workshop.workshop_id, city=missing.city,
                currency=missing.currency, needed_on=str(missing.on), waiting=sorted(statuses))  # fmt: skip


def distance_km(workshop: WorkshopFacts, home_airport: str, tables: ReferenceTables) -> float:
    home, venue = tables.airports.coordinates(home_airport), tables.airports.coordinates(workshop.airport)
    return costs.great_circle_km(home, venue) if home and venue else 0.0


def cost_lines(
    workshop: WorkshopFacts,
    home_airport: str,
    tables: ReferenceTables,
    award_type: str = allocation.FULL,
    airfare: Decimal | None = None,
) -> tuple[tuple[str, Decimal], ...]:
    """The award's estimated cost lines; `airfare` (from a fare quote) in place of the distance formula's.
    costs.NoSubsistenceRate for a full award at a city the subsistence table has no rate for."""
    estimate = costs.estimate(
        distance_km(workshop, home_airport, tables),
        workshop.city,
        workshop.starts,
        workshop.ends,
        tables.subsistence,
        workshop.currency,
        airfare,
        award_type,
    )
    return tuple(costs.for_award(award_type, estimate))


async def airfare_estimates(
    repo: Fares, workshop: WorkshopFacts, rows: list[RequestRow], tables: ReferenceTables, today: date
) -> dict[str, costs.AirfareEstimate]:
    """Each request's airfare estimate: travel's fare quote for the current venue version while usable, or the
    formula."""
    quotes = await repo.fare_quotes(workshop.workshop_id, workshop.venue_version) if rows else {}
    return {
        row.delegate_ref: costs.airfare_estimate(
            distance_km(workshop, row.home_airport, tables),
            quotes.get(row.delegate_ref),
            venue_version=workshop.venue_version,
            home_airport=row.home_airport,
            currency=workshop.currency,
            today=today,
        )
        for row in rows
    }

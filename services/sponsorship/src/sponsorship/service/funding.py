"""Funding reads that need the domain: the simulator's replay of a year's pledges against the fare curve."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from decimal import Decimal
from typing import Any

from sponsorship.domain import allocation, costs, pledges, simulation
from sponsorship.service.costing import ReferenceTables, cost_lines, with_staff_rates
from sponsorship.service.donors_and_pledges import terms
from sponsorship.service.ports import Repository

OUT = {"refused", "withdrawn", "cancelled"}


class CannotSimulate(Exception):
    """A workshop of the year cannot be costed (no subsistence rate for its city): the sentence says which."""


async def simulate_year(repo: Repository, tables: ReferenceTables, year: int, mode: str) -> list[dict[str, Any]]:
    """Each of the year's workshops (not cancelled) with its requested places in priority order at their
    estimated costs, and every cash pledge that was or is meant to be confirmed (not withdrawn), dated by
    `pledged_on` (else the workshop's or the year's first day), converted at its recorded rate."""
    workshops = [w for w in await repo.workshops_of_year(year) if w.status != "cancelled"]
    tables = await with_staff_rates(repo, tables)
    planned = []
    for workshop in workshops:
        awards = await repo.awards(workshop.workshop_id)
        try:
            requests = [
                allocation.Request(
                    row.delegate_ref, row.role, row.requested_at, cost_lines(workshop, row.home_airport, tables)
                )
                for row in await repo.open_requests(workshop.workshop_id)
                if (award := awards.get(row.delegate_ref)) is None or award.status not in OUT
            ]
        except costs.NoSubsistenceRate as missing:
            raise CannotSimulate(f"workshop {workshop.workshop_id}: {missing}") from missing
        places = tuple(
            simulation.Place(
                airfare=sum((a for kind, a in r.cost_lines if kind == "airfare"), Decimal(0)),
                other=sum((a for kind, a in r.cost_lines if kind != "airfare"), Decimal(0)),
            )
            for r in allocation.priority_order(requests)
        )
        planned.append(simulation.PlannedWorkshop(workshop.workshop_id, workshop.starts, places))
    currency = workshops[0].currency if workshops else "USD"
    as_of = {w.workshop_id: w.as_of for w in workshops}
    money = []
    for row in await repo.pledges_of_year(year):
        pledge = terms(row)
        if pledge.kind != "cash" or pledge.status == "withdrawn":
            continue
        amount = pledges.in_budget_currency(pledge.amount, pledge.currency, pledge.rate, currency)
        arrives = pledge.pledged_on or as_of.get(pledge.workshop_id or "") or date(year, 1, 1)
        if amount:
            money.append(simulation.Money(amount, arrives, pledge.workshop_id))
    return [
        {**asdict(outcome), "cost_per_delegate": outcome.cost_per_delegate, "currency": currency}
        for outcome in simulation.simulate(planned, money, mode)
    ]

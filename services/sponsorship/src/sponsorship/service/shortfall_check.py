"""Shortfall, early: checked at allocation, at pledge changes and at workshop changes; announced once per situation."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import structlog
from shared.contracts import sponsorship as contracts
from shared.contracts.envelope import Envelope, envelope_for
from shared.contracts.topics import SPONSORSHIP_FUNDING

from sponsorship.domain import allocation, shortfall
from sponsorship.domain.workshop_status import CLOSED, INACTIVE
from sponsorship.service.costing import (
    ReferenceTables,
    airfare_estimates,
    cost_lines,
    missing_rate,
    wait_for_rate,
    with_staff_rates,
)
from sponsorship.service.ports import ShortfallRepository, WorkshopFacts

log = structlog.get_logger("sponsorship")


async def check_shortfall(
    repo: ShortfallRepository,
    envelope: Envelope,
    workshop: WorkshopFacts,
    tables: ReferenceTables,
    today: date | None = None,
) -> None:
    if workshop.status in INACTIVE | CLOSED:
        return
    rules = await repo.rules(workshop.workshop_id)
    minimum = max(workshop.minimum_sponsored, rules.minimum_sponsored or 0)
    if minimum <= 0:
        return
    awards = await repo.awards(workshop.workshop_id)
    out = {"refused", "withdrawn", "cancelled"}
    rows = [
        row
        for row in await repo.open_requests(workshop.workshop_id)
        if (award := awards.get(row.delegate_ref)) is None or award.status not in out
    ]
    today = today or workshop.as_of or envelope.occurred_at.date()
    tables = await with_staff_rates(repo, tables)
    missing = missing_rate(workshop, tables)
    if missing is not None and any((a := awards.get(r.delegate_ref)) is None or a.award_type == allocation.FULL
                                   for r in rows):  # fmt: skip
        # The places' cost is not known: no assessment on a guess. It is made when the rate is set.
        await wait_for_rate(repo, envelope, workshop, missing, frozenset())
        log.warning("shortfall.not_assessed", workshop_id=workshop.workshop_id, reason=str(missing))
        return
    fares = await airfare_estimates(repo, workshop, rows, tables, today)
    requests = [
        allocation.Request(
            row.delegate_ref,
            row.role,
            row.requested_at,
            cost_lines(
                workshop,
                row.home_airport,
                tables,
                award.award_type if (award := awards.get(row.delegate_ref)) else allocation.FULL,
                fares[row.delegate_ref].amount,
            ),
        )
        for row in rows
    ]
    funds, _ = await repo.funds(workshop)
    committed_here = sum((a.total for a in awards.values() if a.status == "granted"), Decimal(0))
    found = shortfall.assess(
        minimum=minimum,
        request_totals=[request.total for request in allocation.priority_order(requests)],
        confirmed=sum((fund.remaining for fund in funds), committed_here),
        unconfirmed=await repo.unconfirmed(workshop),
        today=today,
        starts=workshop.starts,
    )
    if found is None:
        return
    event = contracts.ShortfallDetected(
        workshop_id=workshop.workshop_id,
        needed_places=found.needed_places,
        fundable_places=found.fundable_places,
        needed=found.needed,
        pledged=found.pledged,
        confirmed=found.confirmed,
        gap=found.gap,
        currency=workshop.currency,
        recommendation=found.recommendation,
        detected_on=found.detected_on,
        days_before=found.days_before,
    )
    if await repo.save_shortfall(
        workshop.workshop_id, found.situation, found.detected_on, event.model_dump(mode="json")
    ):
        log.info("shortfall.detected", workshop_id=workshop.workshop_id, recommendation=found.recommendation)
        await repo.publish(
            SPONSORSHIP_FUNDING,
            envelope_for(event, aggregate_key=workshop.workshop_id, occurred_at=repo.now(), causation=envelope),
        )

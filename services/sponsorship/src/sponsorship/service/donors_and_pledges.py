"""Record donors and their pledges; money freed up moves the waitlists."""

from __future__ import annotations

from dataclasses import fields
from decimal import Decimal
from typing import Any

from shared.contracts import sponsorship as contracts
from shared.contracts.envelope import Envelope, envelope_for
from shared.contracts.topics import SPONSORSHIP_FUNDING
from shared.messaging.consumer import Refused

from sponsorship.domain import pledges, ticketing
from sponsorship.domain.workshop_status import INACTIVE
from sponsorship.service.allocating import decide
from sponsorship.service.costing import ReferenceTables
from sponsorship.service.ports import Funding, Repository
from sponsorship.service.shortfall_check import check_shortfall


async def record_donor(repo: Funding, envelope: Envelope, command: contracts.RecordDonor) -> None:
    await repo.save_donor(command.donor_id, command.name)


def terms(pledge: dict[str, Any]) -> pledges.Pledge:
    return pledges.Pledge(**{field.name: pledge[field.name] for field in fields(pledges.Pledge)})


def spendable(pledge: dict[str, Any] | None, budget_currency: str) -> Decimal:
    """What a pledge can pay for sponsored places of a workshop: confirmed or received cash, converted."""
    return pledges.spendable(terms(pledge), budget_currency) if pledge else Decimal(0)


async def record_pledge(
    repo: Repository, envelope: Envelope, command: contracts.RecordPledge, tables: ReferenceTables
) -> None:
    proposed = command.model_dump()
    existing = await repo.pledge(command.pledge_id)
    if existing == proposed:
        return
    # Lock what the pledge funds before the pledge itself, in the order allocations lock them.
    funded = await repo.funded_workshops(command.workshop_id, command.year)
    earmarked = next((w for w in funded if w.workshop_id == command.workshop_id), None)
    budget_currency = funded[0].currency if funded else None
    reason = pledges.refusal(
        terms(proposed),
        donors=await repo.donor_names(),
        currencies=tables.currencies,
        workshop_status=earmarked.status if earmarked else None,
        budget_currency=budget_currency,
    )
    if reason is not None:
        raise Refused(reason)
    committed = await repo.committed(command.pledge_id)
    if committed > 0:
        assert budget_currency is not None  # money was committed to a workshop it funds
        if existing and (existing["workshop_id"], existing["year"], existing["currency"], existing["award_type"]) != (
            command.workshop_id,
            command.year,
            command.currency,
            command.award_type,
        ):
            raise Refused(
                f"pledge {command.pledge_id}: earmark, currency and award type cannot change once money is committed"
            )
        reason = ticketing.refusal_to_reduce(
            command.pledge_id, committed, spendable(proposed, budget_currency), budget_currency
        )
        if reason is not None:
            raise Refused(reason)
    await repo.save_pledge(proposed)
    event = contracts.PledgeRecorded(**proposed)
    await repo.publish(
        SPONSORSHIP_FUNDING,
        envelope_for(event, aggregate_key=command.pledge_id, occurred_at=repo.now(), causation=envelope),
    )
    for workshop in funded:  # money freed up: the waitlists move
        if workshop.status not in INACTIVE and spendable(proposed, workshop.currency) > spendable(
            existing, workshop.currency
        ):
            await decide(repo, envelope, workshop, tables, promote_only=True)
    for workshop in funded:
        await check_shortfall(repo, envelope, workshop, tables)

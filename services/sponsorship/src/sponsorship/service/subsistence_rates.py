"""Staff set a city's subsistence rate; what waited for it is decided then."""

from __future__ import annotations

import structlog
from shared.contracts import sponsorship as contracts
from shared.contracts.envelope import Envelope
from shared.messaging.consumer import Refused

from sponsorship.domain import costs
from sponsorship.domain.workshop_status import INACTIVE
from sponsorship.service.allocating import decide
from sponsorship.service.costing import ReferenceTables, missing_rate, with_staff_rates
from sponsorship.service.ports import Repository
from sponsorship.service.shortfall_check import check_shortfall
from sponsorship.service.workshop_decisions import reconsider

log = structlog.get_logger("sponsorship")


async def set_subsistence_rate(
    repo: Repository, envelope: Envelope, command: contracts.SetSubsistenceRate, tables: ReferenceTables
) -> None:
    """A city's daily allowance from a date on; estimates made from now on use it (places already decided keep
    theirs). The same rate again changes nothing."""
    if command.currency not in tables.currencies:
        raise Refused(f"currency {command.currency} is not an ISO 4217 code")
    rate = costs.SubsistenceRate(command.city, command.currency, command.rate_per_night, command.effective_from)
    if await repo.save_subsistence_rate(rate, command.source, envelope.occurred_at):
        log.info("subsistence.rate_set", city=command.city, currency=command.currency,
                 effective_from=str(command.effective_from))  # fmt: skip
    await resume_waiting_workshops(repo, envelope, tables)


async def resume_waiting_workshops(repo: Repository, envelope: Envelope, tables: ReferenceTables) -> None:
    """Decide what waited for a rate, for each workshop whose city now has one (or that is no longer active)."""
    for wait in await repo.rate_waits():
        workshop = await repo.workshop(wait.workshop_id, lock=True)
        if workshop is None or workshop.status in INACTIVE:
            await repo.end_rate_wait(wait.workshop_id)
            continue
        if missing_rate(workshop, await with_staff_rates(repo, tables)) is not None:
            continue
        await repo.end_rate_wait(wait.workshop_id)
        log.info("subsistence.rate_found", workshop_id=wait.workshop_id, city=workshop.city)
        if wait.statuses:
            await reconsider(repo, envelope, workshop, tables, wait.statuses)
        else:
            await decide(repo, envelope, workshop, tables, promote_only=True)
        await check_shortfall(repo, envelope, workshop, tables)

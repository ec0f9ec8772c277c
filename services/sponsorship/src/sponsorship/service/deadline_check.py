"""Deadlines that pass by themselves (issue 18): each day (a replay's tick, or the daily background check), every
workshop still to come is checked as if news had arrived; staff are told once per situation."""

from __future__ import annotations

import structlog
from shared.contracts import sponsorship as contracts
from shared.contracts.envelope import Envelope, envelope_for
from shared.contracts.topics import SPONSORSHIP_FUNDING

from sponsorship.domain import deadlines
from sponsorship.domain.workshop_status import CLOSED, INACTIVE
from sponsorship.service.costing import ReferenceTables
from sponsorship.service.ports import DeadlineRepository
from sponsorship.service.shortfall_check import check_shortfall

log = structlog.get_logger("sponsorship")


async def check_deadlines(
    repo: DeadlineRepository, envelope: Envelope, command: contracts.CheckDeadlines, tables: ReferenceTables
) -> None:
    """For every workshop still to come on `today`: its funding shortfall as the days pass (announced once per
    situation, as at any other check) and its sponsored places without a ticket as the early-booking windows close
    (BookingWindowClosing, once per workshop and window)."""
    today = command.today or envelope.occurred_at.date()
    for known in await repo.every_workshop():
        if known.status in INACTIVE | CLOSED or known.starts <= today:
            continue
        workshop = await repo.workshop(known.workshop_id, lock=True)  # queue behind allocations of the workshop
        assert workshop is not None
        await check_shortfall(repo, envelope, workshop, tables, today)
        awards = await repo.awards(workshop.workshop_id)
        granted = {ref for ref, award in awards.items() if award.status == "granted"}
        ticketed = await repo.ticket_holders(workshop.workshop_id, workshop.venue_version)
        window = deadlines.booking_window(today, workshop.starts, len(granted - ticketed))
        if window is None:
            continue
        event = contracts.BookingWindowClosing(
            workshop_id=workshop.workshop_id,
            window=window.window,
            closes_on=window.closes_on,
            places_without_ticket=window.places_without_ticket,
            detected_on=today,
            days_before=window.days_before,
        )
        if await repo.save_notice(workshop.workshop_id, window.window, today, event.model_dump(mode="json")):
            log.info("deadline.booking_window", workshop_id=workshop.workshop_id, window=window.window)
            await repo.publish(
                SPONSORSHIP_FUNDING,
                envelope_for(event, aggregate_key=workshop.workshop_id, occurred_at=repo.now(), causation=envelope),
            )

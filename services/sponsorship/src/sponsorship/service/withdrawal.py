"""Staff withdraw a sponsorship: its money goes back and the waitlist moves up."""

from __future__ import annotations

from shared.contracts import sponsorship as contracts
from shared.contracts.envelope import Envelope, envelope_for
from shared.contracts.topics import SPONSORSHIP_AWARD
from shared.messaging.consumer import Refused

from sponsorship.domain.workshop_status import INACTIVE
from sponsorship.service.allocating import decide
from sponsorship.service.costing import ReferenceTables
from sponsorship.service.ports import Repository


async def withdraw_sponsorship(
    repo: Repository, envelope: Envelope, command: contracts.WithdrawSponsorship, tables: ReferenceTables
) -> None:
    """The award's money goes back to its pledges, and the workshop's waitlist moves up into it."""
    award = await repo.award(command.delegate_ref)
    if award is None:
        raise Refused(f"delegate {command.delegate_ref} has no sponsorship to withdraw")
    workshop = await repo.workshop(award.workshop_id, lock=True)  # queue behind allocations of the workshop
    award = await repo.award(command.delegate_ref)  # as it is now that the workshop is ours
    assert workshop is not None and award is not None
    if award.status == "withdrawn":
        return  # already done: withdrawing twice changes nothing
    version = award.award_version + 1
    released = await repo.withdraw_award(command.delegate_ref, version, command.reason)
    event = contracts.SponsorshipWithdrawn(
        workshop_id=workshop.workshop_id,
        delegate_ref=command.delegate_ref,
        reason=command.reason,
        award_version=version,
        released=released,
        currency=award.currency,
    )
    await repo.publish(
        SPONSORSHIP_AWARD,
        envelope_for(event, aggregate_key=command.delegate_ref, occurred_at=repo.now(), causation=envelope),
    )
    if released > 0 and workshop.status not in INACTIVE:
        await decide(repo, envelope, workshop, tables, promote_only=True)

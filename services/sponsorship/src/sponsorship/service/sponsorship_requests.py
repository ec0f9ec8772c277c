"""Sponsorship requests: registration's copy of each delegate, staff's request, and eligibility overrides."""

from __future__ import annotations

from shared.contracts import registration as registration_events
from shared.contracts import sponsorship as contracts
from shared.contracts.envelope import Envelope, envelope_for
from shared.contracts.topics import SPONSORSHIP_AWARD
from shared.messaging.consumer import Refused

from sponsorship.domain import requests
from sponsorship.service.ports import RequestRepository


async def when_delegate_registered_keep_request(
    repo: RequestRepository, envelope: Envelope, event: registration_events.DelegateRegistered
) -> None:
    revision = await repo.request_revision(event.ref)
    if revision is not None and revision >= event.revision:
        return
    await repo.save_request(
        {
            "delegate_ref": event.ref,
            "workshop_id": event.workshop_id,
            "country": event.country,
            "role": event.role,
            "home_airport": event.home_airport,
            "requested": event.sponsorship == "requested",
            "revision": event.revision,
            "approval": event.approval,
        },
        envelope.occurred_at,
    )


async def request_sponsorship(
    repo: RequestRepository, envelope: Envelope, command: contracts.RequestSponsorship
) -> None:
    """Staff enter a registered delegate's request; it counts at the next allocation once the registration is
    approved. A redelivered command finds its inbox row; the same request sent again is refused as a second one."""
    registration = await repo.registration(command.delegate_ref)
    reason = requests.refusal(registration, command.delegate_ref, command.workshop_id)
    if reason is not None:
        raise Refused(reason)
    assert registration is not None
    await repo.record_request(command.delegate_ref, envelope.occurred_at)
    event = contracts.SponsorshipRequested(
        workshop_id=command.workshop_id,
        delegate_ref=command.delegate_ref,
        requested_at=envelope.occurred_at,
        awaiting_approval=registration.approval != "approved",
    )
    await repo.publish(
        SPONSORSHIP_AWARD,
        envelope_for(event, aggregate_key=command.delegate_ref, occurred_at=repo.now(), causation=envelope),
    )


async def override_eligibility(
    repo: RequestRepository, envelope: Envelope, command: contracts.OverrideEligibility
) -> None:
    """Recorded with its reason; the next allocation considers the request as if its country were listed."""
    if await repo.request_revision(command.delegate_ref) is None:
        raise Refused(f"delegate {command.delegate_ref} has not asked for sponsorship (not known to sponsorship)")
    await repo.save_override(command.delegate_ref, command.reason, envelope.occurred_at)

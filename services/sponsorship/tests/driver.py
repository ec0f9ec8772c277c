"""Sponsorship's handlers driven as its consumers drive them (the routes of bootstrap.py), on the fake repository;
and builders of the commands and events they read.

Costs the tests rely on (formula airfare, shipped Geneva rate, terminal expenses; see fakes.TABLES):
- Nairobi-Geneva: 6,087 km, 2 x (250 + 0.16 x 6,087) = 2,447.8, rounded up to 2,450; 3 nights at 350 = 1,050;
  terminal 152: 3,652 a full place.
- Nairobi-Vienna: 5,838 km: 2,370 + 3 nights at 200 + 152 = 3,122.
- Nairobi-Manila: 9,409 km: 3,520; Manila has no subsistence rate until a test sets one.
- Lima-Geneva: 10,458 km: 3,850 + 1,050 + 152 = 5,052. Lima-Bangkok: 19,719 km: 6,820 + 3 x 172 + 152 = 7,488.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from shared.contracts import registration, sponsorship, travel
from shared.contracts.envelope import Actor, Contract, Envelope, envelope_for
from sponsorship.service import (
    allocating,
    attendance,
    deadline_check,
    donors_and_pledges,
    fares,
    sponsorship_requests,
    subsistence_rates,
    tickets,
    withdrawal,
    workshop_decisions,
)

from .fakes import TABLES, FakeRepository

W = "race-2006-geneva"
TODAY = date(2006, 4, 20)
START = datetime(2006, 4, 20, 9, 0, tzinfo=UTC)
ACTOR = Actor(token_id="tok-1", name="Finance Officer", roles=("staff", "finance"))
DEADLINE = datetime(2006, 5, 1, tzinfo=UTC)

D = Decimal
AIRFARE = D("2450")  # Nairobi-Geneva
PLACE = D("3652")  # a full place, Nairobi-Geneva
ALLOWANCE = D("1050") + D("152")  # subsistence and terminal expenses in Geneva

GRANTED = sponsorship.SponsorshipGranted.TYPE
WAITLISTED = sponsorship.SponsorshipWaitlisted.TYPE
REFUSED = sponsorship.SponsorshipRefused.TYPE
WITHDRAWN = sponsorship.SponsorshipWithdrawn.TYPE
DEFERRED = sponsorship.SponsorshipDeferred.TYPE
APPROVED = sponsorship.FareApproved.TYPE
DECLINED = sponsorship.FareDeclined.TYPE
PLEDGE_RECORDED = sponsorship.PledgeRecorded.TYPE
SHORTFALL = sponsorship.ShortfallDetected.TYPE

# What bootstrap routes each message to, and whether the route passes the reference tables.
ROUTES: dict[type[Contract], tuple[Callable[..., Awaitable[None]], bool]] = {
    sponsorship.RecordDonor: (donors_and_pledges.record_donor, False),
    sponsorship.RecordPledge: (donors_and_pledges.record_pledge, True),
    sponsorship.RequestSponsorship: (sponsorship_requests.request_sponsorship, False),
    sponsorship.AllocateSponsorships: (allocating.allocate_sponsorships, True),
    sponsorship.OverrideEligibility: (sponsorship_requests.override_eligibility, False),
    sponsorship.SetSubsistenceRate: (subsistence_rates.set_subsistence_rate, True),
    sponsorship.SetAllocationRules: (allocating.set_allocation_rules, True),
    sponsorship.WithdrawSponsorship: (withdrawal.withdraw_sponsorship, True),
    sponsorship.CheckDeadlines: (deadline_check.check_deadlines, True),
    **{event: (workshop_decisions.when_workshop_decided_review_places, True) for event in registration.WORKSHOP_EVENTS},
    registration.DelegateRegistered: (sponsorship_requests.when_delegate_registered_keep_request, False),
    registration.AttendanceRecorded: (attendance.when_attendance_recorded_keep_it, False),
    travel.FareHeld: (fares.when_fare_held_charge_actual_fare, True),
    travel.TicketIssued: (tickets.when_ticket_issued_mark_its_money, True),
    travel.TicketCancelled: (tickets.when_ticket_cancelled_release_the_refund, True),
    travel.FareQuoted: (fares.when_fare_quoted_keep_quote, False),
}


class Sponsorship:
    """The service's handlers on one fake repository; each message is one minute after the one before."""

    def __init__(self, repo: FakeRepository | None = None) -> None:
        self.repo = repo or FakeRepository()
        self.clock = START

    async def send(self, *messages: Contract) -> Envelope:
        """Apply each message as the consumer would; the last one's envelope."""
        envelope = None
        for message in messages:
            self.clock += timedelta(minutes=1)
            envelope = envelope_for(message, aggregate_key="key", occurred_at=self.clock, actor=ACTOR)
            handler, with_tables = ROUTES[type(message)]
            await handler(self.repo, envelope, message, *((TABLES,) if with_tables else ()))
        assert envelope is not None
        return envelope

    async def allocate(self, workshop_id: str = W, **changes: Any) -> Envelope:
        return await self.send(sponsorship.AllocateSponsorships(workshop_id=workshop_id, **changes))

    def granted(self) -> list[str]:
        """Granted delegates, in priority order."""
        awards = sorted(self.repo.awards_.values(), key=lambda a: a["priority"])
        return [a["delegate_ref"] for a in awards if a["status"] == "granted"]

    def waitlisted(self) -> list[str]:
        """Waitlisted delegates, by position."""
        awards = [a for a in self.repo.awards_.values() if a["status"] == "waitlisted"]
        return [a["delegate_ref"] for a in sorted(awards, key=lambda a: a["position"])]

    def statuses(self) -> dict[str, str]:
        return self.repo.statuses()

    def committed(self, pledge_id: str = "pledge") -> Decimal:
        return self.repo.committed_to(pledge_id)


def workshop(change: str = "scheduled", **changes: Any) -> registration.WorkshopEvent:
    """The workshop's facts on the event that tells `change` (moved: WorkshopMoved...)."""
    values: dict[str, Any] = {
        "workshop_id": W, "title": "Race", "year": 2006, "city": "Geneva", "country": "CH", "airport": "GVA",
        "starts": date(2006, 7, 12), "ends": date(2006, 7, 13), "currency": "USD", "status": "scheduled",
        "venue_version": 1, "revision": 1, "as_of": TODAY,
    }  # fmt: skip
    return registration.EVENT_OF_CHANGE[change](**{**values, **changes})


def delegate(ref: str, **changes: Any) -> registration.DelegateRegistered:
    """A Kenyan official flying from Nairobi who asked for sponsorship with an approved registration."""
    values: dict[str, Any] = {
        "ref": ref, "workshop_id": W, "given_name": "Given", "family_name": "Family",
        "email": f"{ref.lower()}@delegates.example", "country": "KE", "role": "official", "language": "en",
        "home_airport": "NBO", "sponsorship": "requested", "revision": 1,
    }  # fmt: skip
    return registration.DelegateRegistered(**{**values, **changes})


def pledge(amount: Decimal | int | str, pledge_id: str = "pledge", **changes: Any) -> sponsorship.RecordPledge:
    values: dict[str, Any] = {"pledge_id": pledge_id, "donor_id": "donor", "workshop_id": W, "amount": D(amount)}
    return sponsorship.RecordPledge(**{**values, **changes})


def fare_held(ref: str, hold_id: str, fare: Decimal | int, **changes: Any) -> travel.FareHeld:
    values: dict[str, Any] = {
        "workshop_id": W, "delegate_ref": ref, "venue_version": 1, "hold_id": hold_id, "fare": D(fare),
        "currency": "USD", "estimate": AIRFARE, "ticketing_deadline": DEADLINE,
    }  # fmt: skip
    return travel.FareHeld(**{**values, **changes})


def ticket_issued(ref: str, booking_ref: str, fare: Decimal | int, **changes: Any) -> travel.TicketIssued:
    values: dict[str, Any] = {
        "workshop_id": W, "delegate_ref": ref, "venue_version": 1, "booking_ref": booking_ref, "fare": D(fare),
        "currency": "USD", "booked_on": TODAY, "days_ahead": 83, "segments": [],
    }  # fmt: skip
    return travel.TicketIssued(**{**values, **changes})


def ticket_cancelled(
    ref: str, booking_ref: str, *, refund: int = 0, credit: int = 0, fee: int = 0, **changes: Any
) -> travel.TicketCancelled:
    values: dict[str, Any] = {
        "workshop_id": W, "delegate_ref": ref, "venue_version": 1, "booking_ref": booking_ref,
        "reason": "cancelled", "refund": D(refund), "credit": D(credit), "fee": D(fee), "currency": "USD",
    }  # fmt: skip
    return travel.TicketCancelled(**{**values, **changes})


async def geneva(money: Decimal | int, delegates: int = 10, *, allocate: bool = True, **pledged: Any) -> Sponsorship:
    """The race scenario of the end-to-end tests: one Geneva workshop, one donor, one confirmed pledge earmarked
    for it, `delegates` Kenyan officials (DEL-01, DEL-02, ... in order of request), allocated once."""
    service = Sponsorship()
    await service.send(
        workshop(),
        sponsorship.RecordDonor(donor_id="donor", name="Race Donor"),
        pledge(money, **pledged),
        *(delegate(f"DEL-{n:02d}") for n in range(1, delegates + 1)),
    )
    if allocate:
        await service.allocate()
    return service

"""Commands sponsorship accepts and events it publishes."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import Field, model_validator

from shared.contracts.envelope import Command, Contract

# A full award pays airfare, daily subsistence allowance and terminal expenses; a ticket-only award the airfare.
# A ticket-only pledge pays airfare only (it pays its share of full awards' airfare, never their allowance).
AwardType = Literal["full", "ticket_only"]


class RecordDonor(Command):
    TYPE = "sponsorship.record_donor"
    ROLE = "finance"
    KEY = "donor_id"
    donor_id: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)


class RecordPledge(Command):
    """A donor's pledge, earmarked for one workshop or for a year's pool (idempotent by id)."""

    TYPE = "sponsorship.record_pledge"
    ROLE = "finance"
    KEY = "donor_id"
    pledge_id: str = Field(min_length=1, max_length=64)
    donor_id: str = Field(min_length=1, max_length=64)
    workshop_id: str | None = None
    year: int | None = None
    amount: Decimal = Field(ge=0, max_digits=14, decimal_places=2)
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    kind: Literal["cash", "in_kind"] = "cash"
    status: Literal["pledged", "confirmed", "received", "withdrawn"] = "confirmed"
    # In kind: what it covers (e.g. venue); its amount is an estimated value, never cash for travel.
    covers: str | None = Field(default=None, min_length=1, max_length=100)
    # Units of the workshop's currency per unit of the pledge's, recorded on the pledge (no live FX).
    rate: Decimal | None = Field(default=None, gt=0, max_digits=18, decimal_places=8)
    # The donor's terms when the workshop is deferred: the pledge waits for it, or is released.
    on_deferral: Literal["carry_over", "release"] = "carry_over"
    pledged_on: date | None = None
    award_type: AwardType = "full"

    @model_validator(mode="after")
    def _earmarked_once(self) -> RecordPledge:
        if (self.workshop_id is None) == (self.year is None):
            raise ValueError("a pledge is earmarked for exactly one of: a workshop, a year")
        return self


class RequestSponsorship(Command):
    """A registered delegate asks for sponsorship (the second application): refused for an unknown delegate, a
    rejected registration or a second request; from a registration pending approval it waits for the approval."""

    TYPE = "sponsorship.request_sponsorship"
    ROLE = "staff"
    KEY = "delegate_ref"
    workshop_id: str = Field(min_length=1, max_length=64)
    delegate_ref: str = Field(min_length=1, max_length=64)


class AllocateSponsorships(Command):
    TYPE = "sponsorship.allocate_sponsorships"
    ROLE = "staff"
    workshop_id: str = Field(min_length=1, max_length=64)
    today: date | None = None
    # The type of every award this decision makes (promotions from the waitlist keep the type decided here).
    award_type: AwardType = "full"


class OverrideEligibility(Command):
    """Staff accept a request from a country not on the eligibility list; the reason is kept (idempotent)."""

    TYPE = "sponsorship.override_eligibility"
    ROLE = "finance"
    KEY = "delegate_ref"
    delegate_ref: str = Field(min_length=1, max_length=64)
    reason: str = Field(min_length=1, max_length=500)


class SetAllocationRules(Command):
    """A workshop's allocation rules: at most so many grants per country, and the places it needs funded."""

    TYPE = "sponsorship.set_allocation_rules"
    ROLE = "staff"
    workshop_id: str = Field(min_length=1, max_length=64)
    max_per_country: int | None = Field(default=None, ge=1, le=1000)
    minimum_sponsored: int | None = Field(default=None, ge=0, le=10000)


class SetSubsistenceRate(Command):
    """Staff update the dated subsistence table: a city's daily allowance from a date on. Estimates made after it
    use the rate in force on each workshop's first day; the same rate again changes nothing."""

    TYPE = "sponsorship.set_subsistence_rate"
    ROLE = "finance"
    KEY = "city"
    city: str = Field(min_length=1, max_length=100)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    rate_per_night: Decimal = Field(gt=0, le=5000, decimal_places=2)
    effective_from: date
    source: str | None = Field(default=None, max_length=500)


class WithdrawSponsorship(Command):
    """Withdraw a delegate's sponsorship: its money goes back to the pledges and the waitlist moves up."""

    TYPE = "sponsorship.withdraw_sponsorship"
    ROLE = "staff"
    KEY = "delegate_ref"
    delegate_ref: str = Field(min_length=1, max_length=64)
    reason: str = Field(min_length=1, max_length=500)


class CheckDeadlines(Command):
    """The daily check of deadlines that pass by themselves (issue 18): for every workshop still to come, a funding
    shortfall as the days pass, and sponsored places without a ticket as the early-booking windows close; staff are
    told once per situation. `today`: the day checked (a replay's); None: the day the command is taken. A background
    task sends the same check once a day in live use."""

    TYPE = "sponsorship.check_deadlines"
    ROLE = "staff"
    today: date | None = None

    def message_key(self) -> str:
        return "deadlines"


class PledgeRecorded(Contract):
    TYPE = "sponsorship.pledge_recorded"
    pledge_id: str
    donor_id: str
    workshop_id: str | None
    year: int | None
    amount: Decimal
    currency: str
    kind: str
    status: str
    covers: str | None = None
    rate: Decimal | None = None
    on_deferral: str = "carry_over"
    pledged_on: date | None = None
    award_type: AwardType = "full"


class SponsorshipRequested(Contract):
    """A request taken by a staff command; it is considered at the next allocation once the registration is
    approved (`awaiting_approval` until then). Requests made with the registration itself are not announced."""

    TYPE = "sponsorship.sponsorship_requested"
    workshop_id: str
    delegate_ref: str
    requested_at: datetime
    awaiting_approval: bool


class CostLine(Contract):
    TYPE = "sponsorship.cost_line"
    kind: Literal["airfare", "subsistence", "terminal"]
    amount: Decimal
    currency: str
    pledge_id: str


class SponsorshipGranted(Contract):
    TYPE = "sponsorship.sponsorship_granted"
    workshop_id: str
    delegate_ref: str
    priority: int
    award_version: int
    cost_lines: list[CostLine]
    total: Decimal
    currency: str
    donors: list[str]
    award_type: AwardType = "full"
    # The workshop's venue version the award was decided for: a place kept through a move, postponement or
    # reschedule is granted again (award_version + 1) for the new venue or dates.
    venue_version: int | None = None
    # The day the decision was taken: the allocation's `today`, else the workshop's (a replay's), else the day the
    # command or event that caused it occurred. The invitation letter is dated by it.
    decided_on: date | None = None


class SponsorshipWaitlisted(Contract):
    TYPE = "sponsorship.sponsorship_waitlisted"
    workshop_id: str
    delegate_ref: str
    position: int
    award_version: int


class SponsorshipRefused(Contract):
    TYPE = "sponsorship.sponsorship_refused"
    workshop_id: str
    delegate_ref: str
    reason: str
    award_version: int


class SponsorshipWithdrawn(Contract):
    TYPE = "sponsorship.sponsorship_withdrawn"
    workshop_id: str
    delegate_ref: str
    reason: str
    award_version: int
    released: Decimal = Decimal(0)
    currency: str = "USD"


class SponsorshipDeferred(Contract):
    """The workshop is deferred: the place is kept, with its priority, for when it is rescheduled; its money
    goes back to the pledges meanwhile (what an issued ticket cost comes back when travel cancels it)."""

    TYPE = "sponsorship.sponsorship_deferred"
    workshop_id: str
    delegate_ref: str
    priority: int
    award_version: int
    released: Decimal = Decimal(0)
    currency: str = "USD"


class FareApproved(Contract):
    """Sponsorship has charged a held fare's actual price to the delegate's pledges: travel may ticket it."""

    TYPE = "sponsorship.fare_approved"
    workshop_id: str
    delegate_ref: str
    hold_id: str
    fare: Decimal
    currency: str
    award_version: int


class FareDeclined(Contract):
    """The held fare costs more than the money there is: no ticket; staff are told (shortfall digest)."""

    TYPE = "sponsorship.fare_declined"
    workshop_id: str
    delegate_ref: str
    hold_id: str
    fare: Decimal
    currency: str
    reason: str


class ShortfallDetected(Contract):
    """Confirmed money cannot cover the minimum number of sponsored places staff set for a workshop."""

    TYPE = "sponsorship.shortfall_detected"
    workshop_id: str
    needed_places: int
    fundable_places: int
    needed: Decimal
    pledged: Decimal
    confirmed: Decimal
    gap: Decimal
    currency: str
    recommendation: Literal["postpone", "defer", "cancel"]
    detected_on: date
    days_before: int


class BookingWindowClosing(Contract):
    """Sponsored places of a workshop still have no ticket as an early-booking window passes: the cheapest fares end
    60 days before (`cheapest_fares_end`, told a week ahead; `cheapest_fares_ended`) and fares climb steeply inside
    21 days (`early_booking_closed`). Told to staff once per workshop and window."""

    TYPE = "sponsorship.booking_window_closing"
    workshop_id: str
    window: Literal["cheapest_fares_end", "cheapest_fares_ended", "early_booking_closed"]
    closes_on: date
    places_without_ticket: int
    detected_on: date
    days_before: int


class SponsorshipCommandRefused(Contract):
    TYPE = "sponsorship.command_refused"
    command_id: str
    command_type: str
    reason: str

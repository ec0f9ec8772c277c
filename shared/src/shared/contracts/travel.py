"""Commands travel accepts and events it publishes."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import Field

from shared.contracts.envelope import Command, Contract


class BookWorkshopTravel(Command):
    """Book a ticket for every sponsored delegate of the workshop (or only `delegate_ref`) who has none for its
    current venue."""

    TYPE = "travel.book_workshop_travel"
    ROLE = "staff"
    workshop_id: str = Field(min_length=1, max_length=64)
    today: date | None = None
    delegate_ref: str | None = Field(default=None, min_length=1, max_length=64)


class CancelTravel(Command):
    """Cancel the workshop's bookings (or one delegate's): holds released, tickets cancelled with their refund
    or credit recorded. Booking again later starts afresh."""

    TYPE = "travel.cancel_travel"
    ROLE = "staff"
    workshop_id: str = Field(min_length=1, max_length=64)
    delegate_ref: str | None = Field(default=None, min_length=1, max_length=64)
    reason: str = Field(min_length=1, max_length=500)


class ApproveChange(Command):
    """Staff approve a delegate's pending change quote: its chosen option (change at the provider, or cancel and
    rebook) is carried out once sponsorship approves the extra cost. Refused when no quote is pending or it expired."""

    TYPE = "travel.approve_change"
    ROLE = "finance"
    KEY = "delegate_ref"
    delegate_ref: str = Field(min_length=1, max_length=64)


class RejectChange(Command):
    """Staff reject a delegate's pending change quote: the ticket stays as it is."""

    TYPE = "travel.reject_change"
    ROLE = "staff"
    KEY = "delegate_ref"
    delegate_ref: str = Field(min_length=1, max_length=64)
    reason: str = Field(min_length=1, max_length=500)


class QuoteChange(Command):
    """Price a ticketed delegate's change again (after a quote expired, was declined or failed)."""

    TYPE = "travel.quote_change"
    ROLE = "staff"
    KEY = "delegate_ref"
    delegate_ref: str = Field(min_length=1, max_length=64)


class QuoteWorkshop(Command):
    """Price, for every delegate of the workshop who requested sponsorship, the cheapest itinerary within policy on
    `today` (default: the workshop's), each published as `travel.fare_quoted`: sponsorship estimates airfares from
    them. Nothing is held. Idempotent: a delegate's quote is keyed by delegate, workshop, venue version and date."""

    TYPE = "travel.quote_workshop"
    ROLE = "staff"
    workshop_id: str = Field(min_length=1, max_length=64)
    today: date | None = None


class FareQuoted(Contract):
    """What the provider would sell the delegate on `quoted_on` for the workshop's venue version, within policy:
    `price` (return, economy), or `error` when nothing is within policy. A planning figure, not a hold: sponsorship
    estimates the award's airfare from it until `valid_until`; the ticket's actual price comes with FareHeld."""

    TYPE = "travel.fare_quoted"
    workshop_id: str
    delegate_ref: str
    venue_version: int
    home_airport: str
    quoted_on: date
    valid_until: date
    price: Decimal | None = None
    currency: str | None = None
    days_ahead: int | None = None
    fare_class: str | None = None
    error: str | None = None


class Segment(Contract):
    TYPE = "travel.segment"
    flight: str
    origin: str
    destination: str
    departs: datetime  # local time with its UTC offset
    arrives: datetime
    origin_tz: str
    destination_tz: str


class FareConditions(Contract):
    """What a ticket's fare allows: a change costs `change_fee` plus any fare difference; a cancellation gives the fare
    back less `cancellation_fee`, as a refund when `refundable`, otherwise as a credit with the airline."""

    TYPE = "travel.fare_conditions"
    fare_class: str
    fare_class_name: str | None = None
    refundable: bool
    change_fee: Decimal | None = None  # None: the provider did not say
    cancellation_fee: Decimal
    currency: str


class FareHeld(Contract):
    """A fare is held for a delegate; travel tickets it only after sponsorship approves its actual price (I1).

    Travel publishes it on travel.booking; sponsorship answers FareApproved or FareDeclined on sponsorship.award,
    keyed by delegate_ref, naming the same hold_id. A hold the answer arrives for after its deadline is re-quoted.
    """

    TYPE = "travel.fare_held"
    workshop_id: str
    delegate_ref: str
    venue_version: int
    hold_id: str
    fare: Decimal
    currency: str
    estimate: Decimal | None = None
    ticketing_deadline: datetime
    # A change of a ticketed itinerary (hold_id is then the change quote's id): `fare` is the extra cost beyond the
    # ticket named here, which stays valid until the change is done.
    replaces_booking_ref: str | None = None


class TicketIssued(Contract):
    TYPE = "travel.ticket_issued"
    workshop_id: str
    delegate_ref: str
    venue_version: int
    booking_ref: str
    fare: Decimal
    currency: str
    booked_on: date
    days_ahead: int
    early_booking_warning: str | None = None
    segments: list[Segment]
    # Raised when the airline changes the schedule of a valid ticket (same booking_ref): "itinerary changed".
    itinerary_version: int = 1
    conditions: FareConditions | None = None  # None: the provider did not state them


class TicketCancelled(Contract):
    """A ticket no longer valid: its delegate is no longer sponsored (or, later, its venue changed)."""

    TYPE = "travel.ticket_cancelled"
    workshop_id: str
    delegate_ref: str
    venue_version: int
    booking_ref: str
    reason: str
    # What the fare rules gave back: money to release to the pledges, or a credit with the airline.
    refund: Decimal = Decimal(0)
    credit: Decimal = Decimal(0)
    fee: Decimal = Decimal(0)
    currency: str = "USD"
    # Whether travel books the delegate again (a newer venue version, a schedule change, an approved rebooking):
    # the refund and credit then go to the next ticket. None: not stated (judged from sponsorship's own state).
    rebooking: bool | None = None


class BookingFailed(Contract):
    """No ticket for the delegate at this venue version: the provider refused the booking, or no itinerary was
    within policy. Staff are told (notifications' digest); booking again starts a new attempt."""

    TYPE = "travel.booking_failed"
    workshop_id: str
    delegate_ref: str
    venue_version: int
    attempt: int
    reason: str


class TripOverdue(Contract):
    """A trip has waited in one state longer than its liveness bound (travel's TRAVEL_LIVENESS_BOUND_S): staff are
    told what it waits for (notifications' digest), once per state and attempt. It goes on by itself if it can."""

    TYPE = "travel.trip_overdue"
    workshop_id: str
    delegate_ref: str
    venue_version: int
    attempt: int
    state: str
    waited_s: int
    reason: str


class ChangeOption(Contract):
    TYPE = "travel.change_option"
    kind: str  # change (at the provider) | rebook (cancel and buy anew)
    extra: Decimal  # beyond the ticket already paid
    new_fare: Decimal
    fee: Decimal  # the change fee, or the cancellation fee
    fare_difference: Decimal
    lost: Decimal  # rebook: what cancelling loses (fee, and a fare given back only as airline credit)
    currency: str
    expires_at: datetime
    segments: list[Segment]


class ChangeQuoted(Contract):
    """A ticketed delegate's itinerary would change (a new home airport, other travel dates, or both: `reason` says
    which): both options priced, the cheaper within policy chosen. Nothing changes on the ticket until staff approve
    (travel.approve_change) before `expires_at`."""

    TYPE = "travel.change_quoted"
    quote_id: str
    workshop_id: str
    delegate_ref: str
    venue_version: int
    booking_ref: str
    reason: str
    chosen: str
    extra: Decimal
    currency: str
    expires_at: datetime
    options: list[ChangeOption]


class ChangeDecided(Contract):
    """Staff approved or rejected a delegate's change quote (issue 18: the delegate is told). Approved: the ticket is
    changed or rebooked once sponsorship approves the extra cost (a new itinerary follows); rejected: it stays."""

    TYPE = "travel.change_decided"
    quote_id: str
    workshop_id: str
    delegate_ref: str
    reason: str  # what the change was: "home airport ACC -> LOS", ...
    revision: int  # of the registration that asked for the change
    round: int  # 1, then one more per re-quote of the same registration
    decision: Literal["approved", "rejected"]
    why: str | None = None  # staff's reason for a rejection


class TravelCommandRefused(Contract):
    TYPE = "travel.command_refused"
    command_id: str
    command_type: str
    reason: str


class TicketOutlook(Contract):
    """What a workshop decision staff are weighing would do to one delegate's ticket, priced with the provider's
    fares of the day and nothing held (a what-if, issue 18). `fate`: keep (nothing changes), follow (the ticket
    follows the new venue or dates by `path`: changed at the provider or cancelled and rebooked, while the place is
    kept), cancel (the workshop deferred or cancelled), or new (no ticket yet: `new_fare` is what one would cost).
    The cancellation fields say what cancelling the ticket gives back, whatever the fate (a place lost after a move
    cancels it too)."""

    TYPE = "travel.ticket_outlook"
    delegate_ref: str
    fate: Literal["keep", "follow", "cancel", "new"]
    currency: str = "USD"
    booking_ref: str | None = None
    fare: Decimal | None = None  # what the ticket cost
    cancellation: Literal["refund", "credit", "void"] | None = None
    refund: Decimal = Decimal(0)
    credit: Decimal = Decimal(0)
    cancellation_fee: Decimal = Decimal(0)
    path: Literal["change", "rebook"] | None = None
    extra: Decimal | None = None  # the path's cost beyond the ticket (a credit counted as lost)
    change_fee: Decimal | None = None
    fare_difference: Decimal | None = None
    new_fare: Decimal | None = None  # the fare of the ticket the path ends with (changed, or bought anew)
    fresh_fare: Decimal | None = None  # what a new ticket bought today would cost (a place granted without one)
    error: str | None = None  # why it could not be priced (provider down, nothing within policy)


class TravelOutlook(Contract):
    """Every ticket of a workshop (and the fare of a ticket for each sponsored or waitlisted delegate without one)
    under the workshop's facts as a decision would leave them; `today`: the day new tickets would be booked as of."""

    TYPE = "travel.travel_outlook"
    workshop_id: str
    venue_version: int
    today: date
    booking_started: bool
    tickets: list[TicketOutlook]

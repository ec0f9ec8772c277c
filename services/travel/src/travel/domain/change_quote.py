"""A costed change of a ticketed trip (issue 5): two ways to fly from the new home airport or on the delegate's new
travel dates, priced, the cheaper within policy chosen, and staff's decision. No I/O, no clock: "now" arrives as
an argument.

    requested --priced--> pending --approve (before its expiry)--> approved --extra approved, provider done--> applied
                                  --reject--> rejected     --its expiry passes--> expired
    requested | pending --a newer change of the delegate--> superseded
    approved --sponsorship declines the extra, or the provider refuses--> declined | failed (the ticket unchanged)

The two options: change the ticket at the provider (its change fee plus the fare difference) or cancel it and buy
a new one (what the cancellation loses under the fare rule, its fee and any part not refunded, plus the new fare).
Both are "extra cost": what it costs beyond the ticket already paid. Between equal costs the change wins (the
booking stays, nothing is given back).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from travel.domain.booking import (
    POLICY_DATES,
    OfferView,
    TravelDates,
    Trip,
    itinerary_within_policy,
    split_directions,
)

CHANGE = "change"
REBOOK = "rebook"
OPEN = ("requested", "pending")  # a newer change supersedes these
STATUSES = ("requested", "pending", "approved", "applied", "rejected", "expired", "superseded", "declined", "failed")
ZERO = Decimal(0)


class DecisionRefused(Exception):
    """Staff's decision cannot be applied to this quote; the message says why, for people."""


@dataclass(frozen=True)
class ChangeOfferView:
    """What the policy and the price need from a provider's change offer for a ticketed order."""

    offer_id: str
    fare_class: str
    price: Decimal  # the new fare of the changed ticket
    fare_difference: Decimal
    fee: Decimal
    currency: str
    days_ahead: int
    expires_at: datetime
    segments: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class Cancellation:
    """What cancelling the ticket now would give back, as the provider says (outcome: refund | credit | void)."""

    outcome: str
    amount: Decimal
    fee: Decimal


@dataclass(frozen=True)
class PricedOption:
    kind: str  # change | rebook
    offer_id: str
    extra: Decimal  # beyond the ticket already paid
    new_fare: Decimal
    fee: Decimal  # the change fee, or the cancellation fee
    fare_difference: Decimal  # change only
    lost: Decimal  # rebook only: what cancelling loses (the fee, and all of a fare given back only as credit)
    currency: str
    fare_class: str
    days_ahead: int
    expires_at: datetime
    segments: tuple[dict[str, Any], ...]

    def as_json(self) -> dict[str, Any]:
        values = {name: getattr(self, name) for name in self.__dataclass_fields__}
        for name in ("extra", "new_fare", "fee", "fare_difference", "lost"):
            values[name] = str(values[name])
        values["expires_at"] = self.expires_at.isoformat()
        values["segments"] = list(self.segments)
        return values

    @classmethod
    def from_json(cls, values: dict[str, Any]) -> PricedOption:
        values = dict(values)
        for name in ("extra", "new_fare", "fee", "fare_difference", "lost"):
            values[name] = Decimal(values[name])
        values["expires_at"] = datetime.fromisoformat(values["expires_at"])
        values["segments"] = tuple(values["segments"])
        return cls(**values)


@dataclass(frozen=True)
class ChangeQuote:
    quote_id: str
    delegate_ref: str
    workshop_id: str
    venue_version: int
    revision: int  # of the registration that asked for the change
    round: int  # 1, then one more per re-quote of the same registration
    reason: str  # what changes: "home airport ACC -> LOS", "leave on 2006-07-14 -> 2006-07-16", or both
    from_airport: str
    to_airport: str
    booking_ref: str
    order_id: str
    old_fare: Decimal
    currency: str
    status: str = "requested"
    options: tuple[PricedOption, ...] = ()
    chosen: str | None = None
    extra: Decimal | None = None
    expires_at: datetime | None = None
    decided_reason: str | None = None
    arrive_on: date | None = None  # the delegate's travel dates after the change (None: the policy's)
    leave_on: date | None = None
    asked_by: str | None = None  # the command that asked for the change (the registration event's cause), if any

    def option(self) -> PricedOption | None:
        return next((option for option in self.options if option.kind == self.chosen), None)

    @property
    def dates(self) -> TravelDates:
        return TravelDates(self.arrive_on, self.leave_on)


def quote_id(delegate_ref: str, workshop_id: str, venue_version: int, revision: int, round_: int) -> str:
    """Stable for one request: the same registration news twice asks for one quote."""
    digest = hashlib.sha256(f"{delegate_ref}|{workshop_id}|{venue_version}|{revision}|{round_}".encode())
    return f"CQ-{digest.hexdigest()[:12].upper()}"


def what_changed(trip: Trip, home: str, dates: TravelDates, starts: date, ends: date) -> str | None:
    """What the delegate's registration changes in the trip, for people ("home airport ACC -> LOS; leave on
    2006-07-14 -> 2006-07-16"), comparing the days flown (a workshop from `starts` to `ends`); None: nothing."""
    changes = [f"home airport {trip.home_airport} -> {home}"] if home != trip.home_airport else []
    (arrive_was, leave_was), (arrive, leave) = trip.dates.window(starts, ends), dates.window(starts, ends)
    if arrive != arrive_was:
        changes.append(f"arrive by {arrive_was} -> {arrive}")
    if leave != leave_was:
        changes.append(f"leave on {leave_was} -> {leave}")
    return "; ".join(changes) or None


def requested_for(
    trip: Trip,
    revision: int,
    new_home: str,
    starts: date,
    ends: date,
    dates: TravelDates = POLICY_DATES,
    round_: int = 1,
    asked_by: str | None = None,
) -> ChangeQuote:
    """A quote to price: the ticketed trip's delegate would fly from `new_home` on `dates` (registration revision
    `revision`, asked for by command `asked_by`) to a workshop from `starts` to `ends`."""
    assert trip.booking_ref and trip.order_id and trip.fare is not None and trip.currency
    return ChangeQuote(
        quote_id=quote_id(trip.delegate_ref, trip.workshop_id, trip.venue_version, revision, round_),
        delegate_ref=trip.delegate_ref,
        workshop_id=trip.workshop_id,
        venue_version=trip.venue_version,
        revision=revision,
        round=round_,
        reason=what_changed(trip, new_home, dates, starts, ends) or "no change",
        from_airport=trip.home_airport,
        to_airport=new_home,
        booking_ref=trip.booking_ref,
        order_id=trip.order_id,
        old_fare=trip.fare,
        currency=trip.currency,
        arrive_on=dates.arrive_on,
        leave_on=dates.leave_on,
        asked_by=asked_by,
    )


def what_to_do(trip_state: str, change: str | None) -> str | None:
    """A new home airport or new travel dates (`change`, from what_changed) for a delegate with a trip: "quote" a
    ticketed trip (nothing changes until staff decide), "requote" one not yet ticketed (priced afresh), or None
    (nothing changed, or nothing live)."""
    if change is None:
        return None
    if trip_state == "ticketed":
        return "quote"
    if trip_state in {"requested", "quoted", "held", "approved", "releasing"}:
        return "requote"
    return None


def choose_change(
    offers: list[ChangeOfferView],
    home: str,
    venue: str,
    starts: date,
    ends: date,
    dates: TravelDates = POLICY_DATES,
) -> ChangeOfferView | None:
    """The change offer costing least within policy; between equal costs, the one arriving latest."""
    allowed = [o for o in offers if itinerary_within_policy(o.segments, home, venue, starts, ends, dates) is None]
    if not allowed:
        return None
    arrival = {
        o.offer_id: datetime.fromisoformat(split_directions(o.segments, venue)[0][-1]["arrives"]) for o in allowed
    }
    latest_first = sorted(allowed, key=lambda o: arrival[o.offer_id], reverse=True)
    return min(latest_first, key=lambda o: o.fare_difference + o.fee)


def change_option(offer: ChangeOfferView) -> PricedOption:
    return PricedOption(
        kind=CHANGE,
        offer_id=offer.offer_id,
        extra=offer.fare_difference + offer.fee,
        new_fare=offer.price,
        fee=offer.fee,
        fare_difference=offer.fare_difference,
        lost=ZERO,
        currency=offer.currency,
        fare_class=offer.fare_class,
        days_ahead=offer.days_ahead,
        expires_at=offer.expires_at,
        segments=offer.segments,
    )


def rebook_option(
    old_fare: Decimal, cancellation: Cancellation, offer: OfferView, expires_at: datetime
) -> PricedOption:
    """Cancel and buy anew: an airline credit is counted as lost (it may never be used), a refund as money back."""
    refund = cancellation.amount if cancellation.outcome == "refund" else ZERO
    lost = old_fare - refund
    return PricedOption(
        kind=REBOOK,
        offer_id=offer.offer_id,
        extra=lost + offer.price - old_fare,
        new_fare=offer.price,
        fee=cancellation.fee,
        fare_difference=ZERO,
        lost=lost,
        currency=offer.currency,
        fare_class=offer.fare_class,
        days_ahead=offer.days_ahead,
        expires_at=expires_at,
        segments=offer.segments,
    )


def venue_change_path(
    old_fare: Decimal,
    change: ChangeOfferView | None,
    cancellation: Cancellation | None,
    rebook: OfferView | None,
    now: datetime,
) -> PricedOption | None:
    """A ticket for an older venue version, and the new venue: change it at the provider, or cancel it and buy
    `rebook`, whichever costs less beyond what was paid (a credit counted as lost; a tie goes to the change).
    None when neither is within policy (the caller filtered both)."""
    options = [change_option(change)] if change is not None else []
    if rebook is not None and cancellation is not None:
        options.append(rebook_option(old_fare, cancellation, rebook, rebook.expires_at or now))
    return cheaper(options)


def cheaper(options: list[PricedOption]) -> PricedOption | None:
    """The option costing least; a tie goes to the change."""
    return min(options, key=lambda option: (option.extra, option.kind != CHANGE), default=None)


def priced(quote: ChangeQuote, options: list[PricedOption]) -> ChangeQuote:
    """The quote with its options and the cheaper chosen (pending), or failed when neither is within policy."""
    chosen = cheaper(options)
    if chosen is None:
        reason = f"no itinerary within policy from {quote.to_airport} ({quote.reason}), by change or by a new ticket"
        return replace(quote, status="failed", options=(), decided_reason=reason)
    return replace(
        quote,
        status="pending",
        options=tuple(options),
        chosen=chosen.kind,
        extra=chosen.extra,
        expires_at=chosen.expires_at,
    )


def status_at(quote: ChangeQuote, now: datetime) -> str:
    """The quote's status as of `now`: a pending quote past its expiry is expired."""
    if quote.status == "pending" and quote.expires_at is not None and now >= quote.expires_at:
        return "expired"
    return quote.status


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _not_pending(quote: ChangeQuote, now: datetime, what: str) -> str | None:
    status = status_at(quote, now)
    if status == "expired":
        assert quote.expires_at is not None
        return (
            f"change quote {quote.quote_id} for delegate {quote.delegate_ref} expired on {_when(quote.expires_at)}:"
            f" re-quote with `logistics travel change quote --delegate {quote.delegate_ref}`"
        )
    if status != "pending":
        detail = f" ({quote.decided_reason})" if quote.decided_reason else ""
        return f"change quote {quote.quote_id} for delegate {quote.delegate_ref} is {status}{detail}: nothing to {what}"
    return None


def approve(quote: ChangeQuote, now: datetime) -> ChangeQuote:
    """Staff approve the chosen option; refused once the quote expired or was decided."""
    refusal = _not_pending(quote, now, "approve")
    if refusal is not None:
        raise DecisionRefused(refusal)
    return replace(quote, status="approved")


def reject(quote: ChangeQuote, reason: str, now: datetime) -> ChangeQuote:
    """Staff reject the change: the ticket stays as it is."""
    refusal = _not_pending(quote, now, "reject")
    if refusal is not None:
        raise DecisionRefused(refusal)
    return replace(quote, status="rejected", decided_reason=reason)


def supersede(quote: ChangeQuote, by: str) -> ChangeQuote:
    """A newer change of the delegate replaces a quote not yet decided; a decided one stays as it was."""
    if quote.status not in OPEN:
        return quote
    return replace(quote, status="superseded", decided_reason=f"superseded by {by}")


def settled(quote: ChangeQuote, status: str, reason: str | None = None) -> ChangeQuote:
    """An approved quote's end: applied, or declined (sponsorship) / failed (provider) with the ticket unchanged."""
    assert quote.status == "approved" and status in {"applied", "declined", "failed"}
    return replace(quote, status=status, decided_reason=reason)


def cancellation_by_terms(refundable: bool, cancellation_fee: Decimal, paid: Decimal) -> Cancellation:
    """What cancelling a ticket gives back under its fare's stated conditions: the fare less the cancellation fee
    (never more than the fare), as a refund when the fare is refundable, otherwise as a credit with the airline."""
    fee = min(cancellation_fee, paid)
    return Cancellation("refund" if refundable else "credit", paid - fee, fee)

"""One delegate's booking for one venue version, step by step: the states, the policy, the next step. No I/O.

requested -> quoted (an offer within policy chosen) -> held (an order with a ticketing deadline, its price sent
to sponsorship) -> approved -> ticketed; or declined / cancelled through `releasing` (the hold or ticket given
back to the provider first). A hold past its deadline goes back to requested with the next attempt: a new
quote, a new hold and a new approval, never a ticket at a price sponsorship did not see.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any

from shared.fare_curve import CHEAPEST_DAYS, EARLY_BOOKING_DAYS, advance_purchase_factor

# A trip's states and transitions live in trip_states; these stay importable from here.
from travel.domain.trip_states import ACTIVE as ACTIVE
from travel.domain.trip_states import APPROVED, HELD, QUOTED, RELEASING, REQUESTED, move
from travel.domain.trip_states import ENDED_WITHOUT_TICKET as ENDED_WITHOUT_TICKET
from travel.domain.trip_states import FINAL as FINAL

# How a trip following a ticket of an older venue version gets its ticket: that ticket changed at the provider, or
# cancelled (refund or credit) and a new one bought; whichever costs less within policy (issue 7).
CHANGE, REBOOK = "change", "rebook"
MAX_STOPS = 2
# The shortest connection the policy accepts between two legs (an airline's schedule change can shorten one).
MIN_CONNECTION = timedelta(minutes=45)
# A hold this close to its deadline is re-quoted rather than ticketed: the ticket call must land in time.
DEADLINE_MARGIN = timedelta(seconds=30)


@dataclass(frozen=True)
class OfferView:
    """What the policy needs from a provider's offer."""

    offer_id: str
    fare_class: str
    cabin: str
    price: Decimal
    currency: str
    days_ahead: int
    segments: tuple[dict[str, Any], ...]  # flight, origin, destination, departs, arrives (ISO, local), zones
    expires_at: datetime | None = None  # until when the provider holds the offer open


# How far from the workshop a delegate's own travel dates may be (registration refuses others).
MAX_DAYS_AWAY = 7
DAY = timedelta(days=1)


@dataclass(frozen=True)
class TravelDates:
    """A delegate's own travel dates from the registration; None: the policy's (the day before the workshop
    starts, the day after it ends)."""

    arrive_on: date | None = None  # arrive by this day
    leave_on: date | None = None  # fly home this day

    def window(self, starts: date, ends: date) -> tuple[date, date]:
        """(arrive by, fly home on) for a workshop from `starts` to `ends`. A delegate's day that no longer fits the
        workshop (after a postponement) gives way to the policy's."""
        away = timedelta(days=MAX_DAYS_AWAY)
        arrive, leave = self.arrive_on, self.leave_on
        arrive_by = arrive if arrive is not None and starts - away <= arrive <= starts else starts - DAY
        leave_on = leave if leave is not None and ends <= leave <= ends + away else ends + DAY
        return arrive_by, leave_on


POLICY_DATES = TravelDates()


@dataclass(frozen=True)
class Trip:
    delegate_ref: str
    workshop_id: str
    venue_version: int
    state: str
    attempt: int
    home_airport: str
    today: date
    offer_id: str | None = None
    fare_class: str | None = None
    fare: Decimal | None = None
    currency: str | None = None
    days_ahead: int | None = None
    warning: str | None = None
    segments: tuple[dict[str, Any], ...] = field(default=())
    order_id: str | None = None
    hold_key: str | None = None
    ticketing_deadline: datetime | None = None
    ticket_key: str | None = None
    cancel_key: str | None = None
    booking_ref: str | None = None
    ticket_number: str | None = None
    release_to: str | None = None
    reason: str | None = None
    tries: int = 0
    itinerary_version: int = 1  # raised by each airline schedule change applied to the ticket
    schedule_sequence: int = 0  # the last schedule change (provider's feed sequence) applied
    change_quote: str | None = None  # an approved change quote being carried out (states change_held, change_approved)
    change_key: str | None = None  # the provider change call's idempotency key, stored before the call
    path: str | None = None  # CHANGE or REBOOK: how it follows a ticket of an older venue version; None: first one
    replaces: str | None = None  # that older ticket's booking reference
    arrive_on: date | None = None  # the delegate's own travel dates the trip is booked for (None: the policy's)
    leave_on: date | None = None
    # The fare sponsorship was asked to approve (FareHeld): the id its answer names (the order held, or the change
    # offer for a change of an older venue's ticket), the amount (a change: the ticket's whole cost) and how many
    # times it was asked.
    hold_id: str | None = None
    hold_fare: Decimal | None = None
    asked: int = 0

    @property
    def dates(self) -> TravelDates:
        return TravelDates(self.arrive_on, self.leave_on)


LONGEST_OUTBOUND_DAYS = 3  # Latin America to Manila: two connections and 13 time zones land two days later


def search_dates(starts: date, ends: date, dates: TravelDates = POLICY_DATES) -> list[tuple[date, date]]:
    """Leave the day before the workshop starts, or earlier for long trips (up to three days before), to arrive
    the day before; come back the day after it ends. A delegate's own dates take the place of those days."""
    arrive_by, leave_on = dates.window(starts, ends)
    return [(arrive_by - timedelta(days=n), leave_on) for n in range(LONGEST_OUTBOUND_DAYS)]


def _local_date(value: str) -> date:
    return datetime.fromisoformat(value).date()


def split_directions(
    segments: tuple[dict[str, Any], ...], venue: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Outbound legs up to the venue, then the legs home."""
    for index, leg in enumerate(segments):
        if leg["destination"] == venue:
            return list(segments[: index + 1]), list(segments[index + 1 :])
    return list(segments), []


def within_policy(
    offer: OfferView, home: str, venue: str, starts: date, ends: date, dates: TravelDates = POLICY_DATES
) -> str | None:
    """None when the offer complies; otherwise why not."""
    if offer.cabin != "economy":
        return f"cabin {offer.cabin} is not economy"
    return itinerary_within_policy(offer.segments, home, venue, starts, ends, dates)


def itinerary_within_policy(
    segments: tuple[dict[str, Any], ...],
    home: str,
    venue: str,
    starts: date,
    ends: date,
    dates: TravelDates = POLICY_DATES,
) -> str | None:
    """None when the flights comply (also after an airline's schedule change); otherwise why not. The delegate
    arrives by the day before the workshop starts and flies home on the day after it ends or later, or by and on
    the delegate's own dates."""
    outbound, back = split_directions(segments, venue)
    if not outbound or outbound[0]["origin"] != home or outbound[-1]["destination"] != venue:
        return "does not fly from home to the venue"
    if not back or back[0]["origin"] != venue or back[-1]["destination"] != home:
        return "does not fly back home"
    if len(outbound) - 1 > MAX_STOPS or len(back) - 1 > MAX_STOPS:
        return f"more than {MAX_STOPS} stops"
    for legs in (outbound, back):
        for arriving, leaving in pairwise(legs):
            if leaving["origin"] != arriving["destination"]:
                return f"does not connect at {arriving['destination']}"
            wait = datetime.fromisoformat(leaving["departs"]) - datetime.fromisoformat(arriving["arrives"])
            if wait < MIN_CONNECTION:
                return f"connection at {arriving['destination']} shorter than {MIN_CONNECTION.seconds // 60} minutes"
    arrive_by, leave_on = dates.window(starts, ends)
    if _local_date(outbound[-1]["arrives"]) > arrive_by:
        if arrive_by == starts - DAY:
            return "arrives on or after the day the workshop starts"
        return f"arrives after {arrive_by}, the day the delegate arrives by"
    if _local_date(back[0]["departs"]) < leave_on:
        if leave_on == ends + DAY:
            return "leaves before the workshop ends"
        return f"leaves before {leave_on}, the day the delegate flies home"
    return None


def choose(
    offers: list[OfferView], home: str, venue: str, starts: date, ends: date, dates: TravelDates = POLICY_DATES
) -> OfferView | None:
    """The cheapest offer within policy; between equal prices, the one arriving latest (closest to the day before)."""
    allowed = [offer for offer in offers if within_policy(offer, home, venue, starts, ends, dates) is None]
    if not allowed:
        return None
    outbound_arrival = {o.offer_id: split_directions(o.segments, venue)[0][-1]["arrives"] for o in allowed}
    latest_first = sorted(allowed, key=lambda o: datetime.fromisoformat(outbound_arrival[o.offer_id]), reverse=True)
    return min(latest_first, key=lambda o: o.price)


def early_booking_warning(price: Decimal, days_ahead: int, currency: str) -> str | None:
    """Inside the early-booking window: what this fare costs against the same fare booked 60 days ahead."""
    if days_ahead >= EARLY_BOOKING_DAYS:
        return None
    cheapest = (price / advance_purchase_factor(days_ahead)).quantize(Decimal("1"))
    return (
        f"booked {days_ahead} days ahead, inside the {EARLY_BOOKING_DAYS}-day window:"
        f" {price} {currency} against {cheapest} {currency} at {CHEAPEST_DAYS} days"
    )


def why_obsolete(
    trip: Trip, venue_version: int | None, workshop_status: str | None, sponsorship: str | None
) -> str | None:
    """Why this trip should no longer go ahead (or its ticket stay valid), if it should not."""
    if venue_version is None:
        return "workshop unknown"
    if venue_version > trip.venue_version:
        return f"venue version {venue_version} replaces {trip.venue_version}"
    if workshop_status in {"cancelled", "deferred"}:
        return f"workshop {workshop_status}"
    if sponsorship != "granted":
        return f"sponsorship {sponsorship or 'unknown'}"
    return None


def rebooking_day(booked_on: date | None, decided_on: date | None, occurred_on: date) -> date:
    """The day a venue change's new trips are booked as of: the day the workshop's tickets were booked (a replay
    keeps its calendar), else the decision's, else the day its news arrived."""
    return booked_on or decided_on or occurred_on


# What a workshop decision does to a ticket already issued (issue 7): kept as it is (no new venue or dates),
# followed to the new venue version (changed at the provider or cancelled and rebooked, while the place is kept),
# or cancelled (the workshop deferred or cancelled).
KEEP, FOLLOW, CANCEL = "keep", "follow", "cancel"


def ticket_fate(ticket_venue_version: int, venue_version: int, workshop_status: str) -> str:
    """What the workshop's new facts do to a ticket issued for `ticket_venue_version`."""
    if workshop_status in {"cancelled", "deferred"}:
        return CANCEL
    if venue_version > ticket_venue_version:
        return FOLLOW
    return KEEP


def requote(trip: Trip, reason: str) -> Trip:
    """Back to the start with the next attempt: new idempotency keys, a new offer, a new hold and approval."""
    return move(
        trip,
        REQUESTED,
        attempt=trip.attempt + 1,
        offer_id=None,
        fare_class=None,
        fare=None,
        days_ahead=None,
        warning=None,
        segments=(),
        order_id=None,
        hold_key=None,
        ticketing_deadline=None,
        ticket_key=None,
        cancel_key=None,
        reason=reason,
        tries=0,
        # A change not made yet is priced again from the older ticket, as a change or a rebooking.
        path=None if trip.path == CHANGE else trip.path,
        change_key=None if trip.path == CHANGE else trip.change_key,
        hold_id=None,
        hold_fare=None,
        asked=0,
    )


def revive(trip: Trip, home_airport: str, today: date, dates: TravelDates) -> Trip | None:
    """A trip that ended without a ticket, booked again (the delegate granted again, staff booking again): the next
    attempt from the start, from the delegate's airport and dates as known now. Nothing of the earlier attempts
    carries over: not their keys, not the fare sponsorship was asked about, not how they followed an older ticket
    (that ticket was given back when the trip ended). Any other trip is left as it is (None)."""
    if trip.state not in ENDED_WITHOUT_TICKET:
        return None
    again = requote(trip, "booked again")
    return replace(
        again,
        home_airport=home_airport,
        today=today,
        arrive_on=dates.arrive_on,
        leave_on=dates.leave_on,
        booking_ref=None,
        ticket_number=None,
        release_to=None,
        reason=None,
        path=None,
        replaces=None,
        change_key=None,
        change_quote=None,
    )


# A trip not yet ticketed (or giving back what it held) is priced afresh when its delegate's airport or dates change.
REPRICEABLE = (REQUESTED, QUOTED, HELD, APPROVED, RELEASING)


def reprice(trip: Trip, home_airport: str, dates: TravelDates, reason: str) -> Trip | None:
    """The next attempt from a new airport or on other dates, for a trip not yet ticketed; one that may hold an order
    gives it back first (then books again), one giving back already goes on to where it was going. Any other trip is
    left as it is (None)."""
    if trip.state not in REPRICEABLE:
        return None
    giving_back = trip.state in (REQUESTED, RELEASING)
    return move(
        trip,
        REQUESTED if trip.state == REQUESTED else RELEASING,
        home_airport=home_airport,
        arrive_on=dates.arrive_on,
        leave_on=dates.leave_on,
        attempt=trip.attempt + 1,
        tries=0,
        release_to=trip.release_to if giving_back else REQUESTED,
        reason=f"changed: {reason}",
    )


def follow_change(trip: Trip, target: str, quote_id: str | None) -> Trip:
    """A ticketed trip on its way through an approved change quote (`quote_id`; None: back to its ticket as it is)."""
    return move(trip, target, change_quote=quote_id, change_key=None, tries=0)


def answer(trip: Trip, hold_id: str, approved: bool, reason: str | None) -> Trip | None:
    """Sponsorship's answer about the fare it was asked to approve: approved, the trip is ticketed (or its change
    made); declined, whatever the provider holds is given back (and, for a newer venue version, the older ticket
    with it). An answer about any other hold (an earlier attempt's, a change offer since priced again) or to a trip
    no longer waiting for one changes nothing (None)."""
    if trip.state != "held" or trip.hold_id != hold_id:
        return None
    if approved:
        return move(trip, APPROVED, tries=0)
    return move(trip, RELEASING, release_to="declined", reason=reason, tries=0)


# A held fare whose answer has not come in: sponsorship is asked again (it repeats its answer) after this long, then
# after twice as long each time, up to ASK_AT_MOST_EVERY_S.
ASK_AGAIN_S = 60.0
ASK_AT_MOST_EVERY_S = 960.0


def ask_again_in(asked: int) -> float:
    return float(min(ASK_AT_MOST_EVERY_S, ASK_AGAIN_S * 2 ** max(asked - 1, 0)))


def held_due_in(trip: Trip, now: datetime) -> float:
    """Seconds until a held trip's next step: asking again, or re-quoting once its hold nears the deadline."""
    ask = ask_again_in(trip.asked)
    if trip.ticketing_deadline is None:
        return ask
    return max(0.0, min(ask, (trip.ticketing_deadline - DEADLINE_MARGIN - now).total_seconds()))


# What a trip in each live state waits for, to say why one is late. Each should end within its bound (liveness): a
# trip that waits longer is reported (travel's /ops/status and progress, `logistics wait`, the consistency report and
# the staff digest), with this reason, never silently.
WAITING_FOR = {
    "requested": "a search at the fare provider",
    "quoted": "a hold at the fare provider",
    "held": "sponsorship's answer about the held fare",
    "approved": "the ticket at the fare provider",
    "releasing": "the fare provider to give back what it holds",
    "change_held": "sponsorship's answer about a costed change",
    "change_approved": "the change at the fare provider",
}


def overdue(trip: Trip, waited_s: float, bound_s: float) -> str | None:
    """Why a live trip is late, if it has been in its state longer than `bound_s`."""
    if trip.state not in WAITING_FOR or waited_s <= bound_s:
        return None
    why = f"{trip.state} for {waited_s:.0f} s (bound {bound_s:.0f} s), waiting for {WAITING_FOR[trip.state]}"
    if trip.state == "held" and trip.hold_id:
        why += f" {trip.hold_id} (asked {trip.asked} times)"
    if trip.reason:
        why += f"; last: {trip.reason}"
    return why


def release(trip: Trip, final_state: str, reason: str) -> Trip:
    """Give back whatever the provider may hold for this trip, then end in `final_state` ("requested": book
    again with the next attempt, as after a schedule change that breaks the policy)."""
    nothing_at_provider = trip.state == "quoted" and trip.hold_key is None
    waiting_to_change = trip.path == CHANGE and trip.state == "held"  # no change call made yet
    if trip.state == "requested" or nothing_at_provider or waiting_to_change:
        return move(trip, final_state, reason=reason, tries=0)
    return move(trip, RELEASING, release_to=final_state, reason=reason, tries=0)


def deadline_passed(trip: Trip, now: datetime) -> bool:
    return trip.ticketing_deadline is not None and now >= trip.ticketing_deadline - DEADLINE_MARGIN


def backoff_seconds(tries: int) -> float:
    return float(min(30.0, 0.5 * 2 ** min(tries, 6)))

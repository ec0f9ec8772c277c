"""The simulated provider's rules as pure functions: schedule, fare classes, seats, cancellations, changes, faults.

Distances, the advance-purchase curve and flight legs come from `gds.tariff`; this module adds
only what an airline decides for itself. Everything that looks random is a hash of the seed and the
request, so one seed always tells the same story.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from itertools import pairwise
from zoneinfo import ZoneInfo

import airportsdata

from gds.tariff import Airport, Leg, fare, great_circle_km, leg

OUTBOUND_DEPARTURES = (time(7, 0), time(18, 0))  # the first leg from home
RETURN_DEPARTURE = time(10, 30)  # the first leg from the venue

# The airline's network: these hubs fly to one another and to any airport within HUB_REACH_KM; two other
# airports fly non-stop only within REGIONAL_KM; every airport is linked at least to its nearest hub.
HUBS = (
    "LHR", "CDG", "FRA", "AMS", "MAD", "IST", "ZRH", "DXB", "DOH", "ADD", "JNB", "NBO", "CMN",
    "SIN", "BKK", "HKG", "DEL", "JFK", "MIA", "PTY", "GRU",
)  # fmt: skip
HUB_TO_HUB_KM = 16_000
HUB_REACH_KM = 10_000
REGIONAL_KM = 3_000
LONG_KM = 3_000  # beyond this, connections are offered besides any non-stop flight
TWO_STOPS_KM = 5_000  # beyond this (or with no one-stop routing), two-stop connections too
THREE_STOPS_KM = 7_000  # beyond this, one three-stop connection: the cheapest, and outside travel's policy
DETOUR = {1: 1.30, 2: 1.40, 3: 1.50}  # flown distance over the great circle, at most
ROUTINGS_PER_STOPS = {1: 2, 2: 1, 3: 1}  # the shortest routings kept
# The return fare is the curve's for the distance between the two ends, however the trip connects; but a non-stop
# flight on a route also served through hubs costs more, and a three-stop itinerary less.
NONSTOP_PREMIUM = Decimal("1.10")
THREE_STOPS_DISCOUNT = Decimal("0.85")
MIN_CONNECTION = timedelta(minutes=60)
BANK_EVERY = timedelta(hours=3)  # a hub's departures to one airport: 06:00 plus the route's offset, every 3 hours
LAST_BANK = time(23, 0)
HUB_SEAT_FACTOR = 8  # a flight from or to a hub carries this many times the seats of a regional one


@dataclass(frozen=True)
class FareClass:
    code: str
    name: str
    multiplier: Decimal  # against the economy fare on the curve
    seats: tuple[int, int]  # fewest and most seats sold in this class on one flight
    refundable: bool  # refund (less the fee) on cancellation; otherwise a credit (less the fee)
    cancellation_fee: Decimal
    change_fee: Decimal  # to move a ticket to another itinerary in the same class, plus any fare difference


FARE_CLASSES = {
    fare_class.code: fare_class
    for fare_class in (
        FareClass(
            "V",
            "economy saver",
            Decimal("1.00"),
            (4, 9),
            refundable=False,
            cancellation_fee=Decimal("100"),
            change_fee=Decimal("75"),
        ),
        FareClass(
            "M",
            "economy flex",
            Decimal("1.45"),
            (6, 15),
            refundable=True,
            cancellation_fee=Decimal("50"),
            change_fee=Decimal("25"),
        ),
        FareClass(
            "Y",
            "economy full",
            Decimal("2.10"),
            (20, 29),
            refundable=True,
            cancellation_fee=Decimal("0"),
            change_fee=Decimal("0"),
        ),
    )
}


def conditions(fare_class: str, currency: str) -> dict[str, object]:
    """A fare class's conditions as offers and orders carry them: what a change costs (plus any fare difference)
    and what a cancellation gives back (a refund when refundable, else a credit with the airline, less the fee)."""
    rule = FARE_CLASSES[fare_class]
    return {
        "fare_class": rule.code,
        "fare_class_name": rule.name,
        "refundable": rule.refundable,
        "on_cancellation": "refund" if rule.refundable else "credit",
        "cancellation_fee": {"amount": str(rule.cancellation_fee), "currency": currency},
        "change_fee": {"amount": str(rule.change_fee), "currency": currency},
    }


# Fault kinds each kind of request can suffer. Reads only fail; writes can also be accepted and then
# answered too late; ticketing can also find the held fare gone.
READ_FAULTS = ("server_error",)
WRITE_FAULTS = ("server_error", "accepted_timeout")
TICKET_FAULTS = ("server_error", "accepted_timeout", "fare_unavailable")


@dataclass(frozen=True)
class Cancellation:
    outcome: str  # "void" (a hold, nothing paid), "refund" or "credit"
    amount: Decimal  # refunded or credited
    fee: Decimal


def unit_interval(*parts: object) -> float:
    """A number in [0, 1) fixed by its parts."""
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()
    return int(digest[:13], 16) / 16**13


def short_hash(*parts: object, length: int = 10) -> str:
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:length].upper()


def flight_designator(origin: str, destination: str, day: date, departure: time) -> str:
    return f"SG{int(short_hash(origin, destination, day, departure, length=6), 16) % 9000 + 100}"


def scheduled_leg(origin: Airport, destination: Airport, day: date, departure: time) -> Leg:
    """The domain's leg, numbered by this airline (two departures a day need two flight numbers)."""
    built = leg(origin, destination, day, departure)
    return replace(built, flight=flight_designator(origin.code, destination.code, day, departure))


@functools.cache
def hub_airports() -> tuple[Airport, ...]:
    known = airportsdata.load("IATA")
    return tuple(Airport(code, known[code]["lat"], known[code]["lon"], known[code]["tz"]) for code in HUBS)


@functools.cache
def distance(a: Airport, b: Airport) -> float:
    return great_circle_km(a, b)


@functools.cache
def nearest_hub(airport: Airport) -> Airport:
    return min((hub for hub in hub_airports() if hub.code != airport.code), key=lambda hub: distance(airport, hub))


def flies_nonstop(a: Airport, b: Airport) -> bool:
    """Whether the network links two airports with a non-stop flight (by distance and hub status)."""
    if a.code == b.code:
        return False
    km, hubs = distance(a, b), (a.code in HUBS) + (b.code in HUBS)
    if hubs == 2:
        return km <= HUB_TO_HUB_KM
    if hubs == 1:
        return km <= HUB_REACH_KM or b == nearest_hub(a) or a == nearest_hub(b)
    return km <= REGIONAL_KM


@functools.cache
def routings(origin: Airport, destination: Airport) -> tuple[tuple[Airport, ...], ...]:
    """The hubs an itinerary may connect through, outbound (the way back reverses them): () for a non-stop flight
    where the network has one; for long routes the shortest one-, two- and (far enough) three-stop routings within
    their detour; failing all, through the nearest hub of each end. Fixed by the two airports alone."""
    direct = flies_nonstop(origin, destination)
    found: list[tuple[Airport, ...]] = [()] if direct else []
    km = distance(origin, destination)
    if direct and km < LONG_KM:
        return tuple(found)
    hubs = [hub for hub in hub_airports() if hub.code not in {origin.code, destination.code}]

    def kept(stops: int, candidates: list[tuple[Airport, ...]]) -> list[tuple[Airport, ...]]:
        flown = {via: sum(distance(a, b) for a, b in pairwise((origin, *via, destination))) for via in candidates}
        allowed = [via for via in candidates if flown[via] <= DETOUR[stops] * km and len(set(via)) == stops]
        return sorted(allowed, key=lambda via: (flown[via], [hub.code for hub in via]))[: ROUTINGS_PER_STOPS[stops]]

    def linked(via: tuple[Airport, ...]) -> bool:
        return all(flies_nonstop(a, b) for a, b in pairwise((origin, *via, destination)))

    firsts = [hub for hub in hubs if flies_nonstop(origin, hub)]
    lasts = [hub for hub in hubs if flies_nonstop(hub, destination)]
    one = kept(1, [(hub,) for hub in firsts if hub in lasts])
    found += one
    if km >= TWO_STOPS_KM or not one:
        found += kept(2, [(a, b) for a in firsts for b in lasts if linked((a, b))])
    if km >= THREE_STOPS_KM:
        found += kept(3, [(a, m, b) for a in firsts for m in hubs for b in lasts if linked((a, m, b))])
    if not found:
        first, last = nearest_hub(origin), nearest_hub(destination)
        found.append(tuple(hub for hub in dict.fromkeys((first, last)) if hub not in {origin, destination}))
    return tuple(found)


def bank_departure(hub: Airport, to: Airport, after: datetime) -> datetime:
    """The hub's first departure to `to` at least MIN_CONNECTION after `after`: from 06:00 local plus an offset
    fixed by the route, every BANK_EVERY, the last before LAST_BANK; then the next day's first."""
    zone = ZoneInfo(hub.tz)
    ready = (after + MIN_CONNECTION).astimezone(zone)
    offset = timedelta(minutes=5 * int(unit_interval("bank", hub.code, to.code) * 36))  # 0 to 175 minutes
    day = ready.date()
    while True:
        departs = datetime.combine(day, time(6, 0), zone) + offset
        while departs.time() <= LAST_BANK and departs.date() == day:
            if departs >= ready:
                return departs
            departs += BANK_EVERY
        day += timedelta(days=1)


def direction(points: tuple[Airport, ...], day: date, first_departure: time) -> tuple[Leg, ...]:
    """The legs through `points`: the first at `first_departure` on `day`, each next one at its hub's bank."""
    legs = [scheduled_leg(points[0], points[1], day, first_departure)]
    for here, there in pairwise(points[1:]):
        departs = bank_departure(here, there, legs[-1].arrives)
        legs.append(scheduled_leg(here, there, departs.date(), departs.time()))
    return tuple(legs)


@dataclass(frozen=True)
class Itinerary:
    outbound: tuple[Leg, ...]
    back: tuple[Leg, ...]
    via: tuple[str, ...]  # the outbound's connecting airports; the way back reverses them

    @property
    def legs(self) -> tuple[Leg, ...]:
        return self.outbound + self.back

    @property
    def stops(self) -> int:
        return len(self.via)


@functools.lru_cache(maxsize=4096)
def itineraries(
    origin: Airport, destination: Airport, departure_date: date, return_date: date
) -> tuple[Itinerary, ...]:
    """Every routing at each outbound departure, coming back the same way at RETURN_DEPARTURE."""
    found = []
    for via in routings(origin, destination):
        back = direction((destination, *reversed(via), origin), return_date, RETURN_DEPARTURE)
        for departure in OUTBOUND_DEPARTURES:
            outbound = direction((origin, *via, destination), departure_date, departure)
            found.append(Itinerary(outbound, back, tuple(hub.code for hub in via)))
    return tuple(found)


def connections(legs: tuple[Leg, ...]) -> list[dict[str, object]]:
    """Where and how long each connection waits (minutes between one leg's arrival and the next one's departure)."""
    return [
        {"airport": a.destination, "minutes": int((b.departs - a.arrives).total_seconds() // 60)}
        for a, b in pairwise(legs)
    ]


def routing_factor(origin: Airport, destination: Airport, via: tuple[str, ...]) -> Decimal:
    """What the routing does to the fare: a non-stop competing with connections costs NONSTOP_PREMIUM times more, a
    three-stop itinerary THREE_STOPS_DISCOUNT; one or two stops, or a non-stop that is the only way, the fare."""
    if not via:
        return NONSTOP_PREMIUM if len(routings(origin, destination)) > 1 else Decimal(1)
    return THREE_STOPS_DISCOUNT if len(via) >= 3 else Decimal(1)


def price(
    origin: Airport, destination: Airport, days_ahead: int, fare_class: str, via: tuple[str, ...] = ()
) -> Decimal:
    """Return fare in USD: the domain's curve for the great-circle distance between the two ends, times the fare
    class's multiplier and the routing's factor, in whole units."""
    economy = fare(great_circle_km(origin, destination), days_ahead)
    factor = FARE_CLASSES[fare_class].multiplier * routing_factor(origin, destination, via)
    return (economy * factor).quantize(Decimal("1"))


def seat_capacity(seed: int, flight: str, day: date, fare_class: str, hub: bool = False) -> int:
    """Seats sold in a fare class on one flight; a flight from or to a hub carries HUB_SEAT_FACTOR times more."""
    fewest, most = FARE_CLASSES[fare_class].seats
    seats = fewest + int(unit_interval(seed, "seats", flight, day, fare_class) * (most - fewest + 1))
    return seats * HUB_SEAT_FACTOR if hub else seats


def serves_hub(flight: Leg) -> bool:
    return flight.origin in HUBS or flight.destination in HUBS


def _legs_print(legs: tuple[Leg, ...]) -> str:
    return ",".join(f"{flight.flight}@{flight.departs.isoformat()}" for flight in legs)


def offer_id(seed: int, itinerary: Itinerary, fare_class: str, today: date) -> str:
    return "OFF" + short_hash(seed, _legs_print(itinerary.legs), fare_class, today)


def order_id(seed: int, idempotency_key: str) -> str:
    return "ORD" + short_hash(seed, "order", idempotency_key)


def booking_reference(seed: int, order: str) -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    digest = hashlib.sha256(f"{seed}|pnr|{order}".encode()).digest()
    return "".join(alphabet[b % len(alphabet)] for b in digest[:6])


def ticket_number(seed: int, order: str, exchange: int = 0) -> str:
    """The order's ticket; `exchange` n > 0: the ticket that replaces it after its n-th change."""
    parts = (seed, "ticket", order) if exchange == 0 else (seed, "ticket", order, exchange)
    return f"999-{int(short_hash(*parts, length=12), 16) % 10**10:010d}"


def cancellation(fare_class: str, paid: Decimal, ticketed: bool) -> Cancellation:
    """What cancelling returns: a hold is voided; a ticket is refunded or credited, less the class's fee."""
    if not ticketed:
        return Cancellation("void", Decimal("0"), Decimal("0"))
    rule = FARE_CLASSES[fare_class]
    fee = min(rule.cancellation_fee, paid)
    return Cancellation("refund" if rule.refundable else "credit", paid - fee, fee)


@dataclass(frozen=True)
class ChangeTerms:
    fare_difference: Decimal  # paid when the new itinerary costs more; never refunded when it costs less
    fee: Decimal

    @property
    def total_due(self) -> Decimal:
        return self.fare_difference + self.fee


def change_terms(fare_class: str, paid: Decimal, new_price: Decimal) -> ChangeTerms:
    """What moving a ticket to another itinerary of its fare class costs: the class's change fee and the fare
    difference (if the new itinerary costs more)."""
    return ChangeTerms(max(new_price - paid, Decimal("0")), FARE_CLASSES[fare_class].change_fee)


def change_offer_id(seed: int, order: str, itinerary: Itinerary, today: date) -> str:
    return "CHG" + short_hash(seed, "change", order, _legs_print(itinerary.legs), today)


def fault_for(seed: int, rate: float, fingerprint: str, occurrence: int, kinds: tuple[str, ...]) -> str | None:
    """The fault, if any, for the `occurrence`-th time this request is seen: a retry rolls again."""
    if rate <= 0 or not kinds or unit_interval(seed, "fault", fingerprint, occurrence) >= rate:
        return None
    return kinds[int(unit_interval(seed, "kind", fingerprint, occurrence) * len(kinds))]

"""The simulated provider's rules as pure functions: schedule, fare classes, seats, cancellations, changes, faults.

Distances, the advance-purchase curve and flight legs come from `travel.domain.fares`; this module adds
only what an airline decides for itself. Everything that looks random is a hash of the seed and the
request, so one seed always tells the same story.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import date, time
from decimal import Decimal

from travel.domain.fares import Airport, Leg, fare, great_circle_km, leg

OUTBOUND_DEPARTURES = (time(7, 0), time(18, 0))
RETURN_DEPARTURE = time(10, 30)


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


def itineraries(
    origin: Airport, destination: Airport, departure_date: date, return_date: date
) -> list[tuple[Leg, Leg]]:
    back = scheduled_leg(destination, origin, return_date, RETURN_DEPARTURE)
    return [(scheduled_leg(origin, destination, departure_date, t), back) for t in OUTBOUND_DEPARTURES]


def price(origin: Airport, destination: Airport, days_ahead: int, fare_class: str) -> Decimal:
    """Return fare in USD: the domain's curve times the fare class's multiplier, in whole units."""
    economy = fare(great_circle_km(origin, destination), days_ahead)
    return (economy * FARE_CLASSES[fare_class].multiplier).quantize(Decimal("1"))


def seat_capacity(seed: int, flight: str, day: date, fare_class: str) -> int:
    fewest, most = FARE_CLASSES[fare_class].seats
    return fewest + int(unit_interval(seed, "seats", flight, day, fare_class) * (most - fewest + 1))


def offer_id(seed: int, outbound: Leg, back: Leg, fare_class: str, today: date) -> str:
    return "OFF" + short_hash(seed, outbound.flight, outbound.departs, back.flight, back.departs, fare_class, today)


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


def change_offer_id(seed: int, order: str, outbound: Leg, back: Leg, today: date) -> str:
    return "CHG" + short_hash(
        seed, "change", order, outbound.flight, outbound.departs, back.flight, back.departs, today
    )


def fault_for(seed: int, rate: float, fingerprint: str, occurrence: int, kinds: tuple[str, ...]) -> str | None:
    """The fault, if any, for the `occurrence`-th time this request is seen: a retry rolls again."""
    if rate <= 0 or not kinds or unit_interval(seed, "fault", fingerprint, occurrence) >= rate:
        return None
    return kinds[int(unit_interval(seed, "kind", fingerprint, occurrence) * len(kinds))]

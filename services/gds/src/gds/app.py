"""The simulated GDS over HTTP: offers, orders, tickets, cancellations, changes, schedule changes, admin views.

State is plain JSON-ready dicts in memory, written behind to an optional snapshot file (every 0.2 s
when something changed, and at shutdown) so a restarted simulator still knows its orders; a SIGKILL of
the simulator itself may lose its last 0.2 s. Handlers never await between reading and changing
state, so each write is atomic on the event loop.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import airportsdata
import uvicorn
from fastapi import APIRouter, FastAPI, Header, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from shared.observability import tracing

from gds import rules
from gds.tariff import Airport, Leg

SNAPSHOT_EVERY_S = 0.2
SWEEP_EVERY_S = 30.0
Outcome = tuple[int, dict[str, Any], bool]  # status code, body, whether a write happened (to remember)


@dataclass(frozen=True)
class Config:
    seed: int = 0
    fault_rate: float = 0.0
    fault_delay: float = 10.0  # seconds an accepted write waits before answering, past the client's timeout
    hold_seconds: float = 1800.0
    offer_seconds: float = 1800.0
    state_file: Path | None = None
    seat_scale: int = 1  # every flight's seats in each fare class times this (large benchmarks)


class OfferSearch(BaseModel):
    model_config = ConfigDict(hide_input_in_errors=True)
    origin: str
    destination: str
    departure_date: date
    return_date: date
    today: date


class OrderRequest(BaseModel):
    model_config = ConfigDict(hide_input_in_errors=True)
    offer_id: str
    passenger_ref: str


class ChangeRequest(BaseModel):
    model_config = ConfigDict(hide_input_in_errors=True)
    change_offer_id: str


class ScheduleChangeRequest(BaseModel):
    flight: str
    departure_date: date
    delay_minutes: int


class ClockAdvance(BaseModel):
    seconds: float


def error(status: int, code: str, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, **extra}}, status_code=status)


def segment(flight: Leg) -> dict[str, Any]:
    return {
        "flight": flight.flight,
        "origin": flight.origin,
        "destination": flight.destination,
        "departs": flight.departs.isoformat(),
        "arrives": flight.arrives.isoformat(),
        "origin_tz": flight.origin_tz,
        "destination_tz": flight.destination_tz,
    }


def inventory_key(flight: str, origin: str, departs: str) -> str:
    return f"{flight}|{origin}|{departs[:10]}"  # flight, where from and local departure date


def legs_of(segments: list[dict[str, Any]]) -> tuple[Leg, ...]:
    return tuple(
        Leg(s["flight"], s["origin"], s["destination"], datetime.fromisoformat(s["departs"]),
            datetime.fromisoformat(s["arrives"]), s["origin_tz"], s["destination_tz"])
        for s in segments
    )  # fmt: skip


def routing(itinerary: rules.Itinerary) -> dict[str, Any]:
    """Stops and connections of an offer, per direction (the legs themselves are its `segments`)."""
    return {
        "stops": itinerary.stops,
        "via": list(itinerary.via),
        "connections": {
            "outbound": rules.connections(itinerary.outbound),
            "return": rules.connections(itinerary.back),
        },
    }


class Simulator:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.airports = airportsdata.load("IATA")
        self.state: dict[str, Any] = {
            "orders": {},
            "offers": {},
            "keys": {},  # idempotency key -> {fingerprint, status, body, order_id}
            "changes": [],
            "change_offers": {},
            "occurrences": {},  # request fingerprint -> times seen (faults roll per occurrence)
            "clock_offset": 0.0,
            "stats": {"requests": 0, "faults": {"server_error": 0, "accepted_timeout": 0, "fare_unavailable": 0}},
        }
        if config.state_file and config.state_file.exists():
            self.state.update(json.loads(config.state_file.read_text()))
        self.dirty = False
        self.swept = 0.0  # monotonic time of the last sweep of expired offers
        # Seats taken per leg and fare class, kept up to date by every write instead of counted over the whole order
        # book at each search and hold (which grew with the square of the orders); rebuilt from the orders when
        # unknown (start-up, a schedule change) or when a hold may have expired since.
        self.taken: dict[str, int] | None = None
        self.next_expiry: datetime | None = None

    # -- time, persistence, faults ---------------------------------------------------------------

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self.state["clock_offset"])

    def save(self) -> None:
        """Mark the state for the next snapshot: written behind, every SNAPSHOT_EVERY_S and at shutdown, so a
        large order book does not cost a full JSON dump per request."""
        self.dirty = True

    def flush(self) -> None:
        if self.config.state_file is None or not self.dirty:
            return
        self.dirty = False
        temporary = self.config.state_file.with_suffix(".tmp")
        temporary.write_text(json.dumps(self.state))
        os.replace(temporary, self.config.state_file)

    def roll_fault(self, fingerprint: str, kinds: tuple[str, ...]) -> str | None:
        occurrences = self.state["occurrences"]
        occurrences[fingerprint] = occurrences.get(fingerprint, 0) + 1
        self.state["stats"]["requests"] += 1
        fault = rules.fault_for(self.config.seed, self.config.fault_rate, fingerprint, occurrences[fingerprint], kinds)
        if fault:
            self.state["stats"]["faults"][fault] += 1
        return fault

    def airport(self, code: str) -> Airport | None:
        found = self.airports.get(code.upper())
        if not found or not found.get("tz"):
            return None
        return Airport(found["iata"], found["lat"], found["lon"], found["tz"])

    # -- orders and seats --------------------------------------------------------------------------

    def refreshed(self, order: dict[str, Any]) -> dict[str, Any]:
        """A hold past its ticketing deadline is expired (and gives its seats back)."""
        if order["status"] == "held" and datetime.fromisoformat(order["ticketing_deadline"]) <= self.now():
            order["status"] = "expired"
        return order

    def seats_taken(self) -> dict[str, int]:
        if self.taken is None or (self.next_expiry is not None and self.next_expiry <= self.now()):
            self.taken, self.next_expiry = {}, None
            for order in self.state["orders"].values():
                if self.refreshed(order)["status"] in {"held", "ticketed"}:
                    self.occupy(order, +1)
        return self.taken

    def occupy(self, order: dict[str, Any], seats: int) -> None:
        """Count an order's seats in (+1) or out (-1) of what is taken, if the count is kept."""
        if self.taken is None:
            return
        for flight in order["segments"]:
            leg_key = inventory_key(flight["flight"], flight["origin"], flight["departs"])
            key = f"{leg_key}|{order['fare_class']}"
            self.taken[key] = self.taken.get(key, 0) + seats
        if seats > 0 and order["status"] == "held":
            deadline = datetime.fromisoformat(order["ticketing_deadline"])
            self.next_expiry = deadline if self.next_expiry is None else min(self.next_expiry, deadline)

    def seats_by_leg(self, legs: tuple[Leg, ...], fare_class: str, taken: dict[str, int]) -> list[int]:
        """Seats left in the fare class on each leg: an itinerary has as many as its fullest leg."""
        return [
            rules.seat_capacity(
                self.config.seed, flight.flight, flight.departs.date(), fare_class, rules.serves_hub(flight)
            )
            * self.config.seat_scale
            - taken.get(f"{inventory_key(flight.flight, flight.origin, flight.departs.isoformat())}|{fare_class}", 0)
            for flight in legs
        ]

    def seats_left(self, legs: tuple[Leg, ...], fare_class: str, taken: dict[str, int]) -> int:
        return min(self.seats_by_leg(legs, fare_class, taken))

    def offers(self, search: OfferSearch) -> list[dict[str, Any]]:
        origin, destination = self.airport(search.origin), self.airport(search.destination)
        assert origin and destination
        now, taken, found = self.now(), self.seats_taken(), []
        cutoff = now.isoformat()  # all expiries are UTC ISO strings, so they compare as text
        if time.monotonic() - self.swept > SWEEP_EVERY_S:  # not on every search: thousands of offers pile up
            self.swept = time.monotonic()
            for kind in ("offers", "change_offers"):
                self.state[kind] = {
                    key: offer for key, offer in self.state[kind].items() if offer["expires_at"] > cutoff
                }
        for itinerary in rules.itineraries(origin, destination, search.departure_date, search.return_date):
            days_ahead = (itinerary.outbound[0].departs.date() - search.today).days
            for code, fare_class in rules.FARE_CLASSES.items():
                seats = self.seats_by_leg(itinerary.legs, code, taken)
                if min(seats) <= 0:
                    continue
                offer = {
                    "offer_id": rules.offer_id(self.config.seed, itinerary, code, search.today),
                    "fare_class": code,
                    "fare_class_name": fare_class.name,
                    "price": {
                        "amount": str(rules.price(origin, destination, days_ahead, code, itinerary.via)),
                        "currency": "USD",
                    },
                    "days_ahead": days_ahead,
                    "seats_left": min(seats),
                    "seats_by_leg": seats,
                    "expires_at": (now + timedelta(seconds=self.config.offer_seconds)).isoformat(),
                    "segments": [segment(flight) for flight in itinerary.legs],
                    **routing(itinerary),
                    "conditions": rules.conditions(code, "USD"),
                }
                self.state["offers"][offer["offer_id"]] = offer
                found.append(offer)
        return sorted(found, key=lambda o: (Decimal(o["price"]["amount"]), o["segments"][0]["departs"]))

    def hold(self, request: OrderRequest, key: str) -> Outcome:
        offer = self.state["offers"].get(request.offer_id)
        now = self.now()
        if offer is None or datetime.fromisoformat(offer["expires_at"]) <= now:
            message = f"Offer {request.offer_id} has expired or was never made; search again."
            return 410, {"error": {"code": "offer_expired", "message": message}}, False
        segments = offer["segments"]
        if self.seats_left(legs_of(segments), offer["fare_class"], self.seats_taken()) <= 0:
            message = f"Offer {request.offer_id}: no seats left in fare class {offer['fare_class']}."
            return 409, {"error": {"code": "sold_out", "message": message}}, False
        identifier = rules.order_id(self.config.seed, key)
        order = {
            "order_id": identifier,
            "booking_reference": rules.booking_reference(self.config.seed, identifier),
            "status": "held",
            "passenger_ref": request.passenger_ref,
            "offer_id": offer["offer_id"],
            "fare_class": offer["fare_class"],
            "price": offer["price"],
            "days_ahead": offer["days_ahead"],
            "segments": [dict(s) for s in segments],
            "conditions": offer["conditions"],
            "created_at": now.isoformat(),
            "ticketing_deadline": (now + timedelta(seconds=self.config.hold_seconds)).isoformat(),
            "ticket_number": None,
            "ticketed_at": None,
            "release_reason": None,
            "cancellation": None,
            "schedule_changes": [],
            "idempotency_keys": {"hold": key},
        }
        self.state["orders"][identifier] = order
        self.occupy(order, +1)
        return 201, order, True

    def ticket(self, identifier: str, key: str, fault: str | None) -> Outcome:
        order = self.state["orders"].get(identifier)
        if order is None:
            return 404, {"error": {"code": "order_not_found", "message": f"Order {identifier} is unknown."}}, False
        status = self.refreshed(order)["status"]
        if status == "expired":
            message = (
                f"Order {identifier}: the hold expired at {order['ticketing_deadline']};"
                " search again and hold a new offer before ticketing."
            )
            return 409, {"error": {"code": "hold_expired", "message": message, "order": order}}, False
        if status == "ticketed":
            message = f"Order {identifier} is already ticketed ({order['ticket_number']})."
            return 409, {"error": {"code": "already_ticketed", "message": message, "order": order}}, False
        if status != "held":
            message = f"Order {identifier} is {status}; only a held order can be ticketed."
            return 409, {"error": {"code": "not_ticketable", "message": message, "order": order}}, False
        order["idempotency_keys"]["ticket"] = key
        if fault == "fare_unavailable":
            order["status"], order["release_reason"] = "released", "fare_no_longer_available"
            self.occupy(order, -1)
            message = f"Order {identifier}: the held fare is no longer available; the hold was released."
            return 409, {"error": {"code": "fare_no_longer_available", "message": message, "order": order}}, True
        order["status"] = "ticketed"
        order["ticket_number"] = rules.ticket_number(self.config.seed, identifier)
        order["ticketed_at"] = self.now().isoformat()
        return 200, order, True

    def cancel(self, identifier: str, key: str) -> Outcome:
        order = self.state["orders"].get(identifier)
        if order is None:
            return 404, {"error": {"code": "order_not_found", "message": f"Order {identifier} is unknown."}}, False
        status = self.refreshed(order)["status"]
        if status not in {"held", "ticketed"}:
            message = f"Order {identifier} is {status}; there is nothing to cancel."
            return 409, {"error": {"code": "not_cancellable", "message": message, "order": order}}, False
        result = rules.cancellation(order["fare_class"], Decimal(order["price"]["amount"]), status == "ticketed")
        currency = order["price"]["currency"]
        order["status"] = "cancelled"
        self.occupy(order, -1)
        order["idempotency_keys"]["cancel"] = key
        order["cancellation"] = {
            "outcome": result.outcome,
            "amount": {"amount": str(result.amount), "currency": currency},
            "fee": {"amount": str(result.fee), "currency": currency},
            "cancelled_at": self.now().isoformat(),
        }
        return 200, order, True

    def change_offers(self, identifier: str, search: OfferSearch) -> tuple[int, dict[str, Any]]:
        """What moving a ticketed order to another itinerary (another origin or dates) would cost, per itinerary,
        in the order's fare class; and what cancelling it instead would give back. Nothing changes until a
        change offer is accepted."""
        order = self.state["orders"].get(identifier)
        if order is None:
            return 404, {"error": {"code": "order_not_found", "message": f"Order {identifier} is unknown."}}
        if self.refreshed(order)["status"] != "ticketed":
            message = f"Order {identifier} is {order['status']}; only a ticketed order can be changed."
            return 409, {"error": {"code": "not_changeable", "message": message}}
        origin, destination = self.airport(search.origin), self.airport(search.destination)
        assert origin and destination
        now, taken, found = self.now(), self.seats_taken(), []
        fare_class, paid = order["fare_class"], Decimal(order["price"]["amount"])
        currency = order["price"]["currency"]
        for itinerary in rules.itineraries(origin, destination, search.departure_date, search.return_date):
            if self.seats_left(itinerary.legs, fare_class, taken) <= 0:
                continue
            days_ahead = (itinerary.outbound[0].departs.date() - search.today).days
            new_price = rules.price(origin, destination, days_ahead, fare_class, itinerary.via)
            terms = rules.change_terms(fare_class, paid, new_price)
            offer = {
                "change_offer_id": rules.change_offer_id(self.config.seed, identifier, itinerary, search.today),
                "order_id": identifier,
                "fare_class": fare_class,
                "price": {"amount": str(new_price), "currency": currency},
                "fare_difference": {"amount": str(terms.fare_difference), "currency": currency},
                "change_fee": {"amount": str(terms.fee), "currency": currency},
                "total_due": {"amount": str(terms.total_due), "currency": currency},
                "days_ahead": days_ahead,
                "expires_at": (now + timedelta(seconds=self.config.offer_seconds)).isoformat(),
                "segments": [segment(flight) for flight in itinerary.legs],
                **routing(itinerary),
            }
            self.state["change_offers"][offer["change_offer_id"]] = offer
            found.append(offer)
        cancelled = rules.cancellation(fare_class, paid, ticketed=True)
        cancellation = {
            "outcome": cancelled.outcome,
            "amount": {"amount": str(cancelled.amount), "currency": currency},
            "fee": {"amount": str(cancelled.fee), "currency": currency},
        }
        found.sort(key=lambda o: (Decimal(o["total_due"]["amount"]), o["segments"][0]["departs"]))
        return 200, {"offers": found, "cancellation": cancellation}

    def change(self, identifier: str, request: ChangeRequest, key: str) -> Outcome:
        """Accept a change offer: the order keeps its id and booking reference, its itinerary and price become
        the offer's, and a new ticket number replaces the old coupon (kept in the order's `exchanges`)."""
        order = self.state["orders"].get(identifier)
        if order is None:
            return 404, {"error": {"code": "order_not_found", "message": f"Order {identifier} is unknown."}}, False
        offer = self.state["change_offers"].get(request.change_offer_id)
        now = self.now()
        if offer is None or offer["order_id"] != identifier or datetime.fromisoformat(offer["expires_at"]) <= now:
            message = f"Change offer {request.change_offer_id} has expired or was never made for order {identifier}."
            return 410, {"error": {"code": "offer_expired", "message": message, "order": order}}, False
        if self.refreshed(order)["status"] != "ticketed":
            message = f"Order {identifier} is {order['status']}; only a ticketed order can be changed."
            return 409, {"error": {"code": "not_changeable", "message": message, "order": order}}, False
        if self.seats_left(legs_of(offer["segments"]), order["fare_class"], self.seats_taken()) <= 0:
            message = f"Change offer {request.change_offer_id}: no seats left in fare class {order['fare_class']}."
            return 409, {"error": {"code": "sold_out", "message": message, "order": order}}, False
        exchanges = order.setdefault("exchanges", [])
        exchanges.append(
            {
                "change_offer_id": offer["change_offer_id"],
                "previous_ticket_number": order["ticket_number"],
                "previous_segments": order["segments"],
                "previous_price": order["price"],
                "fare_difference": offer["fare_difference"],
                "change_fee": offer["change_fee"],
                "changed_at": now.isoformat(),
            }
        )
        self.occupy(order, -1)
        order["segments"] = [dict(s) for s in offer["segments"]]
        self.occupy(order, +1)
        order["price"], order["days_ahead"] = offer["price"], offer["days_ahead"]
        order["ticket_number"] = rules.ticket_number(self.config.seed, identifier, len(exchanges))
        order["idempotency_keys"]["change"] = key
        return 200, order, True

    def announce_change(self, change: ScheduleChangeRequest) -> dict[str, Any] | None:
        wanted = (change.flight, change.departure_date.isoformat())
        delay = timedelta(minutes=change.delay_minutes)
        affected, previous, departs, arrives = [], "", "", ""
        for order in self.state["orders"].values():
            if self.refreshed(order)["status"] not in {"held", "ticketed"}:
                continue
            for flight in order["segments"]:
                if (flight["flight"], flight["departs"][:10]) != wanted:
                    continue
                previous = flight["departs"]
                departs = flight["departs"] = (datetime.fromisoformat(flight["departs"]) + delay).isoformat()
                arrives = flight["arrives"] = (datetime.fromisoformat(flight["arrives"]) + delay).isoformat()
                affected.append(order)
        if not affected:
            return None
        self.taken = None  # the legs moved: count again
        announced = {
            "sequence": len(self.state["changes"]) + 1,
            "flight": change.flight,
            "departure_date": change.departure_date.isoformat(),
            "delay_minutes": change.delay_minutes,
            "previous_departs": previous,
            "departs": departs,
            "arrives": arrives,
            "order_ids": [order["order_id"] for order in affected],
            "announced_at": self.now().isoformat(),
        }
        for order in affected:
            order["schedule_changes"].append(announced["sequence"])
        self.state["changes"].append(announced)
        return announced


def fingerprint(*parts: object) -> str:
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()


def create_app(config: Config) -> FastAPI:
    simulator = Simulator(config)
    app = FastAPI(title="simulated GDS", lifespan=snapshots(simulator))
    tracing.instrument_app(app, "gds")  # continues travel's trace when traces are on
    app.state.simulator = simulator
    app.add_exception_handler(RequestValidationError, invalid_request)  # type: ignore[arg-type]
    app.middleware("http")(provider_time(simulator))
    for router in (searches(simulator), order_writes(simulator), order_reads(simulator), admin(simulator)):
        app.include_router(router)
    return app


def snapshots(simulator: Simulator) -> Callable[[FastAPI], Any]:
    """The app's lifespan: write the state behind every SNAPSHOT_EVERY_S, and once more at shutdown."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        async def keep_writing() -> None:
            while True:
                await asyncio.sleep(SNAPSHOT_EVERY_S)
                simulator.flush()

        writer = asyncio.create_task(keep_writing())
        try:
            yield
        finally:
            writer.cancel()
            simulator.flush()

    return lifespan


async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
    details = [{k: v for k, v in e.items() if k not in {"input", "ctx"}} for e in exc.errors()]
    return error(422, "invalid_request", "The request does not match the API.", details=details)


def unavailable() -> JSONResponse:
    return error(503, "provider_unavailable", "The provider is temporarily unavailable; try again.")


def provider_time(simulator: Simulator) -> Callable[[Request, Callable[[Request], Any]], Any]:
    """Every answer's Date header is the simulator's clock (advanced by /admin/clock): clients judge its deadlines
    by it."""

    async def stamp(request: Request, call_next: Callable[[Request], Any]) -> Any:
        response = await call_next(request)
        response.headers["date"] = format_datetime(simulator.now(), usegmt=True)
        return response

    return stamp


def search_refusal(simulator: Simulator, search: OfferSearch) -> JSONResponse | None:
    for code in (search.origin, search.destination):
        if simulator.airport(code) is None:
            return error(422, "unknown_airport", f'Airport "{code}" is not a known IATA code.')
    if search.return_date < search.departure_date:
        return error(422, "invalid_dates", "The return date is before the departure date.")
    if search.departure_date < search.today:
        return error(422, "invalid_dates", "The departure date is in the past.")
    return None


def read_fault(simulator: Simulator, request: Request) -> bool:
    path = f"{request.method} {request.url.path}?{request.url.query}"
    return simulator.roll_fault(fingerprint(path), rules.READ_FAULTS) is not None


async def write(
    simulator: Simulator,
    request: Request,
    key: str | None,
    kinds: tuple[str, ...],
    perform: Callable[[str | None], Outcome],
) -> JSONResponse:
    """One write, at most once per Idempotency-Key: a key seen before answers what it answered then."""
    if not key:
        return error(400, "idempotency_key_missing", "Every write needs an Idempotency-Key header.")
    body = await request.body()
    request_print = fingerprint(request.method, request.url.path, body)
    fault = simulator.roll_fault(fingerprint(request_print, key), kinds)
    if fault == "server_error":
        simulator.save()
        return unavailable()
    remembered = simulator.state["keys"].get(key)
    if remembered is not None:
        simulator.save()
        if remembered["fingerprint"] != request_print:
            message = "This Idempotency-Key was already used for a different request."
            return error(422, "idempotency_key_reused", message)
        headers = {"Idempotent-Replayed": "true"}
        return JSONResponse(remembered["body"], status_code=remembered["status"], headers=headers)
    status, answer, wrote = perform(fault)
    if wrote:
        order_id = answer.get("order_id") or answer.get("error", {}).get("order", {}).get("order_id")
        record = {"fingerprint": request_print, "status": status, "body": answer, "order_id": order_id}
        simulator.state["keys"][key] = record
    simulator.save()
    if fault == "accepted_timeout" and wrote:
        await asyncio.sleep(simulator.config.fault_delay)  # the write is done; the answer comes too late
    return JSONResponse(answer, status_code=status)


def searches(simulator: Simulator) -> APIRouter:
    router = APIRouter()

    @router.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @router.post("/offers", response_model=None)
    async def search_offers(search: OfferSearch, request: Request) -> JSONResponse | dict[str, Any]:
        body = await request.body()
        if simulator.roll_fault(fingerprint("offers", body), rules.READ_FAULTS):
            return unavailable()
        if refused := search_refusal(simulator, search):
            return refused
        offers = simulator.offers(search)
        simulator.save()
        return {"offers": offers}

    @router.get("/schedule-changes", response_model=None)
    async def schedule_changes(request: Request, since: int = 0) -> JSONResponse | dict[str, Any]:
        if read_fault(simulator, request):
            return unavailable()
        changes = [change for change in simulator.state["changes"] if change["sequence"] > since]
        return {"changes": changes, "last_sequence": len(simulator.state["changes"])}

    return router


def order_writes(simulator: Simulator) -> APIRouter:
    router = APIRouter()

    @router.post("/orders")
    async def create_order(
        order: OrderRequest, request: Request, idempotency_key: str | None = Header(default=None)
    ) -> JSONResponse:
        return await write(
            simulator,
            request,
            idempotency_key,
            rules.WRITE_FAULTS,
            lambda fault: simulator.hold(order, idempotency_key or ""),
        )

    @router.post("/orders/{order_id}/ticket")
    async def ticket_order(
        order_id: str, request: Request, idempotency_key: str | None = Header(default=None)
    ) -> JSONResponse:
        return await write(
            simulator,
            request,
            idempotency_key,
            rules.TICKET_FAULTS,
            lambda fault: simulator.ticket(order_id, idempotency_key or "", fault),
        )

    @router.post("/orders/{order_id}/cancel")
    async def cancel_order(
        order_id: str, request: Request, idempotency_key: str | None = Header(default=None)
    ) -> JSONResponse:
        return await write(
            simulator,
            request,
            idempotency_key,
            rules.WRITE_FAULTS,
            lambda fault: simulator.cancel(order_id, idempotency_key or ""),
        )

    @router.post("/orders/{order_id}/changes")
    async def change_order(
        order_id: str, change: ChangeRequest, request: Request, idempotency_key: str | None = Header(default=None)
    ) -> JSONResponse:
        return await write(
            simulator,
            request,
            idempotency_key,
            rules.WRITE_FAULTS,
            lambda fault: simulator.change(order_id, change, idempotency_key or ""),
        )

    return router


def order_reads(simulator: Simulator) -> APIRouter:
    router = APIRouter()

    @router.post("/orders/{order_id}/change-offers", response_model=None)
    async def change_offers(order_id: str, search: OfferSearch, request: Request) -> JSONResponse | dict[str, Any]:
        body = await request.body()
        if simulator.roll_fault(fingerprint("change-offers", order_id, body), rules.READ_FAULTS):
            return unavailable()
        if refused := search_refusal(simulator, search):
            return refused
        status, answer = simulator.change_offers(order_id, search)
        simulator.save()
        return JSONResponse(answer, status_code=status)

    @router.get("/orders/{order_id}", response_model=None)
    async def get_order(order_id: str, request: Request) -> JSONResponse | dict[str, Any]:
        if read_fault(simulator, request):
            return unavailable()
        order = simulator.state["orders"].get(order_id)
        if order is None:
            return error(404, "order_not_found", f"Order {order_id} is unknown.")
        return simulator.refreshed(order)

    @router.get("/orders", response_model=None)
    async def find_orders(
        request: Request, idempotency_key: str | None = None, passenger_ref: str | None = None
    ) -> JSONResponse | dict[str, Any]:
        if read_fault(simulator, request):
            return unavailable()
        known = simulator.state["orders"]
        if idempotency_key is not None:
            remembered = simulator.state["keys"].get(idempotency_key)
            found = [known[remembered["order_id"]]] if remembered and remembered["order_id"] in known else []
        else:
            found = list(known.values())
        if passenger_ref is not None:
            found = [order for order in found if order["passenger_ref"] == passenger_ref]
        return {"orders": [simulator.refreshed(order) for order in found]}

    return router


def admin(simulator: Simulator) -> APIRouter:
    """What a test or a demo may do to the provider: read every order, its counters, move its clock, change a flight."""
    router = APIRouter(prefix="/admin")

    @router.get("/orders")
    async def all_orders() -> dict[str, Any]:
        return {"orders": [simulator.refreshed(order) for order in simulator.state["orders"].values()]}

    @router.get("/stats")
    async def stats() -> dict[str, Any]:
        return dict(simulator.state["stats"])

    @router.post("/clock")
    async def advance_clock(advance: ClockAdvance) -> dict[str, str]:
        simulator.state["clock_offset"] += advance.seconds
        simulator.save()
        return {"now": simulator.now().isoformat()}

    @router.post("/schedule-change", response_model=None)
    async def schedule_change(change: ScheduleChangeRequest) -> JSONResponse | dict[str, Any]:
        announced = simulator.announce_change(change)
        if announced is None:
            message = f"No held or ticketed order flies {change.flight} on {change.departure_date}."
            return error(404, "no_booked_flight", message)
        simulator.save()
        return announced

    return router


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m gds", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8190)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fault-rate", type=float, default=0.0, help="share of requests that fail, 0 to 1")
    parser.add_argument("--fault-delay", type=float, default=10.0, help="seconds an accepted write answers late")
    parser.add_argument("--hold-seconds", type=float, default=1800.0, help="from hold to ticketing deadline")
    parser.add_argument("--offer-seconds", type=float, default=1800.0, help="how long an offer can be held")
    parser.add_argument("--state", type=Path, default=None, help="JSON snapshot kept across restarts")
    parser.add_argument("--seat-scale", type=int, default=1, help="seats per flight and fare class times this")
    arguments = parser.parse_args()
    if arguments.seat_scale < 1:
        parser.error("--seat-scale must be at least 1")
    config = Config(
        seed=arguments.seed,
        fault_rate=arguments.fault_rate,
        fault_delay=arguments.fault_delay,
        hold_seconds=arguments.hold_seconds,
        offer_seconds=arguments.offer_seconds,
        state_file=arguments.state,
        seat_scale=arguments.seat_scale,
    )
    uvicorn.run(create_app(config), host=arguments.host, port=arguments.port, log_level="warning", access_log=False,
                date_header=False)  # fmt: skip

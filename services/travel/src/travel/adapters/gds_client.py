"""HTTP client for a global distribution system (the simulated one today): offers, orders, tickets.

Every write carries an idempotency key derived from (delegate, workshop, venue_version, operation,
attempt). When a write's outcome is unknown (a timeout, a dropped connection, a 5xx) the client first
asks the provider whether that key already did something, and retries with the same key only if it
did not: one delegate never gets two orders or two tickets from one intent.
"""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict
from shared.observability import tracing


class Money(BaseModel):
    model_config = ConfigDict(frozen=True)
    amount: Decimal
    currency: str


class Segment(BaseModel):
    model_config = ConfigDict(frozen=True)
    flight: str
    origin: str
    destination: str
    departs: datetime
    arrives: datetime
    origin_tz: str
    destination_tz: str


class GdsOffer(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")
    offer_id: str
    fare_class: str
    fare_class_name: str | None = None
    price: Money
    days_ahead: int
    seats_left: int
    expires_at: datetime
    segments: tuple[Segment, ...]


class Cancellation(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")
    outcome: str  # void | refund | credit
    amount: Money
    fee: Money


class FareConditions(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")
    fare_class: str | None = None
    fare_class_name: str | None = None
    refundable: bool
    cancellation_fee: Money
    change_fee: Money | None = None  # orders from before the simulator told it


class GdsChangeOffer(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")
    change_offer_id: str
    order_id: str
    fare_class: str
    price: Money
    fare_difference: Money
    change_fee: Money
    days_ahead: int
    expires_at: datetime
    segments: tuple[Segment, ...]


class GdsChangeOffers(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")
    offers: tuple[GdsChangeOffer, ...]
    cancellation: Cancellation  # what cancelling the order instead would give back


class GdsOrder(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")
    order_id: str
    booking_reference: str
    status: str  # held | ticketed | expired | released | cancelled
    passenger_ref: str
    fare_class: str
    price: Money
    days_ahead: int
    segments: tuple[Segment, ...]
    ticketing_deadline: datetime
    ticket_number: str | None = None
    release_reason: str | None = None
    cancellation: Cancellation | None = None
    conditions: FareConditions | None = None
    idempotency_keys: dict[str, str] = {}


class ScheduleChange(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")
    sequence: int
    flight: str
    departure_date: date
    delay_minutes: int
    departs: datetime
    arrives: datetime
    order_ids: tuple[str, ...]


class GdsError(Exception):
    """The provider said no; `code` is its machine-readable reason."""

    def __init__(self, code: str, message: str, order: GdsOrder | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.order = order


class OfferExpired(GdsError): ...


class SoldOut(GdsError): ...


class HoldExpired(GdsError): ...


class FareNoLongerAvailable(GdsError): ...


class ProviderUnavailable(Exception):
    """The provider could not be reached (or kept failing) within the client's attempts."""


ERRORS: dict[str, type[GdsError]] = {
    "offer_expired": OfferExpired,
    "sold_out": SoldOut,
    "hold_expired": HoldExpired,
    "fare_no_longer_available": FareNoLongerAvailable,
}
UNKNOWN_OUTCOME = (httpx.TimeoutException, httpx.TransportError)


def idempotency_key(delegate_ref: str, workshop_id: str, venue_version: int, operation: str, attempt: int = 1) -> str:
    """Stable for one intent. A fresh attempt (after a hold expired or a fare was lost) is a new intent."""
    digest = hashlib.sha256(f"{delegate_ref}|{workshop_id}|{venue_version}|{operation}|{attempt}".encode())
    return f"travel-{operation}-{digest.hexdigest()[:32]}"


class GdsClient:
    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 5.0,
        attempts: int = 8,
        backoff: float = 0.05,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self._http = http or httpx.AsyncClient(base_url=base_url, timeout=timeout)
        self._http.event_hooks["response"].append(self._observe_clock)
        tracing.instrument_client(self._http)
        self._attempts = attempts
        self._backoff = backoff
        self._skew = timedelta(0)

    async def _observe_clock(self, response: httpx.Response) -> None:
        """The provider's clock, from the Date header of its answers: its deadlines are in its own time (a scenario's
        or a test's clock may run apart from this machine's). Date has whole seconds: a skew under 2 s is none."""
        stamp = response.headers.get("date")
        try:
            theirs = parsedate_to_datetime(stamp) if stamp else None
        except (TypeError, ValueError):
            theirs = None
        if theirs is not None and theirs.tzinfo is not None:
            skew = theirs - datetime.now(UTC)
            self._skew = skew if abs(skew) >= timedelta(seconds=2) else timedelta(0)

    def now(self) -> datetime:
        """The provider's time now, as its last answer told it."""
        return datetime.now(UTC) + self._skew

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> GdsClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # -- reads: safe to repeat ---------------------------------------------------------------------

    async def _read(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        for attempt in range(self._attempts):
            try:
                response = await self._http.request(method, path, **kwargs)
            except UNKNOWN_OUTCOME:
                response = None
            if response is not None and response.status_code < 500:
                return response
            await asyncio.sleep(self._backoff * 2**attempt)
        raise ProviderUnavailable(f"{method} {path}: no answer after {self._attempts} attempts")

    async def search_offers(
        self, origin: str, destination: str, departure_date: date, return_date: date, today: date
    ) -> list[GdsOffer]:
        body = {
            "origin": origin,
            "destination": destination,
            "departure_date": departure_date.isoformat(),
            "return_date": return_date.isoformat(),
            "today": today.isoformat(),
        }
        response = self._checked(await self._read("POST", "/offers", json=body))
        return [GdsOffer.model_validate(offer) for offer in response["offers"]]

    async def change_offers(
        self, order_id: str, origin: str, destination: str, departure_date: date, return_date: date, today: date
    ) -> GdsChangeOffers:
        body = {
            "origin": origin,
            "destination": destination,
            "departure_date": departure_date.isoformat(),
            "return_date": return_date.isoformat(),
            "today": today.isoformat(),
        }
        response = self._checked(await self._read("POST", f"/orders/{order_id}/change-offers", json=body))
        return GdsChangeOffers.model_validate(response)

    async def get_order(self, order_id: str) -> GdsOrder:
        return GdsOrder.model_validate(self._checked(await self._read("GET", f"/orders/{order_id}")))

    async def find_order(self, key: str) -> GdsOrder | None:
        """The order a write with this idempotency key created or changed, if that write happened."""
        found = self._checked(await self._read("GET", "/orders", params={"idempotency_key": key}))["orders"]
        return GdsOrder.model_validate(found[0]) if found else None

    async def schedule_changes(self, since: int = 0) -> list[ScheduleChange]:
        found = self._checked(await self._read("GET", "/schedule-changes", params={"since": since}))["changes"]
        return [ScheduleChange.model_validate(change) for change in found]

    # -- writes: each with an idempotency key, unknown outcomes resolved before retrying -------------

    async def hold(self, offer_id: str, passenger_ref: str, key: str) -> GdsOrder:
        return await self._write("hold", "/orders", key, {"offer_id": offer_id, "passenger_ref": passenger_ref})

    async def ticket(self, order_id: str, key: str) -> GdsOrder:
        return await self._write("ticket", f"/orders/{order_id}/ticket", key, None)

    async def cancel(self, order_id: str, key: str) -> GdsOrder:
        return await self._write("cancel", f"/orders/{order_id}/cancel", key, None)

    async def change(self, order_id: str, change_offer_id: str, key: str) -> GdsOrder:
        return await self._write("change", f"/orders/{order_id}/changes", key, {"change_offer_id": change_offer_id})

    async def resolve(self, operation: str, key: str) -> GdsOrder | None:
        """After an unknown outcome: what did the write with `key` do? None if it did nothing."""
        order = await self.find_order(key)
        if order is None or order.idempotency_keys.get(operation) != key:
            return None
        return self._settled(operation, order)

    async def _write(self, operation: str, path: str, key: str, body: dict[str, Any] | None) -> GdsOrder:
        for attempt in range(self._attempts):
            try:
                response = await self._http.post(path, json=body, headers={"Idempotency-Key": key})
            except UNKNOWN_OUTCOME:
                response = None
            if response is not None and response.status_code < 500:
                return self._settled(operation, GdsOrder.model_validate(self._checked(response)))
            # Unknown outcome: ask before retrying, so a write that was accepted is never repeated.
            settled = await self.resolve(operation, key)
            if settled is not None:
                return settled
            await asyncio.sleep(self._backoff * 2**attempt)
        raise ProviderUnavailable(f"{operation} {path}: no answer after {self._attempts} attempts")

    @staticmethod
    def _settled(operation: str, order: GdsOrder) -> GdsOrder:
        """Turn an order found after the fact into the outcome its write would have answered."""
        if operation == "ticket" and order.status == "released":
            raise FareNoLongerAvailable("fare_no_longer_available", f"order {order.order_id}: fare lost", order)
        return order

    @staticmethod
    def _checked(response: httpx.Response) -> dict[str, Any]:
        body: dict[str, Any] = response.json()
        if response.is_success:
            return body
        problem = body.get("error", {})
        code = problem.get("code", "unknown")
        order = GdsOrder.model_validate(problem["order"]) if problem.get("order") else None
        if code == "already_ticketed" and order is not None:
            return order.model_dump(mode="json")  # the ticket we asked for exists: that is success
        raise ERRORS.get(code, GdsError)(code, problem.get("message", response.text), order)

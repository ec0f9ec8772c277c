"""The fare provider port over the GDS HTTP client, and the airport directory."""

from __future__ import annotations

import time
from datetime import date, datetime
from typing import Any

import airportsdata
from prometheus_client import Counter, Histogram

from travel.adapters.gds_client import (
    ERRORS,
    FareNoLongerAvailable,
    GdsClient,
    GdsError,
    GdsOffer,
    GdsOrder,
    HoldExpired,
    OfferExpired,
    ProviderUnavailable,
    SoldOut,
)
from travel.domain.booking import OfferView
from travel.domain.change_quote import Cancellation, ChangeOfferView
from travel.domain.fares import Airport
from travel.service.ports import FareTerms, ProviderDown, ProviderOrder, ProviderRefused

REQUOTE = (OfferExpired, SoldOut, HoldExpired, FareNoLongerAvailable)

PROVIDER_CALLS = Counter("logistics_provider_calls", "Calls to the fare provider, by operation.", ["operation"])
PROVIDER_ERRORS = Counter(
    "logistics_provider_errors",
    "Fare provider calls that failed, by operation and error (unavailable, or the provider's refusal code).",
    ["operation", "error"],
)
PROVIDER_SECONDS = Histogram(
    "logistics_provider_call_duration_seconds", "Time a fare provider operation took, retries included.", ["operation"]
)


def _segments(order: GdsOrder | GdsOffer) -> tuple[dict[str, Any], ...]:
    return tuple(segment.model_dump(mode="json") for segment in order.segments)


def _order(order: GdsOrder) -> ProviderOrder:
    cancellation = None
    if order.cancellation is not None:
        cancellation = (order.cancellation.outcome, order.cancellation.amount.amount, order.cancellation.fee.amount)
    terms = None
    if order.conditions is not None:
        found = order.conditions
        terms = FareTerms(
            fare_class=found.fare_class or order.fare_class,
            fare_class_name=found.fare_class_name,
            refundable=found.refundable,
            change_fee=found.change_fee.amount if found.change_fee else None,
            cancellation_fee=found.cancellation_fee.amount,
            currency=found.cancellation_fee.currency,
        )
    return ProviderOrder(
        order_id=order.order_id,
        booking_reference=order.booking_reference,
        status=order.status,
        fare_class=order.fare_class,
        price=order.price.amount,
        currency=order.price.currency,
        days_ahead=order.days_ahead,
        segments=_segments(order),
        ticketing_deadline=order.ticketing_deadline,
        ticket_number=order.ticket_number,
        cancellation=cancellation,
        conditions=terms,
    )


class GdsProvider:
    """Provider errors become the port's: ProviderDown (try later, same key) or ProviderRefused."""

    def __init__(self, client: GdsClient) -> None:
        self.client = client

    def now(self) -> datetime:
        """The provider's clock: its deadlines (holds, change offers) are judged by it."""
        return self.client.now()

    async def _call(self, operation: str, coroutine: Any) -> Any:
        """One provider operation, counted and timed (metrics by operation; errors by the provider's code)."""
        PROVIDER_CALLS.labels(operation).inc()
        started = time.perf_counter()
        try:
            return await coroutine
        except ProviderUnavailable as error:
            PROVIDER_ERRORS.labels(operation, "unavailable").inc()
            raise ProviderDown(str(error)) from None
        except GdsError as error:
            PROVIDER_ERRORS.labels(operation, error.code if error.code in ERRORS else "other").inc()
            raise ProviderRefused(error.code, str(error), requote=isinstance(error, REQUOTE)) from None
        finally:
            PROVIDER_SECONDS.labels(operation).observe(time.perf_counter() - started)

    async def search(
        self, origin: str, destination: str, departure_date: date, return_date: date, today: date
    ) -> list[OfferView]:
        offers: list[GdsOffer] = await self._call(
            "search", self.client.search_offers(origin, destination, departure_date, return_date, today)
        )
        return [
            OfferView(
                offer_id=offer.offer_id,
                fare_class=offer.fare_class,
                cabin=(offer.fare_class_name or "economy").split()[0],
                price=offer.price.amount,
                currency=offer.price.currency,
                days_ahead=offer.days_ahead,
                segments=_segments(offer),
                expires_at=offer.expires_at,
            )
            for offer in offers
        ]

    async def change_offers(
        self, order_id: str, origin: str, destination: str, departure_date: date, return_date: date, today: date
    ) -> tuple[list[ChangeOfferView], Cancellation]:
        found = await self._call(
            "change_offers",
            self.client.change_offers(order_id, origin, destination, departure_date, return_date, today),
        )
        offers = [
            ChangeOfferView(
                offer_id=offer.change_offer_id,
                fare_class=offer.fare_class,
                price=offer.price.amount,
                fare_difference=offer.fare_difference.amount,
                fee=offer.change_fee.amount,
                currency=offer.price.currency,
                days_ahead=offer.days_ahead,
                expires_at=offer.expires_at,
                segments=tuple(segment.model_dump(mode="json") for segment in offer.segments),
            )
            for offer in found.offers
        ]
        cancelled = found.cancellation
        return offers, Cancellation(cancelled.outcome, cancelled.amount.amount, cancelled.fee.amount)

    async def change(self, order_id: str, change_offer_id: str, key: str) -> ProviderOrder:
        return _order(await self._call("change", self.client.change(order_id, change_offer_id, key)))

    async def hold(self, offer_id: str, passenger_ref: str, key: str) -> ProviderOrder:
        return _order(await self._call("hold", self.client.hold(offer_id, passenger_ref, key)))

    async def ticket(self, order_id: str, key: str) -> ProviderOrder:
        return _order(await self._call("ticket", self.client.ticket(order_id, key)))

    async def cancel(self, order_id: str, key: str) -> ProviderOrder:
        return _order(await self._call("cancel", self.client.cancel(order_id, key)))

    async def order(self, order_id: str) -> ProviderOrder:
        return _order(await self._call("order", self.client.get_order(order_id)))

    async def schedule_changes(self, since: int) -> list[tuple[int, tuple[str, ...]]]:
        changes = await self._call("schedule_changes", self.client.schedule_changes(since))
        return [(change.sequence, tuple(change.order_ids)) for change in changes]

    async def resolve(self, operation: str, key: str) -> ProviderOrder | None:
        found = await self._call("resolve", self.client.resolve(operation, key))
        return _order(found) if found is not None else None


class AirportDirectory:
    def __init__(self) -> None:
        self._airports = airportsdata.load("IATA")

    def get(self, code: str) -> Airport | None:
        found = self._airports.get(code)
        if not found or not found.get("tz"):
            return None
        return Airport(code, found["lat"], found["lon"], found["tz"])

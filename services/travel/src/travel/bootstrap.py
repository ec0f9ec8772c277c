"""Wiring: the one place that picks concrete adapters for travel's use cases."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from shared.contracts import registration as registration_contracts
from shared.contracts import sponsorship as sponsorship_contracts
from shared.contracts import travel as contracts
from shared.contracts.envelope import Contract
from shared.contracts.topics import (
    REGISTRATION_DELEGATE,
    REGISTRATION_WORKSHOP,
    SPONSORSHIP_AWARD,
    TRAVEL_BOOKING,
    TRAVEL_COMMANDS,
)
from shared.db.leadership import leading_from
from shared.messaging.consumer import route_builder
from shared.runtime import ServiceRuntime

from travel.adapters.fare_provider import AirportDirectory, GdsProvider
from travel.adapters.gds_client import GdsClient
from travel.adapters.postgres import (
    TRIPS_CHANNEL,
    PostgresRepository,
    PostgresTripStore,
    late_trips,
    outlook_facts,
    trips_pending,
)
from travel.config import Settings
from travel.domain.booking import Trip
from travel.service import handlers
from travel.service.booking_worker import BookingWorker

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def provider_clock(provider: GdsProvider) -> Any:
    """/ops/status `provider`: how far the fare provider's clock (its deadlines' time) runs from this machine's, and
    the last of its schedule changes travel has applied."""

    async def read(conn: Any) -> dict[str, Any]:
        applied = await conn.fetchval("SELECT last_sequence FROM schedule_feed WHERE id = 1")
        skew = (provider.now() - datetime.now(UTC)).total_seconds()
        return {"clock_skew_s": round(skew, 1), "schedule_changes_applied": applied}

    return read


def build(settings: Settings) -> ServiceRuntime:
    runtime = ServiceRuntime(
        "travel",
        settings,
        MIGRATIONS,
        refused_contract=contracts.TravelCommandRefused,
        events_topic=TRAVEL_BOOKING,
    )
    namespace = settings.logistics_namespace
    airports = AirportDirectory()
    provider = GdsProvider(GdsClient(settings.gds_url, timeout=settings.gds_timeout))

    route = route_builder(lambda conn: PostgresRepository(conn, namespace))

    runtime.subscribe(
        TRAVEL_COMMANDS,
        {
            contracts.BookWorkshopTravel.TYPE: route(
                contracts.BookWorkshopTravel, handlers.book_workshop_travel, airports
            ),
            contracts.QuoteWorkshop.TYPE: route(contracts.QuoteWorkshop, handlers.quote_workshop, airports),
            contracts.CancelTravel.TYPE: route(contracts.CancelTravel, handlers.cancel_travel),
            contracts.ApproveChange.TYPE: route(
                contracts.ApproveChange, handlers.approve_change, settings.travel_fare_approval, provider.now
            ),
            contracts.RejectChange.TYPE: route(contracts.RejectChange, handlers.reject_change, provider.now),
            contracts.QuoteChange.TYPE: route(contracts.QuoteChange, handlers.quote_change, provider.now),
        },
    )
    # Each workshop decision to the handler that says what it does to the trips.
    workshop_handlers: dict[type[Contract], Callable[..., Awaitable[None]]] = {
        registration_contracts.WorkshopScheduled: handlers.when_workshop_scheduled_keep_facts,
        registration_contracts.WorkshopConfirmed: handlers.when_workshop_scheduled_keep_facts,
        registration_contracts.WorkshopHeld: handlers.when_workshop_scheduled_keep_facts,
        registration_contracts.WorkshopMoved: handlers.when_workshop_moved_rebook_tickets,
        registration_contracts.WorkshopPostponed: handlers.when_workshop_moved_rebook_tickets,
        registration_contracts.WorkshopRescheduled: handlers.when_workshop_moved_rebook_tickets,
        registration_contracts.WorkshopDeferred: handlers.when_workshop_deferred_give_trips_back,
        registration_contracts.WorkshopCancelled: handlers.when_workshop_deferred_give_trips_back,
    }
    runtime.subscribe(
        REGISTRATION_WORKSHOP,
        {event.TYPE: route(event, handler) for event, handler in workshop_handlers.items()},
    )
    runtime.subscribe(
        REGISTRATION_DELEGATE,
        {
            registration_contracts.DelegateRegistered.TYPE: route(
                registration_contracts.DelegateRegistered, handlers.when_delegate_registered_keep_traveller
            )
        },
    )
    decided = handlers.when_sponsorship_decided_keep_status
    withdrawn = sponsorship_contracts.SponsorshipWithdrawn
    runtime.subscribe(
        SPONSORSHIP_AWARD,
        {
            **{
                cls.TYPE: route(cls, decided)
                for cls in (
                    sponsorship_contracts.SponsorshipGranted,
                    sponsorship_contracts.SponsorshipWaitlisted,
                    sponsorship_contracts.SponsorshipRefused,
                )
            },
            withdrawn.TYPE: route(withdrawn, handlers.when_sponsorship_withdrawn_cancel_ticket),
            **(
                {
                    cls.TYPE: route(cls, handlers.when_fare_answered_ticket_or_release)
                    for cls in (sponsorship_contracts.FareApproved, sponsorship_contracts.FareDeclined)
                }
                if settings.travel_fare_approval
                else {}
            ),
        },
    )
    runtime.status_sections["provider"] = provider_clock(provider)
    runtime.clock = provider.now
    runtime.background.append(
        BookingWorker(
            lambda pool: PostgresTripStore(pool, namespace),
            provider,
            lambda pool: leading_from(pool, "booking-worker", TRIPS_CHANNEL),
            trips_pending,
            late_trips,
            approval=settings.travel_fare_approval,
            clock=provider.now,
            liveness_bound_s=settings.travel_liveness_bound_s,
        )
    )
    return runtime


# For the read API (entrypoints/api.py): its fare provider and the queries it shares with the workers.


def quote_provider(settings: Settings) -> GdsProvider:
    """The fare provider the read API quotes and prices what-ifs with."""
    return GdsProvider(GdsClient(settings.gds_url, timeout=settings.gds_timeout))


async def workshop_late_trips(conn: Any, bound_s: float, workshop_id: str) -> list[tuple[Trip, float]]:
    """The workshop's trips past the liveness bound, with how late each is."""
    return await late_trips(conn, bound_s, workshop_id=workshop_id)


async def what_if_facts(conn: Any, workshop_id: str) -> tuple[list[Trip], list[dict[str, Any]], date | None]:
    """What a what-if prices: the workshop's ticketed trips, its travellers, the day its tickets were booked as of."""
    return await outlook_facts(conn, workshop_id)

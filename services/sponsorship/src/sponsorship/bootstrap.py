"""Wiring: the one place that picks concrete adapters for sponsorship's use cases."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from pathlib import Path

import airportsdata
import asyncpg
from shared.contracts import registration as registration_contracts
from shared.contracts import sponsorship as contracts
from shared.contracts import travel as travel_contracts
from shared.contracts.topics import (
    REGISTRATION_DELEGATE,
    REGISTRATION_WORKSHOP,
    SPONSORSHIP_AWARD,
    SPONSORSHIP_COMMANDS,
    TRAVEL_BOOKING,
)
from shared.messaging.consumer import route_builder
from shared.runtime import ServiceRuntime

from sponsorship.adapters import postgres
from sponsorship.adapters import reference_tables as reference_tables_adapter
from sponsorship.adapters.postgres import PostgresRepository, transaction
from sponsorship.config import Settings
from sponsorship.service import (
    allocating,
    attendance,
    costing,
    deadline_check,
    donors_and_pledges,
    fares,
    sponsorship_requests,
    subsistence_rates,
    tickets,
    withdrawal,
    workshop_decisions,
)
from sponsorship.service.daily import DailyDeadlineCheck
from sponsorship.service.ports import Repository

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


class AirportDirectory:
    def __init__(self) -> None:
        self._airports = airportsdata.load("IATA")

    def coordinates(self, code: str) -> tuple[float, float] | None:
        airport = self._airports.get(code)
        return (airport["lat"], airport["lon"]) if airport else None


def reference_tables(settings: Settings) -> costing.ReferenceTables:
    """Airports, the eligibility list, subsistence rates and currency codes (read from files: once per process)."""
    return costing.ReferenceTables(
        airports=AirportDirectory(),
        eligibility=reference_tables_adapter.load_eligibility(
            settings.sponsorship_eligible_countries or reference_tables_adapter.ELIGIBLE_COUNTRIES
        ),
        subsistence=reference_tables_adapter.load_subsistence_rates(
            settings.sponsorship_subsistence_rates or reference_tables_adapter.SUBSISTENCE_RATES
        ),
        currencies=reference_tables_adapter.currency_codes(),
    )


def build(settings: Settings) -> ServiceRuntime:
    runtime = ServiceRuntime(
        "sponsorship",
        settings,
        MIGRATIONS,
        refused_contract=contracts.SponsorshipCommandRefused,
        events_topic=SPONSORSHIP_AWARD,
    )
    namespace = settings.logistics_namespace
    tables = reference_tables(settings)

    route = route_builder(lambda conn: PostgresRepository(conn, namespace, runtime.clock))

    runtime.subscribe(
        SPONSORSHIP_COMMANDS,
        {
            contracts.RecordDonor.TYPE: route(contracts.RecordDonor, donors_and_pledges.record_donor),
            contracts.RecordPledge.TYPE: route(contracts.RecordPledge, donors_and_pledges.record_pledge, tables),
            contracts.RequestSponsorship.TYPE: route(
                contracts.RequestSponsorship, sponsorship_requests.request_sponsorship
            ),
            contracts.AllocateSponsorships.TYPE: route(
                contracts.AllocateSponsorships, allocating.allocate_sponsorships, tables
            ),
            contracts.OverrideEligibility.TYPE: route(
                contracts.OverrideEligibility, sponsorship_requests.override_eligibility
            ),
            contracts.SetSubsistenceRate.TYPE: route(
                contracts.SetSubsistenceRate, subsistence_rates.set_subsistence_rate, tables
            ),
            contracts.SetAllocationRules.TYPE: route(
                contracts.SetAllocationRules, allocating.set_allocation_rules, tables
            ),
            contracts.WithdrawSponsorship.TYPE: route(
                contracts.WithdrawSponsorship, withdrawal.withdraw_sponsorship, tables
            ),
            contracts.CheckDeadlines.TYPE: route(contracts.CheckDeadlines, deadline_check.check_deadlines, tables),
        },
    )
    # Every workshop decision (scheduled, moved, postponed, deferred, rescheduled, cancelled, confirmed, held) to the
    # one handler that reviews the places, judged from the status and venue before and after.
    runtime.subscribe(
        REGISTRATION_WORKSHOP,
        {
            event.TYPE: route(event, workshop_decisions.when_workshop_decided_review_places, tables)
            for event in registration_contracts.WORKSHOP_EVENTS
        },
    )
    runtime.subscribe(
        REGISTRATION_DELEGATE,
        {
            registration_contracts.DelegateRegistered.TYPE: route(
                registration_contracts.DelegateRegistered, sponsorship_requests.when_delegate_registered_keep_request
            ),
            registration_contracts.AttendanceRecorded.TYPE: route(
                registration_contracts.AttendanceRecorded, attendance.when_attendance_recorded_keep_it
            ),
        },
    )
    # Held fares to approve before ticketing, tickets issued and cancelled (actual prices, refunds, credits); fare
    # quotes, the airfare estimates of the next allocation.
    runtime.subscribe(
        TRAVEL_BOOKING,
        {
            travel_contracts.FareHeld.TYPE: route(
                travel_contracts.FareHeld, fares.when_fare_held_charge_actual_fare, tables
            ),
            travel_contracts.TicketIssued.TYPE: route(
                travel_contracts.TicketIssued, tickets.when_ticket_issued_mark_its_money, tables
            ),
            travel_contracts.TicketCancelled.TYPE: route(
                travel_contracts.TicketCancelled, tickets.when_ticket_cancelled_release_the_refund, tables
            ),
            travel_contracts.FareQuoted.TYPE: route(travel_contracts.FareQuoted, fares.when_fare_quoted_keep_quote),
        },
    )
    if settings.sponsorship_deadline_check_every_s > 0:
        runtime.background.append(
            DailyDeadlineCheck(
                lambda pool: transaction(pool, namespace, runtime.clock),
                tables,
                settings.sponsorship_deadline_check_every_s,
                clock=lambda: runtime.clock(),  # the service's clock, as its other decisions
            )
        )
    return runtime


def repository(conn: asyncpg.Connection, namespace: str) -> PostgresRepository:
    """The repository the read API reads through (the funding simulator, the subsistence table, request counts); it
    publishes nothing, so the wall clock it is given stamps nothing."""
    return PostgresRepository(conn, namespace, lambda: datetime.now(UTC))


def rehearsal(
    conn: asyncpg.Connection, namespace: str, clock: Callable[[], datetime]
) -> AbstractAsyncContextManager[Repository]:
    """A repository whose writes are rolled back when the block ends: the what-if's."""
    return postgres.rehearsal(conn, namespace, clock)

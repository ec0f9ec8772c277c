"""Wiring: the one place that picks concrete adapters for the use cases."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from shared.contracts import registration as contracts
from shared.contracts.topics import REGISTRATION_COMMANDS, REGISTRATION_WORKSHOP
from shared.messaging.consumer import route_builder
from shared.runtime import ServiceRuntime

from registration.adapters.gazetteer import Gazetteer
from registration.adapters.postgres import PostgresRepository
from registration.config import Settings
from registration.service import handlers

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
# Airports, countries and retired codes (read from files: once per process).
GAZETTEER = Gazetteer()


def build(settings: Settings) -> ServiceRuntime:
    runtime = ServiceRuntime(
        "registration",
        settings,
        MIGRATIONS,
        refused_contract=contracts.RegistrationCommandRefused,
        events_topic=REGISTRATION_WORKSHOP,
    )
    namespace = settings.logistics_namespace

    route = route_builder(lambda conn: PostgresRepository(conn, namespace, runtime.clock))
    runtime.subscribe(
        REGISTRATION_COMMANDS,
        {
            contracts.ScheduleWorkshop.TYPE: route(contracts.ScheduleWorkshop, handlers.schedule_workshop, GAZETTEER),
            contracts.RegisterDelegate.TYPE: route(contracts.RegisterDelegate, handlers.register_delegate, GAZETTEER),
            contracts.DefineProgramme.TYPE: route(contracts.DefineProgramme, handlers.define_programme),
            contracts.ApproveRegistration.TYPE: route(contracts.ApproveRegistration, handlers.approve_registration),
            contracts.RejectRegistration.TYPE: route(contracts.RejectRegistration, handlers.reject_registration),
            contracts.SetTravelDates.TYPE: route(contracts.SetTravelDates, handlers.set_delegate_travel_dates),
            contracts.RequestTravelChange.TYPE: route(
                contracts.RequestTravelChange, handlers.request_travel_change, GAZETTEER
            ),
            contracts.RecordAttendance.TYPE: route(contracts.RecordAttendance, handlers.record_delegate_attendance),
            **{
                decision.TYPE: route(decision, handlers.decide, GAZETTEER)
                for decision in (
                    contracts.MoveWorkshop,
                    contracts.PostponeWorkshop,
                    contracts.DeferWorkshop,
                    contracts.RescheduleWorkshop,
                    contracts.CancelWorkshop,
                    contracts.ConfirmWorkshop,
                    contracts.CloseWorkshop,
                )
            },
        },
    )
    return runtime


async def preview_decision(
    conn: Any, settings: Settings, command: contracts.WorkshopDecision, clock: Callable[[], datetime]
) -> contracts.WorkshopScheduled | None:
    """What registration would announce if staff took this decision now (the read API's what-if); nothing saved.
    Asked now: a decision without a date of its own is dated today (by `clock`), as one sent now would be."""
    repo = PostgresRepository(conn, settings.logistics_namespace, clock)
    return await handlers.preview_decision(repo, command, GAZETTEER, clock().date())

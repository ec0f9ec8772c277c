"""Wiring: the one place that picks concrete adapters for the use cases."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import airportsdata
import asyncpg
from shared.contracts import registration as contracts
from shared.contracts.envelope import Envelope
from shared.contracts.topics import REGISTRATION_COMMANDS, REGISTRATION_WORKSHOP
from shared.messaging.consumer import Route
from shared.runtime import ServiceRuntime

from registration.adapters.postgres import PostgresRepository
from registration.config import Settings
from registration.service import handlers

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
AIRPORTS = frozenset(airportsdata.load("IATA"))


def build(settings: Settings) -> ServiceRuntime:
    runtime = ServiceRuntime(
        "registration",
        settings,
        MIGRATIONS,
        refused_contract=contracts.RegistrationCommandRefused,
        events_topic=REGISTRATION_WORKSHOP,
    )
    namespace = settings.logistics_namespace

    async def schedule(envelope: Envelope, command: Any, conn: asyncpg.Connection) -> None:
        await handlers.schedule_workshop(PostgresRepository(conn, namespace), envelope, command, AIRPORTS)

    async def register(envelope: Envelope, command: Any, conn: asyncpg.Connection) -> None:
        await handlers.register_delegate(PostgresRepository(conn, namespace), envelope, command, AIRPORTS)

    runtime.subscribe(
        REGISTRATION_COMMANDS,
        {
            contracts.ScheduleWorkshop.TYPE: Route(contracts.ScheduleWorkshop, schedule),
            contracts.RegisterDelegate.TYPE: Route(contracts.RegisterDelegate, register),
        },
    )
    return runtime

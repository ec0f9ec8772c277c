"""Wiring: the one place that picks concrete adapters for notifications."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
from shared.contracts import registration as registration_contracts
from shared.contracts import sponsorship as sponsorship_contracts
from shared.contracts import travel as travel_contracts
from shared.contracts.envelope import Contract, Envelope
from shared.contracts.topics import (
    REGISTRATION_DELEGATE,
    REGISTRATION_WORKSHOP,
    SPONSORSHIP_AWARD,
    TRAVEL_BOOKING,
)
from shared.messaging.consumer import Route
from shared.runtime import ServiceRuntime

from notifications.adapters.postgres import PostgresMailQueue, PostgresRepository, mail_leadership
from notifications.adapters.renderer import TemplateRenderer
from notifications.adapters.smtp import SmtpMailer
from notifications.config import Settings
from notifications.service import handlers
from notifications.service.sending import MailWorker

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def build(settings: Settings) -> ServiceRuntime:
    runtime = ServiceRuntime("notifications", settings, MIGRATIONS)
    namespace = settings.logistics_namespace

    def route(contract: type[Contract], handler: Callable[..., Awaitable[None]]) -> Route:
        async def run(envelope: Envelope, payload: Any, conn: asyncpg.Connection) -> None:
            await handler(PostgresRepository(conn, namespace), envelope, payload)

        return Route(contract, run)

    runtime.subscribe(
        REGISTRATION_WORKSHOP,
        {
            registration_contracts.WorkshopScheduled.TYPE: route(
                registration_contracts.WorkshopScheduled, handlers.when_workshop_scheduled_keep_facts
            )
        },
    )
    runtime.subscribe(
        REGISTRATION_DELEGATE,
        {
            registration_contracts.DelegateRegistered.TYPE: route(
                registration_contracts.DelegateRegistered, handlers.when_delegate_registered_keep_contact
            )
        },
    )
    runtime.subscribe(
        SPONSORSHIP_AWARD,
        {
            cls.TYPE: route(cls, handlers.when_sponsorship_decided_queue_email)
            for cls in (
                sponsorship_contracts.SponsorshipGranted,
                sponsorship_contracts.SponsorshipWaitlisted,
                sponsorship_contracts.SponsorshipRefused,
            )
        },
    )
    runtime.subscribe(
        TRAVEL_BOOKING,
        {
            travel_contracts.TicketIssued.TYPE: route(
                travel_contracts.TicketIssued, handlers.when_ticket_issued_send_itinerary
            )
        },
    )
    runtime.background.append(
        MailWorker(
            lambda pool: PostgresMailQueue(pool, namespace),
            SmtpMailer(settings),
            TemplateRenderer(),
            settings.mail_from,
            mail_leadership,
        )
    )
    return runtime

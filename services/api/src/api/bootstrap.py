"""Wiring: the API's runtime (its database, outbox relay and operations endpoints) with no consumers of its own,
and the one place that picks the adapters its entrypoints use: the token store, audit log and replays (PostgreSQL),
the Kafka readers (lag, dead letters, the event log) and the services' read APIs."""

from __future__ import annotations

from pathlib import Path

from shared.runtime import ServiceRuntime

from api.adapters import kafka, service_reads
from api.adapters.postgres import Audit, Replay, TokenStore
from api.adapters.reply_store import ReplyStore
from api.config import Settings

__all__ = ["MIGRATIONS", "Audit", "Replay", "ReplyStore", "TokenStore", "build", "kafka", "service_reads"]

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def build(settings: Settings) -> ServiceRuntime:
    return ServiceRuntime("api", settings, MIGRATIONS)

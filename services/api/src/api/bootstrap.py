"""Wiring: the API's runtime (its database, outbox relay and operations endpoints) with no consumers of its own."""

from __future__ import annotations

from pathlib import Path

from shared.runtime import ServiceRuntime

from api.config import Settings

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def build(settings: Settings) -> ServiceRuntime:
    return ServiceRuntime("api", settings, MIGRATIONS)

"""Fixtures every test folder may use: the real infrastructure (Kafka, PostgreSQL) and fresh migrated databases."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import asyncpg
import pytest
from shared.db.database import ensure_database, migrate, open_pool
from shared.settings import with_database

from tests.harness import infrastructure

ROOT = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that uses the real infrastructure is marked `stack`: `pytest -m "not stack"` is the fast loop."""
    for item in items:
        if "infra" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.stack)


@pytest.fixture(scope="session")
def infra() -> dict[str, str]:
    return infrastructure()


@pytest.fixture
async def migrated_pool(infra: dict[str, str]) -> AsyncIterator[Callable[[str], Awaitable[asyncpg.Pool]]]:
    """A factory: a fresh database of the named service with its migrations applied, dropped after the test."""
    server = infra["DATABASE_URL"]
    made: list[tuple[str, asyncpg.Pool]] = []

    async def make(service: str) -> asyncpg.Pool:
        name = f"t{uuid.uuid4().hex[:8]}_{service}"
        await ensure_database(server, name)
        pool = await open_pool(with_database(server, name))
        await migrate(pool, ROOT / "services" / service / "migrations")
        made.append((name, pool))
        return pool

    yield make
    conn = await asyncpg.connect(server)
    try:
        for name, pool in made:
            await pool.close()
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()

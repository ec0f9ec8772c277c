"""Create a service's database when missing, apply its migrations once, hand out a pool."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import structlog

from shared.db.leadership import lock_for_transaction

log = structlog.get_logger()

PLUMBING_SQL = Path(__file__).with_name("plumbing.sql")


async def ensure_database(server_url: str, name: str, *, timeout: float = 60.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        try:
            conn = await asyncpg.connect(server_url)
            break
        except (OSError, asyncpg.CannotConnectNowError) as exc:
            if asyncio.get_running_loop().time() > deadline:
                raise RuntimeError(f"PostgreSQL at {server_url.split('@')[-1]} did not answer") from exc
            await asyncio.sleep(0.5)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            try:
                await conn.execute(f'CREATE DATABASE "{name}"')
                log.info("database.created", database=name)
            except asyncpg.DuplicateDatabaseError:
                pass
    finally:
        await conn.close()


async def migrate(pool: asyncpg.Pool, migrations: Path) -> None:
    """Apply plumbing.sql, then every migrations/*.sql not yet applied, in name order, under a lock."""
    async with pool.acquire() as conn, conn.transaction():
        await lock_for_transaction(conn, "migrations")
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations"
            " (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        applied = {row["name"] for row in await conn.fetch("SELECT name FROM schema_migrations")}
        files = [PLUMBING_SQL, *sorted(migrations.glob("*.sql"))]  # noqa: ASYNC240 (start-up only)
        for file in files:
            name = "000_plumbing.sql" if file == PLUMBING_SQL else file.name
            if name in applied:
                continue
            await conn.execute(file.read_text())
            await conn.execute("INSERT INTO schema_migrations (name) VALUES ($1)", name)
            log.info("database.migrated", migration=name)


async def open_pool(url: str, *, min_size: int = 2, max_size: int = 10) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(url, min_size=min_size, max_size=max_size)
    assert pool is not None
    return pool

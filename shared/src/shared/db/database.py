"""Create a service's database when missing, apply its migrations once, hand out a pool."""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

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


class MigrationDrift(RuntimeError):
    """An applied migration whose file has changed since: refused, never re-applied nor silently ignored."""


@dataclass(frozen=True)
class Migration:
    name: str
    state: Literal["applied", "pending", "changed", "missing"]  # missing: applied, its file no longer here


def migration_files(migrations: Path) -> list[tuple[str, Path]]:
    """plumbing.sql (as 000_plumbing.sql), then migrations/*.sql in name order."""
    return [("000_plumbing.sql", PLUMBING_SQL), *((file.name, file) for file in sorted(migrations.glob("*.sql")))]


def checksum(file: Path) -> str:
    return hashlib.sha256(file.read_bytes()).hexdigest()


async def _applied(conn: asyncpg.Connection) -> dict[str, str | None]:
    await conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations"
        " (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now(), checksum text)"
    )
    # Tables made before checksums were recorded (issue 17): the column is added, their rows' checksums are taken
    # from the files as they are at the first run of this version (trust on first use).
    await conn.execute("ALTER TABLE schema_migrations ADD COLUMN IF NOT EXISTS checksum text")
    return {row["name"]: row["checksum"] for row in await conn.fetch("SELECT name, checksum FROM schema_migrations")}


async def apply_migrations(conn: asyncpg.Connection, migrations: Path) -> list[str]:
    """Apply, in one transaction under the database's migration lock, every migration not yet applied; refuse
    (MigrationDrift, nothing applied) when an applied one's file has changed. Returns the names applied."""
    done: list[str] = []
    async with conn.transaction():
        await lock_for_transaction(conn, "migrations")
        applied = await _applied(conn)
        files = migration_files(migrations)
        changed = []
        for name, file in files:
            if name not in applied:
                continue
            if applied[name] is None:
                await conn.execute("UPDATE schema_migrations SET checksum = $2 WHERE name = $1", name, checksum(file))
            elif applied[name] != checksum(file):
                changed.append(name)
        if changed:
            raise MigrationDrift(
                f"applied migrations changed since they were applied: {', '.join(changed)} (in {migrations})."
                " An applied migration is never edited: restore the file as it was and add a new migration."
            )
        for name, file in files:
            if name in applied:
                continue
            await conn.execute(file.read_text())
            await conn.execute("INSERT INTO schema_migrations (name, checksum) VALUES ($1, $2)", name, checksum(file))
            log.info("database.migrated", migration=name)
            done.append(name)
    return done


async def migration_status(conn: asyncpg.Connection, migrations: Path) -> list[Migration]:
    """Each migration: applied, pending, changed (applied, its file since edited) or missing (applied, no file)."""
    exists = await conn.fetchval("SELECT to_regclass('schema_migrations') IS NOT NULL")
    applied: dict[str, str | None] = {}
    if exists:
        has_checksum = await conn.fetchval(
            "SELECT count(*) > 0 FROM information_schema.columns"
            " WHERE table_name = 'schema_migrations' AND column_name = 'checksum'"
        )
        column = "checksum" if has_checksum else "NULL::text AS checksum"
        applied = {
            row["name"]: row["checksum"] for row in await conn.fetch(f"SELECT name, {column} FROM schema_migrations")
        }
    found = []
    files = migration_files(migrations)
    for name, file in files:
        if name not in applied:
            found.append(Migration(name, "pending"))
        elif applied[name] is not None and applied[name] != checksum(file):
            found.append(Migration(name, "changed"))
        else:
            found.append(Migration(name, "applied"))
    known = {name for name, _ in files}
    found += [Migration(name, "missing") for name in sorted(applied) if name not in known]
    return found


async def migrate(pool: asyncpg.Pool, migrations: Path) -> list[str]:
    """Apply plumbing.sql, then every migrations/*.sql not yet applied, in name order, under a lock."""
    async with pool.acquire() as conn:
        return await apply_migrations(conn, migrations)


async def open_pool(url: str, *, min_size: int = 2, max_size: int = 10) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(url, min_size=min_size, max_size=max_size)
    assert pool is not None
    return pool

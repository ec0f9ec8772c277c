"""Advisory locks, numbered in one place, and the leadership of a background worker.

A background worker (the outbox relay, the booking worker, the mail sender) runs in every replica of its service but
acts in one only: the replica that holds the worker's session advisory lock. The leader listens on the worker's
channel, so a NOTIFY from the transaction that queued work wakes it at once. When its connection drops, PostgreSQL
releases the lock and the next replica takes over within `RETRY_S`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Literal

import asyncpg
import structlog

log = structlog.get_logger()

Lock = Literal["migrations", "outbox-relay", "mail-worker", "mail-digest", "booking-worker"]

# Every advisory lock the services take, per database. The numbers are those the services have always used, so
# replicas of two releases still exclude each other during a rolling upgrade.
LOCKS: dict[Lock, int] = {
    "migrations": 7261,
    "outbox-relay": 7262,
    "mail-worker": 7263,
    "mail-digest": 7264,
    "booking-worker": 7_310_003,
}
RETRY_S = 2.0


@asynccontextmanager
async def leading(conn: asyncpg.Connection, lock: Lock, channel: str) -> AsyncIterator[asyncio.Event]:
    """Wait until this connection holds `lock`, listen on `channel`; yield an event set on each notification."""
    wake = asyncio.Event()

    def on_notify(*_: object) -> None:
        wake.set()

    try:
        while not await conn.fetchval("SELECT pg_try_advisory_lock($1)", LOCKS[lock]):
            await asyncio.sleep(RETRY_S)  # another replica leads
        await conn.add_listener(channel, on_notify)
        log.info("leader.elected", lock=lock)
        yield wake
    finally:
        if not conn.is_closed():
            await conn.remove_listener(channel, on_notify)
            await conn.execute("SELECT pg_advisory_unlock_all()")


@asynccontextmanager
async def leading_from(pool: asyncpg.Pool, lock: Lock, channel: str) -> AsyncIterator[asyncio.Event]:
    """`leading` on a connection of the pool, held for as long as the leadership."""
    async with pool.acquire() as conn, leading(conn, lock, channel) as wake:
        yield wake


async def lock_for_transaction(conn: asyncpg.Connection, lock: Lock) -> None:
    """Take `lock` until the current transaction ends."""
    await conn.execute("SELECT pg_advisory_xact_lock($1)", LOCKS[lock])

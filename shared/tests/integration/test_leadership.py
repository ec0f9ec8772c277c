"""Leadership of a background worker on real PostgreSQL: one leader at a time per lock, the next takes over when the
first lets go (or its connection dies), and a NOTIFY on the worker's channel wakes the leader."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import asyncpg
import pytest
from shared.db import leadership
from shared.db.leadership import LOCKS, leading

pytestmark = pytest.mark.stack


@pytest.fixture
async def pool(migrated_pool: Callable[[str], Awaitable[asyncpg.Pool]]) -> asyncpg.Pool:
    return await migrated_pool("api")


def test_every_lock_has_its_own_number() -> None:
    assert len(set(LOCKS.values())) == len(LOCKS)


async def test_one_leader_at_a_time_and_a_notify_wakes_it(pool: asyncpg.Pool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(leadership, "RETRY_S", 0.05)
    first, second = await pool.acquire(), await pool.acquire()
    try:
        async with leading(first, "booking-worker", "tests_work") as wake:
            contender = asyncio.create_task(_lead_once(second))
            await asyncio.sleep(0.5)
            assert not contender.done()  # the lock is held: the second replica waits

            await pool.execute("NOTIFY tests_work")
            await asyncio.wait_for(wake.wait(), 5)
        assert await asyncio.wait_for(contender, 5) == "led"  # the first let go: the second leads
    finally:
        await pool.release(first)
        await pool.release(second)


async def test_a_leader_whose_connection_dies_is_replaced(pool: asyncpg.Pool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(leadership, "RETRY_S", 0.05)
    doomed, other = await pool.acquire(), await pool.acquire()
    try:
        entered = leading(doomed, "mail-worker", "tests_mail")
        await entered.__aenter__()
        contender = asyncio.create_task(_lead_once(other, "mail-worker"))
        await asyncio.sleep(0.3)
        assert not contender.done()
        doomed.terminate()  # a crash: PostgreSQL releases the session's lock
        assert await asyncio.wait_for(contender, 5) == "led"
    finally:
        await pool.release(other)
        await pool.release(doomed)


async def _lead_once(conn: asyncpg.Connection, lock: leadership.Lock = "booking-worker") -> str:
    async with leading(conn, lock, "tests_other"):
        return "led"

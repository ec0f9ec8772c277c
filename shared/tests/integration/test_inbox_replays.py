"""The inbox and a replayed dead letter, on real PostgreSQL: a message whose handler failed is dead-lettered; a
redelivery of it changes nothing; a replay while the fault remains is dead-lettered again; once the fault is fixed a
replay is applied, once; a second delivery of the replay is a duplicate."""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
from faststream.kafka import KafkaBroker
from shared.contracts.dead_letters import replay_headers
from shared.contracts.envelope import Contract, Envelope, envelope_for
from shared.messaging.consumer import Consumer, Route

pytestmark = pytest.mark.stack

TOPIC = "tests.notes.v1"


class Noted(Contract):
    TYPE = "tests.noted"
    ref: str


@dataclass
class Record:
    topic: str
    partition: int
    offset: int
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]


class Notes:
    """A handler whose effect is a row, and a fault to switch on and off."""

    def __init__(self) -> None:
        self.broken = True

    async def keep(self, envelope: Envelope, payload: Any, conn: asyncpg.Connection) -> None:
        if self.broken:
            raise RuntimeError("the workshop is not known yet")
        await conn.execute("INSERT INTO notes (event_id) VALUES ($1)", envelope.event_id)


@pytest.fixture
async def pool(migrated_pool: Callable[[str], Awaitable[asyncpg.Pool]]) -> asyncpg.Pool:
    found = await migrated_pool("api")  # any service's database: the inbox and outbox are everyone's
    await found.execute("CREATE TABLE notes (event_id uuid NOT NULL)")
    return found


async def test_a_replay_is_applied_once_after_the_fault_is_fixed(pool: asyncpg.Pool) -> None:
    notes = Notes()
    consumer = Consumer(
        "sponsorship", KafkaBroker(), group_id="sponsorship", namespace="", clock=lambda: datetime.now(UTC)
    )
    consumer.subscribe(TOPIC, {Noted.TYPE: Route(Noted, notes.keep)})
    consumer.pool = pool
    envelope = envelope_for(
        Noted(ref="GVA-017"), aggregate_key="GVA-017", occurred_at=datetime.now(UTC), event_id=uuid.uuid4()
    )
    original = Record(TOPIC, 2, 41, b"GVA-017", envelope.model_dump_json().encode(), envelope.headers())

    def replay(offset: int, group: str = "sponsorship") -> Record:
        headers = replay_headers(original.headers, consumer=group, by="Ops (t1)", of=f"{TOPIC}.dlq:2:{offset}")
        return Record(TOPIC, 2, offset, original.key, original.value, headers)

    async def state() -> tuple[list[str], int, list[str]]:
        rows = await pool.fetch("SELECT outcome FROM inbox WHERE event_id = $1", envelope.event_id)
        inbox = [row["outcome"] for row in rows]
        effects = await pool.fetchval("SELECT count(*) FROM notes")
        letters = [json.loads(r["headers"]) for r in await pool.fetch("SELECT headers FROM outbox ORDER BY id")]
        offsets = [dict(headers)["dlq.offset"] for headers in letters]
        return inbox, effects, offsets

    await consumer.process_batch((original,))
    assert await state() == (["dead_lettered"], 0, ["41"])
    await consumer.process_batch((original,))  # a redelivery, not a replay: nothing new
    assert await state() == (["dead_lettered"], 0, ["41"])
    await consumer.process_batch((replay(90, group="travel"),))  # another group's replay: not this one's business
    assert await state() == (["dead_lettered"], 0, ["41"])
    await consumer.process_batch((replay(91),))  # replayed too early: a new dead letter
    assert await state() == (["dead_lettered"], 0, ["41", "91"])

    notes.broken = False
    await consumer.process_batch((replay(92),))
    assert await state() == (["applied"], 1, ["41", "91"])
    await consumer.process_batch((replay(92), replay(93)))  # the replay again, and a second replay: duplicates
    await consumer.process_batch((original,))
    assert await state() == (["applied"], 1, ["41", "91"])

"""Transactional outbox: a row written in the state change's transaction, published by one relay.

The relay claims rows in id order with FOR UPDATE SKIP LOCKED, sends them pipelined with an idempotent
producer (acks=all), marks them published and sleeps on LISTEN/NOTIFY, polling slowly as a fallback.
A session advisory lock keeps one relay active per database, so per-key order holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

import asyncpg
import structlog
from aiokafka import AIOKafkaProducer

from shared.contracts.envelope import Envelope
from shared.db.leadership import leading
from shared.observability import metrics, tracing

log = structlog.get_logger()

CHANNEL = "outbox"
BATCH = 500


async def add(conn: asyncpg.Connection, topic: str, envelope: Envelope) -> None:
    """Queue an envelope for publication; call inside the transaction that makes the change."""
    await add_raw(
        conn,
        topic=topic,
        key=envelope.aggregate_key,
        event_id=envelope.event_id,
        event_type=envelope.event_type,
        body=envelope.model_dump_json().encode(),
        headers=envelope.headers(),
    )


async def add_raw(
    conn: asyncpg.Connection,
    *,
    topic: str,
    key: str,
    event_id: Any,
    event_type: str,
    body: bytes,
    headers: list[tuple[str, bytes]],
) -> None:
    headers = tracing.with_context(headers)  # the row carries the trace on to the consumers
    await conn.execute(
        "INSERT INTO outbox (topic, message_key, event_id, event_type, body, headers)"
        " VALUES ($1, $2, $3, $4, $5, $6::jsonb) ON CONFLICT (event_id) DO NOTHING",
        topic,
        key,
        event_id,
        event_type,
        body,
        json.dumps([[name, value.decode("utf-8", "replace")] for name, value in headers]),
    )  # the outbox_notify trigger wakes the relay (plumbing.sql)


async def pending(conn: asyncpg.Connection) -> int:
    return int(await conn.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL"))


class OutboxRelay:
    def __init__(self, pool: asyncpg.Pool, database_url: str, producer: AIOKafkaProducer, namespace: str = "") -> None:
        self._pool = pool
        self._namespace = namespace  # left out of the metrics' topic labels
        self._database_url = database_url
        self._producer = producer
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            try:
                await self._lead()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox.relay_failed")
                await asyncio.sleep(1.0)

    async def _lead(self) -> None:
        listener = await asyncpg.connect(self._database_url)
        try:
            async with leading(listener, "outbox-relay", CHANNEL) as wake:
                while True:
                    published = await self.publish_batch()
                    if published < BATCH:
                        wake.clear()
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(wake.wait(), timeout=1.0)
        finally:
            await listener.close()

    async def publish_batch(self) -> int:
        async with self._pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                "SELECT id, topic, message_key, event_type, body, headers,"
                " extract(epoch FROM clock_timestamp() - created_at) AS waited_s FROM outbox WHERE published_at IS NULL"
                " ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED",
                BATCH,
            )
            if not rows:
                return 0
            sent = [[(name, value.encode()) for name, value in json.loads(row["headers"])] for row in rows]
            futures = [
                await self._producer.send(
                    row["topic"], value=row["body"], key=row["message_key"].encode(), headers=headers
                )
                for row, headers in zip(rows, sent, strict=True)
            ]
            await asyncio.gather(*futures)
            await conn.execute(
                "UPDATE outbox SET published_at = clock_timestamp() WHERE id = ANY($1::bigint[])",
                [row["id"] for row in rows],
            )
        for row, headers in zip(rows, sent, strict=True):
            topic = metrics.unqualified(row["topic"], self._namespace)
            metrics.MESSAGES_PRODUCED.labels(topic, row["event_type"]).inc()
            metrics.OUTBOX_PUBLISH_LAG.labels(topic).observe(float(row["waited_s"]))
            tracing.published(
                f"publish {row['event_type']}",
                headers,
                float(row["waited_s"]),
                {"messaging.system": "kafka", "messaging.destination.name": topic},
            )
        log.debug("outbox.published", count=len(rows))
        return len(rows)

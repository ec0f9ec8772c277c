"""The consumer runner: parse, deduplicate, apply in one transaction, then commit the offset.

For every message of a subscribed topic:
- a message this service does not handle is skipped (header `event_type` checked before parsing);
- a malformed envelope or payload goes to `<topic>.dlq` with the reason in its headers;
- otherwise the inbox row and the handler's effects (state + outbox rows) commit in one transaction,
  so a redelivered message finds its inbox row and does nothing;
- a handler raising `Refused` records the refusal (outcome and reason) and publishes the service's
  `command_refused` event instead of the effect; so does a command without an actor, or whose actor's roles do
  not allow it (only the API sets actors: a command put on Kafka by hand is refused, not applied);
- transient failures (database or broker unreachable) are retried without limit, other failures a
  few times with backoff, then dead-lettered: the partition keeps flowing;
- only then is the offset committed (FastStream `AckPolicy.MANUAL`, never ack-first).

Messages arrive in batches (several partitions, each in order). A batch is applied in one transaction
with one inbox statement and one offset commit: database round trips, not CPU, bound this machine.
If anything in the batch fails, the transaction rolls back and the batch is applied again one message
at a time, where retries, refusals and dead letters are handled per message.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
import structlog
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaMessage
from pydantic import ValidationError

from shared.contracts.envelope import Command, Contract, Envelope, describe, envelope_for, refusal
from shared.contracts.topics import dead_letter, qualified
from shared.contracts.upcasting import upcast
from shared.messaging import outbox

log = structlog.get_logger()

Handler = Callable[[Envelope, Any, asyncpg.Connection], Awaitable[None]]

TRANSIENT = (
    OSError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.SerializationError,
    asyncpg.DeadlockDetectedError,
    asyncpg.TooManyConnectionsError,
    asyncpg.CannotConnectNowError,
)
MAX_ATTEMPTS = 3
BATCH = 200


class Refused(Exception):
    """A business 'no' to a command: recorded with its reason, never retried."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Route:
    contract: type[Contract]
    handler: Handler


def route_builder(repository: Callable[[asyncpg.Connection], Any]) -> Callable[..., Route]:
    """Routes whose handlers get a repository on the message's connection, then the envelope, payload, extras."""

    def route(contract: type[Contract], handler: Callable[..., Awaitable[None]], *extra: Any) -> Route:
        async def run(envelope: Envelope, payload: Any, conn: asyncpg.Connection) -> None:
            await handler(repository(conn), envelope, payload, *extra)

        return Route(contract, run)

    return route


def authorize(envelope: Envelope, route: Route) -> None:
    """A command is applied only with an actor whose roles allow it (set by the API, never by the caller)."""
    if issubclass(route.contract, Command) and (reason := refusal(route.contract, envelope.actor)) is not None:
        raise Refused(reason)


@dataclass(frozen=True)
class Item:
    """One consumed record, parsed; `reason` says why it must be dead-lettered, if it must."""

    record: Any
    position: tuple[str, int, int]
    envelope: Envelope | None
    payload: Any
    route: Route | None
    reason: str | None


class Consumer:
    def __init__(
        self,
        service: str,
        broker: KafkaBroker,
        *,
        group_id: str,
        namespace: str,
        refused_contract: type[Contract] | None = None,
        events_topic: str | None = None,
    ) -> None:
        self.service = service
        self.broker = broker
        self.group_id = group_id
        self.namespace = namespace
        self.refused_contract = refused_contract
        self.events_topic = events_topic
        self.pool: asyncpg.Pool | None = None
        self.processed = 0
        self.routes: dict[str, dict[str, Route]] = {}  # qualified topic -> event type -> route
        self.raw: dict[str, Callable[[asyncpg.Connection, Any], Awaitable[None]]] = {}  # qualified topic -> handler

    def subscribe(self, topic: str, routes: dict[str, Route]) -> None:
        """Handle these message types on this topic (one Kafka consumer reads every subscribed topic: see attach)."""
        self.routes[qualified(topic, self.namespace)] = routes

    def subscribe_raw(self, topics: list[str], handler: Callable[[asyncpg.Connection, Any], Awaitable[None]]) -> None:
        """Read these (qualified) topics as raw records, any content (dead letters): `handler` gets each record on
        the batch's connection, inside one transaction committed before the offsets. It must be idempotent."""
        for topic in topics:
            self.raw[topic] = handler

    def attach(self) -> None:
        """One Kafka consumer for all the subscribed topics, so the service is one member of its consumer group: a
        consumer per topic made each start a series of rebalances (seconds, repeated at every restart)."""
        if not self.routes and not self.raw:
            return

        @self.broker.subscriber(
            *self.routes,
            *self.raw,
            group_id=self.group_id,
            ack_policy=AckPolicy.MANUAL,
            auto_offset_reset="earliest",
            batch=True,
            max_records=BATCH,
            batch_timeout_ms=100,
        )
        async def on_batch(msg: KafkaMessage) -> None:
            # Only the message itself: a body parameter would make FastStream decode JSON first.
            await self.process_batch(msg.raw_message)
            await msg.ack()

    def read(self, topic: str, routes: dict[str, Route], record: Any) -> Item | None:
        """Parse one record: None when it is not for this service, an Item (maybe a dead letter) otherwise."""
        headers = {key: value for key, value in (record.headers or ())}
        declared = headers.get("event_type", b"").decode("utf-8", "replace")
        if declared and declared not in routes:
            return None
        position = (topic, record.partition, record.offset)
        try:
            envelope = Envelope.model_validate_json(record.value)
        except ValidationError as error:
            return Item(record, position, None, None, None, f"malformed envelope: {describe(error)}")
        route = routes.get(envelope.event_type)
        if route is None:
            return None
        envelope = upcast(envelope)  # an older version of the contract, read as the current one
        try:
            payload = route.contract.model_validate(envelope.payload)
        except ValidationError as error:
            reason = f"malformed {envelope.event_type} payload: {describe(error)}"
            return Item(record, position, envelope, None, None, reason)
        return Item(record, position, envelope, payload, route, None)

    async def process_batch(self, records: tuple[Any, ...]) -> None:
        """Records of any subscribed topics, each partition's in order."""
        raw = [record for record in records if record.topic in self.raw]
        if raw:
            assert self.pool is not None
            async with self.pool.acquire() as conn, conn.transaction():
                for record in raw:
                    await self.raw[record.topic](conn, record)
        read = (
            self.read(record.topic, self.routes[record.topic], record)
            for record in records
            if record.topic in self.routes
        )
        items = [item for item in read if item]
        if not items:
            return
        if all(item.reason is None for item in items):  # dead letters are written one by one
            try:
                await self.apply_batch(items)
                return
            except Exception as error:
                log.info("batch.applying_one_by_one", size=len(items), error=type(error).__name__)
        for item in items:
            await self.process(item)

    async def apply_batch(self, items: list[Item]) -> None:
        """All items in one transaction: a single inbox statement claims them, handlers run in order."""
        assert self.pool is not None
        applicable = items
        async with self.pool.acquire() as conn, conn.transaction():
            claimed = await self.claim_many(conn, applicable)
            for item in applicable:
                assert item.envelope is not None and item.route is not None
                if item.envelope.event_id not in claimed:
                    continue
                claimed.discard(item.envelope.event_id)  # the same event twice in one batch: once
                with self.context(item.envelope):
                    authorize(item.envelope, item.route)
                    await item.route.handler(item.envelope, item.payload, conn)
        self.processed += len(applicable)

    async def claim_many(self, conn: asyncpg.Connection, items: list[Item]) -> set[uuid.UUID]:
        rows = await conn.fetch(
            "INSERT INTO inbox (consumer, event_id, event_type, topic, kafka_partition, kafka_offset)"
            " SELECT $1, * FROM unnest($2::uuid[], $3::text[], $4::text[], $5::int[], $6::bigint[])"
            " ON CONFLICT DO NOTHING RETURNING event_id",
            self.group_id,
            [item.envelope.event_id for item in items if item.envelope],
            [item.envelope.event_type for item in items if item.envelope],
            [item.position[0] for item in items],
            [item.position[1] for item in items],
            [item.position[2] for item in items],
        )
        claimed = {row["event_id"] for row in rows}
        if len(claimed) < len(items):
            log.info("message.duplicate_skipped", count=len(items) - len(claimed))
        return claimed

    def context(self, envelope: Envelope) -> Any:
        return structlog.contextvars.bound_contextvars(
            correlation_id=str(envelope.correlation_id),
            causation_id=str(envelope.causation_id) if envelope.causation_id else None,
            event_id=str(envelope.event_id),
            event_type=envelope.event_type,
            consumer=self.group_id,
        )

    async def process(self, item: Item) -> None:
        """One message on its own: dead letter, or apply with retries and refusals."""
        if item.reason is not None:
            await self.dead_letter(item.position, item.record, item.record.value, item.reason, envelope=item.envelope)
            return
        assert item.envelope is not None and item.route is not None
        with self.context(item.envelope):
            await self.apply(item.position, item.record, item.record.value, item.envelope, item.payload, item.route)

    async def apply(
        self,
        position: tuple[str, int, int],
        record: Any,
        body: bytes,
        envelope: Envelope,
        payload: Any,
        route: Route,
    ) -> None:
        assert self.pool is not None
        attempts = 0
        while True:
            try:
                async with self.pool.acquire() as conn, conn.transaction():
                    if await self.claim(conn, envelope, position):
                        authorize(envelope, route)
                        await route.handler(envelope, payload, conn)
                self.processed += 1
                return
            except Refused as refusal:
                await self.record_refusal(position, envelope, refusal.reason)
                return
            except TRANSIENT as error:
                delay = min(5.0, 0.2 * 2 ** min(attempts, 5))
                log.warning("message.transient_failure", error=type(error).__name__, retry_in_s=delay)
                attempts += 1
                await asyncio.sleep(delay)
            except Exception as error:
                attempts += 1
                log.exception("message.handler_failed", attempt=attempts)
                if attempts >= MAX_ATTEMPTS:
                    reason = f"handler failed {attempts} times: {type(error).__name__}: {error}"[:1000]
                    await self.dead_letter(position, record, body, reason, envelope=envelope)
                    return
                await asyncio.sleep(0.2 * 2**attempts)

    async def claim(
        self,
        conn: asyncpg.Connection,
        envelope: Envelope,
        position: tuple[str, int, int],
        outcome: str = "applied",
        reason: str | None = None,
        event_id: uuid.UUID | None = None,
    ) -> bool:
        inserted = await conn.fetchval(
            "INSERT INTO inbox (consumer, event_id, event_type, topic, kafka_partition, kafka_offset, outcome, reason)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING RETURNING true",
            self.group_id,
            event_id or envelope.event_id,
            envelope.event_type if envelope else "unknown",
            *position,
            outcome,
            reason,
        )
        if not inserted:
            log.info("message.duplicate_skipped")
        return bool(inserted)

    async def record_refusal(self, position: tuple[str, int, int], envelope: Envelope, reason: str) -> None:
        assert self.pool is not None
        log.info("command.refused", reason=reason)
        async with self.pool.acquire() as conn, conn.transaction():
            if not await self.claim(conn, envelope, position, "refused", reason):
                return
            if self.refused_contract and self.events_topic:
                refusal = self.refused_contract.model_validate(
                    {
                        "command_id": str(envelope.event_id),
                        "command_type": envelope.event_type,
                        "reason": reason,
                    }
                )
                event = envelope_for(refusal, aggregate_key=envelope.aggregate_key, causation=envelope)
                await outbox.add(conn, qualified(self.events_topic, self.namespace), event)

    async def dead_letter(
        self,
        position: tuple[str, int, int],
        record: Any,
        body: bytes,
        reason: str,
        envelope: Envelope | None = None,
    ) -> None:
        """Record the message as dead-lettered and queue it, unchanged, for `<topic>.dlq` (via the outbox)."""
        assert self.pool is not None
        topic, partition, offset = position
        event_id = envelope.event_id if envelope else uuid.uuid5(uuid.NAMESPACE_URL, f"{topic}/{partition}/{offset}")
        log.warning("message.dead_lettered", topic=topic, partition=partition, offset=offset, reason=reason)
        while True:
            try:
                async with self.pool.acquire() as conn, conn.transaction():
                    inserted = await conn.fetchval(
                        "INSERT INTO inbox (consumer, event_id, event_type, topic, kafka_partition, kafka_offset,"
                        " outcome, reason) VALUES ($1, $2, $3, $4, $5, $6, 'dead_lettered', $7)"
                        " ON CONFLICT DO NOTHING RETURNING true",
                        self.group_id,
                        event_id,
                        envelope.event_type if envelope else "unknown",
                        topic,
                        partition,
                        offset,
                        reason,
                    )
                    if inserted:
                        headers = [
                            (name, value) for name, value in (record.headers or ()) if not name.startswith("dlq.")
                        ] + [
                            ("dlq.reason", reason.encode()),
                            ("dlq.consumer", self.group_id.encode()),
                            ("dlq.topic", topic.encode()),
                            ("dlq.partition", str(partition).encode()),
                            ("dlq.offset", str(offset).encode()),
                        ]
                        await outbox.add_raw(
                            conn,
                            topic=dead_letter(topic),
                            key=(record.key or b"").decode("utf-8", "replace"),
                            event_id=uuid.uuid5(event_id, f"dlq/{self.group_id}"),
                            event_type=envelope.event_type if envelope else "unknown",
                            body=body,
                            headers=headers,
                        )
                return
            except TRANSIENT:
                await asyncio.sleep(1.0)

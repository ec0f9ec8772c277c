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

A dead letter replayed by staff (`shared.contracts.dead_letters`) comes back on its topic for one consumer group: the
topic's other groups skip it (they applied the original, or will read it in order), and that group's inbox row, which
says `dead_lettered`, becomes `applied` (or `refused`) in the effect's transaction: it goes through once, a second
delivery of the replay is a duplicate, and a replay that fails again is dead-lettered again.

Messages arrive in batches (several partitions, each in order). A batch is applied in one transaction
with one inbox statement and one offset commit: database round trips, not CPU, bound this machine.
If anything in the batch fails, the transaction rolls back and the batch is applied again one message
at a time, where retries, refusals and dead letters are handled per message.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
import structlog
from aiokafka import TopicPartition
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaMessage
from opentelemetry.trace import SpanKind
from pydantic import ValidationError
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, wait_random_exponential

from shared.contracts import dead_letters
from shared.contracts.envelope import Command, Contract, Envelope, describe, envelope_for, refusal
from shared.contracts.topics import dead_letter, qualified
from shared.contracts.upcasting import RETYPED, CannotUpcast, upcast
from shared.messaging import outbox
from shared.observability import metrics, tracing

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
# Data the database will refuse again however often it is asked: a value it cannot encode or store (asyncpg's
# client-side DataError is an InterfaceError, which alone would look transient), or a broken constraint.
PERMANENT = (asyncpg.exceptions._base.DataError, asyncpg.DataError, asyncpg.IntegrityConstraintViolationError)
MAX_ATTEMPTS = 3  # an error neither transient nor known to be permanent: tried this often, then dead-lettered


def failure_kind(error: BaseException | None) -> str:
    """transient (wait and retry without limit), permanent (dead-letter at once) or unknown (a few tries)."""
    if isinstance(error, PERMANENT):
        return "permanent"
    if isinstance(error, TRANSIENT):
        return "transient"
    return "unknown"


def _give_up(state: RetryCallState) -> bool:
    error = state.outcome.exception() if state.outcome else None
    return failure_kind(error) != "transient" and state.attempt_number >= MAX_ATTEMPTS


def retrying() -> AsyncRetrying:
    """The one retry policy for applying a message: a transient failure is retried without limit (the database or
    the broker will be back), an unknown one MAX_ATTEMPTS times, a permanent one or a refusal never; capped, jittered
    waits. Then the error is raised, for the caller to dead-letter (or record the refusal)."""
    return AsyncRetrying(
        retry=retry_if_exception(lambda error: not isinstance(error, Refused) and failure_kind(error) != "permanent"),
        stop=_give_up,
        wait=wait_random_exponential(multiplier=0.2, max=5.0),
        before_sleep=lambda state: log.warning(
            "message.retry",
            error=type(state.outcome.exception()).__name__ if state.outcome else None,
            attempt=state.attempt_number,
        ),
        reraise=True,
    )


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
    replay: bool = False  # a dead letter replayed for this consumer: its inbox row may say dead_lettered


class Consumer:
    def __init__(
        self,
        service: str,
        broker: KafkaBroker,
        *,
        group_id: str,
        namespace: str,
        clock: Callable[[], datetime],
        group_instance_id: str | None = None,
        refused_contract: type[Contract] | None = None,
        events_topic: str | None = None,
    ) -> None:
        self.service = service
        self.broker = broker
        self.group_id = group_id
        self.group_instance_id = group_instance_id
        self.namespace = namespace
        self.refused_contract = refused_contract
        self.events_topic = events_topic
        self.clock = clock  # the service's: the time of its refusals and dead letters
        self.pool: asyncpg.Pool | None = None
        self.processed = 0
        self.last_progress_at: datetime | None = None  # the last time a batch was taken and applied
        self.subscriber: Any = None
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

        subscriber = self.broker.subscriber(
            *self.routes,
            *self.raw,
            group_id=self.group_id,
            # A static member (KIP-345) restarted under the same id takes its partitions back at once; a dynamic one
            # waits for the group to time the dead member out (10 s) and rebalance.
            group_instance_id=self.group_instance_id,
            ack_policy=AckPolicy.MANUAL,
            auto_offset_reset="earliest",
            batch=True,
            max_records=BATCH,
            batch_timeout_ms=100,
        )

        @subscriber
        async def on_batch(msg: KafkaMessage) -> None:
            # Only the message itself: a body parameter would make FastStream decode JSON first.
            await self.process_batch(msg.raw_message)
            await msg.ack()
            self.progressed(msg.raw_message)

        self.subscriber = subscriber

    def progressed(self, records: tuple[Any, ...]) -> None:
        """After a batch's offsets are committed: its time, and each partition's lag behind its high watermark."""
        self.last_progress_at = datetime.now(UTC)
        kafka = getattr(self.subscriber, "consumer", None)
        if kafka is None:
            return
        assigned = kafka.assignment()  # a rebalance may have taken some of the batch's partitions meanwhile
        last: dict[tuple[str, int], int] = {}
        for record in records:
            last[(record.topic, record.partition)] = record.offset
        for (topic, partition), offset in last.items():
            tp = TopicPartition(topic, partition)
            high = kafka.highwater(tp) if tp in assigned else None
            if high is not None:
                label = metrics.unqualified(topic, self.namespace)
                metrics.CONSUMER_LAG.labels(label, str(partition)).set(max(0, high - offset - 1))

    def assigned(self) -> int | None:
        """How many partitions this process reads now (None before the consumer started)."""
        kafka = getattr(self.subscriber, "consumer", None)
        return len(kafka.assignment()) if kafka is not None else None

    def label(self, item: Item) -> str:
        return metrics.unqualified(item.position[0], self.namespace)

    def read(self, topic: str, routes: dict[str, Route], record: Any) -> Item | None:
        """Parse one record: None when it is not for this service, an Item (maybe a dead letter) otherwise."""
        headers = {key: value for key, value in (record.headers or ())}
        declared = headers.get("event_type", b"").decode("utf-8", "replace")
        if declared and declared not in routes and declared not in RETYPED:
            return None
        replay_for = dead_letters.replayed_for(headers)
        if replay_for is not None and replay_for != self.group_id:
            return None  # another group's replay: this one applied the original, or will read it in its place
        replay = replay_for is not None
        position = (topic, record.partition, record.offset)
        try:
            envelope = Envelope.model_validate_json(record.value)
        except ValidationError as error:
            return Item(record, position, None, None, None, f"malformed envelope: {describe(error)}", replay)
        try:
            envelope = upcast(envelope)  # an older version of the contract, read as the current one
        except CannotUpcast as error:
            return Item(record, position, envelope, None, None, str(error), replay)
        route = routes.get(envelope.event_type)
        if route is None:
            return None
        try:
            payload = route.contract.model_validate(envelope.payload)
        except ValidationError as error:
            reason = f"malformed {envelope.event_type} payload: {describe(error)}"
            return Item(record, position, envelope, None, None, reason, replay)
        return Item(record, position, envelope, payload, route, None, replay)

    async def process_batch(self, records: tuple[Any, ...]) -> None:
        """Records of any subscribed topics, each partition's in order."""
        raw = [record for record in records if record.topic in self.raw]
        if raw:
            assert self.pool is not None
            async with self.pool.acquire() as conn, conn.transaction():
                for record in raw:
                    await self.raw[record.topic](conn, record)
        # A raw topic's records are anything (a dead letter may be unparseable): never parsed as envelopes, or a
        # malformed dead letter would be dead-lettered again, to a `.dlq.dlq` topic that does not exist.
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
        applied: list[tuple[Item, float]] = []
        async with self.pool.acquire() as conn, conn.transaction():
            claimed = await self.claim_many(conn, applicable)
            for item in applicable:
                assert item.envelope is not None and item.route is not None
                if item.envelope.event_id not in claimed:
                    continue
                claimed.discard(item.envelope.event_id)  # the same event twice in one batch: once
                with self.context(item.envelope), self.span(item):
                    authorize(item.envelope, item.route)
                    started = time.perf_counter()
                    await item.route.handler(item.envelope, item.payload, conn)
                    applied.append((item, time.perf_counter() - started))
        self.processed += len(applicable)
        for item, seconds in applied:  # counted once committed
            assert item.envelope is not None
            metrics.HANDLER_SECONDS.labels(self.label(item), item.envelope.event_type).observe(seconds)
            metrics.MESSAGES_CONSUMED.labels(self.label(item), "applied").inc()
        duplicates: dict[str, int] = {}
        for item in applicable:
            duplicates[self.label(item)] = duplicates.get(self.label(item), 0) + 1
        for item, _ in applied:
            duplicates[self.label(item)] -= 1
        for topic, count in duplicates.items():
            if count:
                metrics.MESSAGES_CONSUMED.labels(topic, "duplicate").inc(count)

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
        replays = [item.envelope.event_id for item in items if item.replay and item.envelope]
        if replays:
            claimed |= await self.revive(conn, [event_id for event_id in replays if event_id not in claimed])
        if len(claimed) < len(items):
            log.info("message.duplicate_skipped", count=len(items) - len(claimed))
        return claimed

    async def revive(
        self, conn: asyncpg.Connection, event_ids: list[uuid.UUID], outcome: str = "applied", reason: str | None = None
    ) -> set[uuid.UUID]:
        """Replayed dead letters this consumer gave up on: their inbox rows turn into `outcome`, in the caller's
        transaction (which holds the effect). A row already applied, refused, or revived by an earlier delivery of the
        replay stays as it is: that delivery is a duplicate."""
        if not event_ids:
            return set()
        rows = await conn.fetch(
            "UPDATE inbox SET outcome = $3, reason = coalesce($4, 'replayed; dead-lettered before: ' || reason),"
            " processed_at = clock_timestamp() WHERE consumer = $1 AND event_id = ANY($2::uuid[])"
            " AND outcome = 'dead_lettered' RETURNING event_id",
            self.group_id,
            event_ids,
            outcome,
            reason,
        )
        revived = {row["event_id"] for row in rows}
        if revived:
            log.info("message.replay_applied" if outcome == "applied" else "message.replay_refused", count=len(revived))
        return revived

    def context(self, envelope: Envelope) -> Any:
        return structlog.contextvars.bound_contextvars(
            correlation_id=str(envelope.correlation_id),
            causation_id=str(envelope.causation_id) if envelope.causation_id else None,
            event_id=str(envelope.event_id),
            event_type=envelope.event_type,
            consumer=self.group_id,
        )

    def span(self, item: Item) -> Any:
        """The consumer span of one message, in the trace its headers carry: the handler's outbox rows, and the rows
        of work it leaves for a worker, carry it on."""
        assert item.envelope is not None
        topic, partition, offset = item.position
        return tracing.continued(
            f"process {item.envelope.event_type}",
            item.record.headers,
            kind=SpanKind.CONSUMER,
            attributes={
                "messaging.system": "kafka",
                "messaging.destination.name": metrics.unqualified(topic, self.namespace),
                "messaging.consumer.group.name": self.group_id,
                "messaging.kafka.partition": partition,
                "messaging.kafka.offset": offset,
                "messaging.message.id": str(item.envelope.event_id),
            },
        )

    async def process(self, item: Item) -> None:
        """One message on its own: dead letter, or apply with retries and refusals."""
        if item.reason is not None:
            await self.dead_letter(item, item.reason, attempts=1, first_attempt_at=self.clock())
            return
        assert item.envelope is not None and item.route is not None
        with self.context(item.envelope), self.span(item):
            await self.apply(item)

    async def apply(self, item: Item) -> None:
        """Apply one message in its transaction, under the one retry policy (`retrying`): a refusal is recorded, a
        permanent failure or one that keeps failing is dead-lettered with the reason, a transient one is waited out."""
        assert self.pool is not None
        envelope, payload, route, position = item.envelope, item.payload, item.route, item.position
        assert envelope is not None and route is not None
        first_attempt_at = self.clock()
        attempts = 0
        try:
            async for attempt in retrying():
                with attempt:
                    attempts = attempt.retry_state.attempt_number
                    seconds = None
                    async with self.pool.acquire() as conn, conn.transaction():
                        if await self.claim(conn, envelope, position, replay=item.replay):
                            authorize(envelope, route)
                            started = time.perf_counter()
                            await route.handler(envelope, payload, conn)
                            seconds = time.perf_counter() - started
        except Refused as refusal:
            await self.record_refusal(item, refusal.reason)
            return
        except Exception as error:
            kind = failure_kind(error)
            log.exception("message.handler_failed", attempts=attempts, failure=kind)
            reason = f"handler failed ({kind}, {attempts} attempts): {type(error).__name__}: {error}"[:1000]
            await self.dead_letter(item, reason, attempts=attempts, first_attempt_at=first_attempt_at)
            return
        self.processed += 1
        if seconds is None:
            metrics.MESSAGES_CONSUMED.labels(self.label(item), "duplicate").inc()
        else:
            metrics.HANDLER_SECONDS.labels(self.label(item), envelope.event_type).observe(seconds)
            metrics.MESSAGES_CONSUMED.labels(self.label(item), "applied").inc()

    async def claim(
        self,
        conn: asyncpg.Connection,
        envelope: Envelope,
        position: tuple[str, int, int],
        outcome: str = "applied",
        reason: str | None = None,
        event_id: uuid.UUID | None = None,
        replay: bool = False,
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
        if not inserted and replay:
            inserted = bool(await self.revive(conn, [event_id or envelope.event_id], outcome, reason))
        if not inserted:
            log.info("message.duplicate_skipped")
        return bool(inserted)

    async def record_refusal(self, item: Item, reason: str) -> None:
        assert self.pool is not None and item.envelope is not None
        envelope, position = item.envelope, item.position
        log.info("command.refused", reason=reason)
        async with self.pool.acquire() as conn, conn.transaction():
            if not await self.claim(conn, envelope, position, "refused", reason, replay=item.replay):
                metrics.MESSAGES_CONSUMED.labels(self.label(item), "duplicate").inc()
                return
            if self.refused_contract and self.events_topic:
                refusal = self.refused_contract.model_validate(
                    {
                        "command_id": str(envelope.event_id),
                        "command_type": envelope.event_type,
                        "reason": reason,
                    }
                )
                event = envelope_for(
                    refusal, aggregate_key=envelope.aggregate_key, occurred_at=self.clock(), causation=envelope
                )
                await outbox.add(conn, qualified(self.events_topic, self.namespace), event)
        metrics.MESSAGES_CONSUMED.labels(self.label(item), "refused").inc()
        metrics.COMMANDS_REFUSED.labels(envelope.event_type).inc()

    async def dead_letter(self, item: Item, reason: str, *, attempts: int, first_attempt_at: datetime) -> None:
        """Record the message as dead-lettered and queue it, unchanged, for `<topic>.dlq` (via the outbox), with where
        it was, why, and when it was first and last tried. A replay that fails again is dead-lettered again."""
        assert self.pool is not None
        record, envelope = item.record, item.envelope
        topic, partition, offset = item.position
        event_id = envelope.event_id if envelope else uuid.uuid5(uuid.NAMESPACE_URL, f"{topic}/{partition}/{offset}")
        log.warning("message.dead_lettered", topic=topic, partition=partition, offset=offset, reason=reason)
        headers = dead_letters.dead_letter_headers(
            record.headers,
            reason=reason,
            consumer=self.group_id,
            position=item.position,
            attempts=attempts,
            first_attempt_at=first_attempt_at,
            last_attempt_at=self.clock(),
        )
        while True:
            try:
                async with self.pool.acquire() as conn, conn.transaction():
                    inserted = await conn.fetchval(
                        "INSERT INTO inbox (consumer, event_id, event_type, topic, kafka_partition, kafka_offset,"
                        " outcome, reason) VALUES ($1, $2, $3, $4, $5, $6, 'dead_lettered', $7)"
                        " ON CONFLICT (consumer, event_id) DO UPDATE SET reason = EXCLUDED.reason,"
                        " topic = EXCLUDED.topic, kafka_partition = EXCLUDED.kafka_partition,"
                        " kafka_offset = EXCLUDED.kafka_offset, processed_at = clock_timestamp()"
                        " WHERE $8 AND inbox.outcome = 'dead_lettered' RETURNING true",
                        self.group_id,
                        event_id,
                        envelope.event_type if envelope else "unknown",
                        topic,
                        partition,
                        offset,
                        reason,
                        item.replay,
                    )
                    if inserted:
                        await outbox.add_raw(
                            conn,
                            topic=dead_letter(topic),
                            key=(record.key or b"").decode("utf-8", "replace"),
                            # One dead letter per position: a redelivery of the same record does not make another.
                            event_id=uuid.uuid5(event_id, f"dlq/{self.group_id}/{topic}/{partition}/{offset}"),
                            event_type=envelope.event_type if envelope else "unknown",
                            body=record.value,
                            headers=headers,
                        )
                if inserted:
                    metrics.MESSAGES_CONSUMED.labels(self.label(item), "dead_lettered").inc()
                    metrics.DEAD_LETTERS.labels(self.label(item)).inc()
                return
            except TRANSIENT:
                await asyncio.sleep(1.0)

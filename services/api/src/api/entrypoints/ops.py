"""Operations over HTTP (issue 16): consumer lag and stuck groups, the newest envelopes of a topic (and those that
follow, as server-sent events), dead letters and their replay, and the system's health. Role `ops` (or `admin`) reads;
only `admin` replays, and every replay, allowed or not, goes in the audit log with who asked.

No personal data leaves here: payloads show only `api.domain.personal_data`'s allow-list, the contact topic is never
read, and dead letters are described by their headers.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Annotated, Any

import httpx
from aiokafka import ConsumerRecord
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials
from prometheus_client import Gauge
from pydantic import BaseModel, Field, ValidationError
from shared.contracts.dead_letters import replay_headers
from shared.contracts.envelope import Envelope
from shared.contracts.topics import TOPICS, qualified
from shared.runtime import now, pool

from api.bootstrap import Audit, Replay, kafka
from api.config import SERVICES, Settings
from api.domain.dead_letters import DeadLetter, Selection, select
from api.domain.lag import GroupLag, Seen, observe
from api.domain.personal_data import PRIVATE_TOPICS, public_payload
from api.domain.reads import OPS
from api.domain.tokens import Token, require
from api.entrypoints.http import ADMIN, Caller, bearer, current_token, settings_of

router = APIRouter(prefix="/ops", tags=["operations"])

GROUP_LAG = Gauge(
    "logistics_consumergroup_lag",
    "Messages a consumer group has still to read, from its committed offsets (the API's view, at each scrape).",
    ["group", "topic", "partition"],
)
GROUP_STUCK = Gauge(
    "logistics_consumergroup_stuck", "1 when the group has lag and has not moved for OPS_STUCK_AFTER_S.", ["group"]
)


class LagWatch:
    """Lag per consumer group, remembering each group's offsets between looks to tell a stuck group."""

    def __init__(self, reader: kafka.LagReader, stuck_after_s: float, clock: Callable[[], datetime]) -> None:
        self.reader = reader
        self.stuck_after_s = stuck_after_s
        self.clock = clock
        self.seen: dict[str, Seen] = {}
        self.lock = asyncio.Lock()

    async def look(self) -> list[GroupLag]:
        offsets = await self.reader.offsets()
        async with self.lock:
            self.seen, groups = observe(self.seen, offsets, self.clock(), self.stuck_after_s)
        return groups

    async def refresh_gauges(self) -> None:
        for group in await self.look():
            GROUP_STUCK.labels(group.group).set(1 if group.stuck else 0)
            for row in group.partitions:
                GROUP_LAG.labels(group.group, row.topic, str(row.partition)).set(row.lag)


def watch(request: Request) -> LagWatch:
    found: LagWatch = request.app.state.lag_watch
    return found


# ------------------------------------------------------------------------------------------------------------ lag


class PartitionLag(BaseModel):
    topic: str
    partition: int
    committed: int | None = Field(description="The group's committed offset; null if it never committed here")
    end: int
    lag: int


class ConsumerGroupLag(BaseModel):
    group: str = Field(description="The consumer group, named for its service")
    lag: int
    stuck: bool = Field(description="Lag, and no progress for stuck_after_s")
    still_since: datetime = Field(description="The last time its offsets moved (or work arrived), as the API saw it")
    partitions: list[PartitionLag] = Field(description="Partitions with messages or a committed offset")


class LagReport(BaseModel):
    at: datetime
    stuck_after_s: float
    groups: list[ConsumerGroupLag]


@router.get("/lag", response_model=LagReport)
async def lag(request: Request, token: Caller) -> LagReport:
    """Per consumer group, topic and partition: committed offset, end offset and lag, from Kafka's own committed
    offsets; a group with lag that has not moved for `OPS_STUCK_AFTER_S` is stuck (role ops or admin)."""
    require(token, OPS, "consumer lag")
    groups = await watch(request).look()
    return LagReport(
        at=now(request),
        stuck_after_s=watch(request).stuck_after_s,
        groups=[
            ConsumerGroupLag(
                group=group.group,
                lag=group.lag,
                stuck=group.stuck,
                still_since=group.still_since,
                partitions=[
                    PartitionLag(topic=r.topic, partition=r.partition, committed=r.committed, end=r.end, lag=r.lag)
                    for r in group.partitions
                    if r.end or r.committed is not None
                ],
            )
            for group in groups
        ],
    )


# ----------------------------------------------------------------------------------------------------------- tail


class TailedEnvelope(BaseModel):
    """One record of a topic as ops see it: the envelope's identifiers, and its payload's safe fields only."""

    topic: str
    partition: int
    offset: int
    at: datetime = Field(description="When the broker took it")
    event_type: str
    event_id: uuid.UUID | None = None
    event_version: int | None = None
    occurred_at: datetime | None = None
    producer: str | None = None
    aggregate_key: str | None = None
    correlation_id: uuid.UUID | None = None
    causation_id: uuid.UUID | None = None
    actor: str | None = Field(default=None, description="The name on the token whose command caused it")
    payload: dict[str, Any] | None = Field(description="Safe fields only; null when the record is not an envelope")


def tailed(record: ConsumerRecord, namespace: str) -> TailedEnvelope:
    topic = record.topic.removeprefix(namespace)
    at = datetime.fromtimestamp(record.timestamp / 1000, UTC)
    headers = {name: (value or b"").decode("utf-8", "replace") for name, value in (record.headers or ())}
    try:
        envelope = Envelope.model_validate_json(record.value or b"")
    except ValidationError:
        return TailedEnvelope(topic=topic, partition=record.partition, offset=record.offset, at=at,
                              event_type=headers.get("event_type", "unknown"), payload=None)  # fmt: skip
    return TailedEnvelope(
        topic=topic,
        partition=record.partition,
        offset=record.offset,
        at=at,
        event_type=envelope.event_type,
        event_id=envelope.event_id,
        event_version=envelope.event_version,
        occurred_at=envelope.occurred_at,
        producer=envelope.producer,
        aggregate_key=envelope.aggregate_key,
        correlation_id=envelope.correlation_id,
        causation_id=envelope.causation_id,
        actor=envelope.actor.name if envelope.actor else None,
        payload=public_payload(topic, envelope.payload),
    )


def readable(topic: str) -> str:
    if topic in PRIVATE_TOPICS:
        raise HTTPException(403, f"{topic} holds personal data (contact details): it is never readable through the API")
    if topic not in TOPICS:
        raise HTTPException(404, f"no topic {topic}; the topics are {', '.join(TOPICS)} (dead letters: /ops/dlq)")
    return topic


@router.get("/tail/{topic}", response_model=list[TailedEnvelope])
async def tail(
    topic: str,
    request: Request,
    token: Caller,
    limit: Annotated[int, Query(ge=0, le=1000, description="How many of the newest records")] = 20,
    follow: Annotated[bool, Query(description="Then stream new records as server-sent events")] = False,
    follow_s: Annotated[float, Query(gt=0, le=86400, description="How long to follow, in seconds")] = 3600,
) -> Any:
    """The newest records of a topic, oldest first, as envelopes without personal data (role ops or admin); with
    `follow`, a `text/event-stream` of them and then of each new record (`event: envelope`), with a comment line each
    second when none arrived. The contact details' topic is never readable."""
    require(token, OPS, "tailing a topic")
    settings = settings_of(request)
    name = qualified(readable(topic), settings.logistics_namespace)
    records = kafka.tail(settings, name, limit, follow_s if follow else 0.0)
    if not follow:
        return [tailed(record, settings.logistics_namespace) async for record in records if record is not None]

    async def stream() -> AsyncIterator[str]:
        try:
            async for record in records:
                if await request.is_disconnected():
                    return
                if record is None:
                    yield ": waiting\n\n"
                    continue
                body = tailed(record, settings.logistics_namespace).model_dump_json()
                yield f"event: envelope\nid: {record.partition}:{record.offset}\ndata: {body}\n\n"
        finally:
            await records.aclose()

    return StreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})


# ---------------------------------------------------------------------------------------------------- dead letters


class ReplayRecord(BaseModel):
    by: str
    at: datetime
    replay_id: uuid.UUID


class DeadLetterView(BaseModel):
    id: str = Field(description="<dead-letter topic>:<partition>:<offset>")
    topic: str = Field(description="The topic the message failed on")
    consumer: str = Field(description="The consumer group (service) that gave up on it")
    reason: str
    event_type: str
    event_id: str | None
    key: str
    attempts: int | None
    first_attempt_at: datetime | None
    last_attempt_at: datetime | None
    dead_lettered_at: datetime
    replays: list[ReplayRecord] = Field(default_factory=list, description="Who put it back, and when")


class DeadLetterDetail(DeadLetterView):
    outcome_now: str | None = Field(description="What the consumer's inbox says of the event now")
    envelope: TailedEnvelope


def view(letter: DeadLetter, replays: dict[str, list[dict[str, Any]]]) -> DeadLetterView:
    return DeadLetterView(**vars(letter), replays=[ReplayRecord(**r) for r in replays.get(letter.id, [])])


@router.get("/dlq", response_model=list[DeadLetterView])
async def dead_letter_list(
    request: Request,
    token: Caller,
    topic: str | None = None,
    consumer: str | None = None,
    reason: Annotated[str | None, Query(description="Only those whose reason contains this (any case)")] = None,
) -> list[DeadLetterView]:
    """Dead letters, oldest first: the topic and consumer they failed in, why, and when first and last tried, with
    who replayed them (role ops or admin)."""
    require(token, OPS, "dead letters")
    settings = settings_of(request)
    replays = await Audit(pool(request), settings.logistics_namespace).replays()
    selection = Selection(topic=topic, consumer=consumer, reason=reason)
    letters = [letter for letter, _ in await kafka.dead_letters(settings) if selection.takes(letter)]
    return [view(letter, replays) for letter in letters]


@router.get("/dlq/{letter_id}", response_model=DeadLetterDetail)
async def dead_letter_show(letter_id: str, request: Request, token: Caller) -> DeadLetterDetail:
    """One dead letter: its facts, its envelope without personal data, who replayed it, and what the consumer's inbox
    says of the event now (applied after a replay, or still dead_lettered)."""
    require(token, OPS, "dead letters")
    settings = settings_of(request)
    found = [(x, record) for x, record in await kafka.dead_letters(settings) if x.id == letter_id]
    if not found:
        raise HTTPException(404, f"no dead letter {letter_id} (ids are <dead-letter topic>:<partition>:<offset>)")
    [(letter, record)] = found
    replays = await Audit(pool(request), settings.logistics_namespace).replays()
    outcome = None
    if letter.event_id and letter.consumer in SERVICES:
        client: httpx.AsyncClient = request.app.state.services
        try:
            answer = await client.get(f"{settings.url(letter.consumer)}/ops/commands/{letter.event_id}")
            outcome = answer.json().get("outcome") if answer.status_code == 200 else None
        except (httpx.HTTPError, ValueError):
            outcome = None
    envelope = tailed(record, settings.logistics_namespace)
    return DeadLetterDetail(**view(letter, replays).model_dump(), outcome_now=outcome, envelope=envelope)


class ReplayRequest(BaseModel):
    """Which dead letters to put back: one by id, all of a topic, those whose reason contains some text, or one
    consumer's; given together, all must hold. Each is replayed once unless `again`."""

    id: str | None = None
    topic: str | None = None
    reason: str | None = None
    consumer: str | None = None
    again: bool = False


class Replayed(BaseModel):
    id: str
    topic: str
    consumer: str
    event_type: str
    replay_id: uuid.UUID


class ReplayAnswer(BaseModel):
    replayed: list[Replayed]
    already_replayed: list[str] = Field(description="Dead letters the selection took that were replayed before")


@router.post("/dlq/replay", response_model=ReplayAnswer)
async def dead_letter_replay(body: ReplayRequest, request: Request, token: Caller) -> ReplayAnswer:
    """Put dead letters back on the topic they failed on, for the consumer group that failed them only (the topic's
    other groups skip a replay); that group's inbox lets each through once. Role admin; audited."""
    selection = Selection(id=body.id, topic=body.topic, reason=body.reason, consumer=body.consumer)
    if problem := selection.problem():
        raise HTTPException(422, problem)
    settings = settings_of(request)
    audit = Audit(pool(request), settings.logistics_namespace)
    what = ", ".join(f"{key}={value}" for key, value in vars(selection).items() if value)
    if not ADMIN & set(token.roles):
        await audit.forbid_replay(f"dead letters {what}", token.actor(), "replaying dead letters needs the role admin")
    require(token, ADMIN, "replaying dead letters")
    found = await kafka.dead_letters(settings)
    records = {letter.id: record for letter, record in found}
    chosen, left_out = select([letter for letter, _ in found], selection, set(await audit.replays()), again=body.again)
    if not chosen and not left_out:
        raise HTTPException(404, f"no dead letter matches {what}")
    replays = [replay_of(letter, records[letter.id], token, settings.logistics_namespace) for letter in chosen]
    await audit.replay(replays, token.actor())
    return ReplayAnswer(
        replayed=[
            Replayed(id=x.id, topic=x.topic, consumer=x.consumer, event_type=x.event_type, replay_id=r.replay_id)
            for x, r in zip(chosen, replays, strict=True)
        ],
        already_replayed=[letter.id for letter in left_out],
    )


def replay_of(letter: DeadLetter, record: ConsumerRecord, token: Token, namespace: str) -> Replay:
    replay_id = uuid.uuid4()
    try:
        correlation_id = uuid.UUID(json.loads(record.value or b"")["correlation_id"])
    except (ValueError, KeyError, TypeError):
        correlation_id = replay_id
    return Replay(
        letter_id=letter.id,
        topic=qualified(letter.topic, namespace),
        key=letter.key,
        event_type=letter.event_type,
        body=record.value or b"",
        headers=replay_headers(
            record.headers,
            consumer=qualified(letter.consumer, namespace),
            by=f"{token.name} ({token.token_id})",
            of=letter.id,
        ),
        correlation_id=correlation_id,
        replay_id=replay_id,
    )


# --------------------------------------------------------------------------------------------------------- health


class ServiceHealth(BaseModel):
    service: str
    up: bool
    consuming: bool | None = Field(description="Its consumer holds partitions (null: it does not consume)")
    assigned_partitions: int | None = None
    last_progress_at: datetime | None = Field(default=None, description="The last batch it applied")
    lag: int | None = None
    stuck: bool = False
    outbox_pending: int | None = None
    outbox_oldest_pending_s: float | None = None
    mail_waiting: int | None = None
    mail_oldest_waiting_s: float | None = None
    mail_alarm: bool | None = None
    problem: str | None = None


class Health(BaseModel):
    healthy: bool
    at: datetime
    services: list[ServiceHealth]


async def service_health(request: Request, service: str, groups: dict[str, GroupLag]) -> ServiceHealth:
    client: httpx.AsyncClient = request.app.state.services
    try:
        answer = await client.get(f"{settings_of(request).url(service)}/ops/status", timeout=10)
        answer.raise_for_status()
        status = answer.json()
    except (httpx.HTTPError, ValueError) as error:
        return ServiceHealth(service=service, up=False, consuming=None, problem=f"no answer: {type(error).__name__}")
    consumer, outbox, mail = status.get("consumer", {}), status.get("outbox", {}), status.get("mail")
    group = groups.get(service)
    assigned = consumer.get("assigned_partitions")
    problems = [
        "its consumer holds no partition" if assigned == 0 else None,
        f"stuck: lag {group.lag} without progress" if group and group.stuck else None,
        "mail waits too long" if mail and mail.get("alarm") else None,
    ]
    return ServiceHealth(
        service=service,
        up=True,
        consuming=None if assigned is None else assigned > 0,
        assigned_partitions=assigned,
        last_progress_at=consumer.get("last_progress_at"),
        lag=group.lag if group else None,
        stuck=bool(group and group.stuck),
        outbox_pending=outbox.get("pending"),
        outbox_oldest_pending_s=outbox.get("oldest_pending_s"),
        mail_waiting=mail.get("waiting") if mail else None,
        mail_oldest_waiting_s=mail.get("oldest_waiting_s") if mail else None,
        mail_alarm=mail.get("alarm") if mail else None,
        problem="; ".join(p for p in problems if p) or None,
    )


@router.get("/health", response_model=None)
async def health(request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Any:
    """Without a token: the API process answers (for probes). With a token (role ops or admin): each service up,
    consuming, its last progress, lag, outbox backlog and the mail queue's age."""
    if credentials is None:
        return {"service": "api", "status": "ok"}
    token = await current_token(request, credentials)
    require(token, OPS, "the system's health")
    try:
        groups = {group.group: group for group in await watch(request).look()}
    except Exception:  # Kafka unreachable: the services' own answers still say a lot
        groups = {}
    services = await asyncio.gather(*(service_health(request, service, groups) for service in SERVICES))
    healthy = bool(groups) and all(s.up and s.consuming is not False and not s.problem for s in services)
    return Health(healthy=healthy, at=now(request), services=list(services))


def install(app: FastAPI) -> None:
    """Serve these routes on the API (its own /ops/health, a probe's, becomes the one above) and export consumer
    group lag on its /metrics."""
    before = len(app.router.routes)
    app.include_router(router)
    added = app.router.routes[before:]  # moved first, so they match before the runtime's probe-only /ops/health
    del app.router.routes[before:]
    app.router.routes[0:0] = added
    runtime = app.state.runtime
    settings: Settings = runtime.settings
    app.state.lag_watch = LagWatch(app.state.lags, settings.ops_stuck_after_s, lambda: runtime.clock())
    runtime.metric_refreshers.append(app.state.lag_watch.refresh_gauges)

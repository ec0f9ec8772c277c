"""Trace context through the plumbing, with an in-memory exporter: into an outbox row's headers, out of a consumed
record's headers into the consumer's span, on into the rows its handler writes; and off unless asked for."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from shared.contracts.envelope import Envelope, envelope_for
from shared.contracts.notifications import EmailSent
from shared.messaging import outbox
from shared.messaging.consumer import Consumer, Route
from shared.observability import tracing

TOPIC = "notifications.email.v1"


@pytest.fixture
def spans(monkeypatch: pytest.MonkeyPatch) -> Iterator[InMemorySpanExporter]:
    """The plumbing's tracer, recording into memory for this test only (the process's global provider untouched)."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    monkeypatch.setattr(tracing, "TRACER", provider.get_tracer("test"))
    yield exporter
    provider.shutdown()


class Connection:
    """Records the outbox rows written and claims every inbox row asked for."""

    def __init__(self) -> None:
        self.outbox: list[dict[str, str]] = []

    async def execute(self, sql: str, *args: Any) -> None:
        assert sql.startswith("INSERT INTO outbox")
        self.outbox.append({name: value for name, value in json.loads(args[-1])})

    async def fetch(self, sql: str, group: str, event_ids: list[Any], *_: Any) -> list[dict[str, Any]]:
        assert sql.startswith("INSERT INTO inbox")
        return [{"event_id": event_id} for event_id in event_ids]

    def transaction(self) -> Any:
        return contextlib.nullcontext()


@dataclass
class Pool:
    connection: Connection = field(default_factory=Connection)

    @contextlib.asynccontextmanager
    async def acquire(self) -> AsyncIterator[Connection]:
        yield self.connection


@dataclass
class Record:
    value: bytes
    headers: list[tuple[str, bytes]]
    topic: str = TOPIC
    partition: int = 0
    offset: int = 7
    key: bytes | None = None


def email_sent() -> Envelope:
    event = EmailSent(workshop_id="w-1", delegate_ref="D-1", kind="itinerary", version=1, message_id="<m@x>")
    return envelope_for(event, aggregate_key="D-1", occurred_at=datetime.now(UTC))


def trace_id_of(headers: dict[str, str]) -> str:
    return headers["traceparent"].split("-")[1]


def span_id_of(headers: dict[str, str]) -> str:
    return headers["traceparent"].split("-")[2]


def named(spans: InMemorySpanExporter, name: str) -> ReadableSpan:
    [found] = [span for span in spans.get_finished_spans() if span.name == name]
    return found


def test_traces_are_off_unless_an_exporter_or_an_endpoint_is_named() -> None:
    assert tracing.exporters_wanted({}) == []
    assert tracing.exporters_wanted({"OTEL_TRACES_EXPORTER": "none"}) == []
    assert tracing.exporters_wanted({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}) == ["otlp"]
    assert tracing.exporters_wanted({"OTEL_TRACES_EXPORTER": "console, otlp"}) == ["console", "otlp"]
    disabled = {"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "otlp"}
    assert tracing.exporters_wanted(disabled) == []
    with pytest.raises(tracing.TracingSettingsError, match="OTEL_TRACES_EXPORTER=zipkin"):
        tracing.exporters_wanted({"OTEL_TRACES_EXPORTER": "zipkin"})


def test_outside_a_trace_rows_and_headers_carry_nothing() -> None:
    headers = [("event_type", b"x"), ("traceparent", b"00-" + b"1" * 32 + b"-" + b"2" * 16 + b"-01")]
    assert tracing.carrier() == {}
    assert tracing.with_context(headers) is headers  # a dead letter keeps its message's context as it was


def test_one_trace_from_the_outbox_row_through_the_consumer_to_the_rows_its_handler_writes(
    spans: InMemorySpanExporter,
) -> None:
    written = Connection()
    with tracing.TRACER.start_as_current_span("POST /commands/x") as request:
        asyncio.run(outbox.add(written, TOPIC, email_sent()))  # type: ignore[arg-type]
    [row] = written.outbox
    assert row["event_type"] == "notifications.email_sent"  # the envelope's own headers are kept
    assert trace_id_of(row) == format(request.get_span_context().trace_id, "032x")

    consumer = Consumer(
        "travel",
        broker=None,  # type: ignore[arg-type]
        group_id="travel",
        namespace="",
        clock=lambda: datetime.now(UTC),
    )
    pool = Pool()
    consumer.pool = pool  # type: ignore[assignment]

    async def handler(envelope: Envelope, payload: Any, conn: Any) -> None:
        await outbox.add(conn, "travel.booking.v1", email_sent())

    consumer.subscribe(TOPIC, {EmailSent.TYPE: Route(EmailSent, handler)})
    envelope = email_sent()
    record = Record(envelope.model_dump_json().encode(), [(k, v.encode()) for k, v in row.items()])
    asyncio.run(consumer.process_batch((record,)))

    process = named(spans, "process notifications.email_sent")
    assert process.kind is SpanKind.CONSUMER
    assert process.parent is not None and process.parent.span_id == request.get_span_context().span_id
    assert process.context.trace_id == request.get_span_context().trace_id
    assert process.attributes and process.attributes["messaging.kafka.offset"] == 7
    [onward] = pool.connection.outbox
    assert trace_id_of(onward) == trace_id_of(row)
    assert span_id_of(onward) == format(process.context.span_id, "016x")


def test_a_dead_letter_carries_the_trace_of_the_consumer_that_gave_up_not_two(spans: InMemorySpanExporter) -> None:
    old = ("traceparent", b"00-" + b"1" * 32 + b"-" + b"2" * 16 + b"-01")
    with tracing.TRACER.start_as_current_span("process") as span:
        headers = tracing.with_context([("reason", b"bad"), old])
    assert [name for name, _ in headers].count("traceparent") == 1
    assert ("reason", b"bad") in headers
    assert trace_id_of({k: v.decode() for k, v in headers}) == format(span.get_span_context().trace_id, "032x")


def test_work_left_in_a_row_continues_its_trace_and_a_published_row_spans_its_wait(
    spans: InMemorySpanExporter,
) -> None:
    with tracing.TRACER.start_as_current_span("process") as cause:
        stored = json.loads(json.dumps(tracing.carrier()))  # as a jsonb column keeps it
    with tracing.continued("email itinerary", stored) as send:
        pass
    assert send.parent is not None and send.parent.span_id == cause.get_span_context().span_id  # type: ignore[attr-defined]
    with tracing.continued("trip requested", {}) as fresh:
        pass
    assert fresh.parent is None  # type: ignore[attr-defined]

    headers = [(name, value.encode()) for name, value in stored.items()]
    tracing.published("publish x", headers, 2.5, {"messaging.destination.name": TOPIC})
    publish = named(spans, "publish x")
    assert publish.kind is SpanKind.PRODUCER
    assert publish.parent is not None and publish.parent.span_id == cause.get_span_context().span_id
    assert publish.end_time is not None and publish.start_time is not None
    assert publish.end_time - publish.start_time == 2_500_000_000

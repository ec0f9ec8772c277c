"""OpenTelemetry traces: one staff command is one trace, from the API's request through every service to the SMTP
send and the airline's HTTP calls.

Off unless the standard variables ask for an exporter: `OTEL_TRACES_EXPORTER=otlp` (OTLP over HTTP, configured by
`OTEL_EXPORTER_OTLP_ENDPOINT` and its kin; an endpoint alone also selects it) or `console` (one JSON line per span, to
standard output or to the file `LOGISTICS_TRACES_FILE`). Unset, no provider is installed: every span is the API's
no-op span and nothing is written into headers or rows, so nothing changes.

The context (W3C `traceparent`) crosses every hop a message takes: a Kafka record's headers, and, where work waits in
a table, the row (the outbox's `headers`, travel's trips, notifications' e-mails: `carrier()` in, `continued()` out).
FastStream's telemetry middleware does not fit: the consumer takes batches of several topics and nothing is
published through FastStream (docs/adr/0010 says the same of its Prometheus middleware).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.trace import Span, SpanKind

TRACER = trace.get_tracer("logistics")
EXPORTERS = ("otlp", "console")
_provider: Any = None


class TracingSettingsError(ValueError):
    pass


def exporters_wanted(environ: Mapping[str, str] = os.environ) -> list[str]:
    """The exporters the standard variables select: none unless OTEL_TRACES_EXPORTER names some or an OTLP endpoint
    is set (the SDK's own default, otlp, would try to send to localhost from every process that has no collector)."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return []
    names = environ.get("OTEL_TRACES_EXPORTER")
    if names is None:
        endpoint = environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        return ["otlp"] if endpoint else []
    wanted = [name.strip().lower() for name in names.split(",") if name.strip() and name.strip().lower() != "none"]
    for name in wanted:
        if name not in EXPORTERS:
            raise TracingSettingsError(f"OTEL_TRACES_EXPORTER={names}: this system exports traces with otlp or console")
    return wanted


def configure(service: str, environ: Mapping[str, str] = os.environ) -> bool:
    """Install the process's tracer provider if the environment asks for one (once per process); whether traces are
    recorded."""
    global _provider
    if _provider is not None:
        return True
    wanted = exporters_wanted(environ)
    if not wanted:
        return False
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter

    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    for name in wanted:
        exporter: SpanExporter
        if name == "otlp":
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            exporter = OTLPSpanExporter()
        else:
            path = environ.get("LOGISTICS_TRACES_FILE")
            out = open(path, "a", buffering=1, encoding="utf-8") if path else sys.stdout
            exporter = ConsoleSpanExporter(out=out, formatter=lambda span: span.to_json(indent=None) + "\n")
        provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    _provider = provider
    return True


def instrument_app(app: Any, service: str) -> None:
    """Server spans for an HTTP app's requests (the trace of a staff command starts here), when traces are on."""
    if configure(service):
        from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

        FastAPIInstrumentor.instrument_app(
            app, excluded_urls="/metrics,/ops/health,/ops/status", exclude_spans=["receive", "send"]
        )


def instrument_client(client: Any) -> None:
    """Client spans for an httpx client's calls, the context sent along in `traceparent`, when traces are on."""
    if _provider is not None:
        from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

        HTTPXClientInstrumentor.instrument_client(client)


def carrier() -> dict[str, str]:
    """The current trace context as text (`traceparent`, `tracestate`), to store with work that waits in a table;
    empty outside a recorded trace."""
    found: dict[str, str] = {}
    propagate.inject(found)
    return found


def with_context(headers: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    """Kafka headers carrying the current trace context in place of any they had (a dead letter keeps its original
    message's headers); unchanged outside a recorded trace."""
    found = carrier()
    if not found:
        return headers
    return [(name, value) for name, value in headers if name not in found] + [
        (name, value.encode()) for name, value in found.items()
    ]


def context_from(source: Mapping[str, str] | Iterable[tuple[str, bytes]] | None) -> otel_context.Context:
    """The trace context a carrier (a dict of text) or Kafka headers (pairs of bytes) holds; empty if none."""
    if source is None:
        return otel_context.Context()
    if isinstance(source, Mapping):
        return propagate.extract(source, context=otel_context.Context())
    fields = propagate.get_global_textmap().fields
    text = {name: value.decode("utf-8", "replace") for name, value in source if name in fields}
    return propagate.extract(text, context=otel_context.Context())


@contextmanager
def continued(
    name: str,
    source: Mapping[str, str] | Iterable[tuple[str, bytes]] | None,
    *,
    kind: SpanKind = SpanKind.INTERNAL,
    attributes: Mapping[str, Any] | None = None,
) -> Iterator[Span]:
    """A span, current while the block runs, continuing the trace `source` carries (a new trace if it has none)."""
    with TRACER.start_as_current_span(
        name, context=context_from(source), kind=kind, attributes=dict(attributes or {})
    ) as span:
        yield span


def published(name: str, headers: Iterable[tuple[str, bytes]], waited_s: float, attributes: Mapping[str, Any]) -> None:
    """A producer span for an outbox row the relay has just published: from the row's insert to now."""
    end = time.time_ns()
    span = TRACER.start_span(
        name,
        context=context_from(headers),
        kind=SpanKind.PRODUCER,
        attributes=dict(attributes),
        start_time=end - int(waited_s * 1e9),
    )
    span.end(end_time=end)

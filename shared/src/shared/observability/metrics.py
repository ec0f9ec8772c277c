"""Prometheus metrics every process keeps, and the `/metrics` endpoint that serves them.

The plumbing counts here (consumer, outbox relay, dead letters, refusals); a service adds its own counters next to the
code that does the work (e-mails in notifications, provider calls in travel), in the same default registry. Labels are
bounded: topics without the namespace, event and command types, e-mail kinds, provider operations; never an id, a
delegate reference or a free-text reason. Names and meanings: README.md, "Metrics".

FastStream's own Prometheus middleware does not fit this consumer: it labels a whole batch (records of several topics)
with the first record's topic and times the batch, and nothing is published through FastStream (the outbox relay
sends with aiokafka), so its counts per topic would be wrong (docs/adr/0010).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Gauge, Histogram, generate_latest

MESSAGES_CONSUMED = Counter(
    "logistics_messages_consumed",
    "Messages the consumer took from a topic, by what became of them: applied, duplicate, refused, dead_lettered.",
    ["topic", "outcome"],
)
MESSAGES_PRODUCED = Counter(
    "logistics_messages_produced", "Messages the outbox relay published, by topic and type.", ["topic", "event_type"]
)
HANDLER_SECONDS = Histogram(
    "logistics_handler_duration_seconds",
    "Time a handler took to apply one message (inside its transaction).",
    ["topic", "event_type"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
CONSUMER_LAG = Gauge(
    "logistics_consumer_lag_messages",
    "Messages of a partition still to read after the last batch (the consumer's high watermark minus its position).",
    ["topic", "partition"],
)
DEAD_LETTERS = Counter("logistics_dead_letters", "Messages this consumer sent to `<topic>.dlq`, by topic.", ["topic"])
COMMANDS_REFUSED = Counter(
    "logistics_commands_refused",
    "Commands a service refused (a business 'no', or an actor without the role), by command type.",
    ["command_type"],
)
OUTBOX_PENDING = Gauge("logistics_outbox_pending_messages", "Outbox rows not yet published (read at each scrape).")
OUTBOX_OLDEST = Gauge(
    "logistics_outbox_oldest_pending_age_seconds", "Age of the oldest unpublished outbox row (0 when none)."
)
OUTBOX_PUBLISH_LAG = Histogram(
    "logistics_outbox_publish_lag_seconds",
    "Time from an outbox row's insert to its publication, by topic.",
    ["topic"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
)

Refresher = Callable[[], Awaitable[None]]


async def exposition(refreshers: list[Refresher]) -> tuple[bytes, str]:
    """The text Prometheus scrapes, after the gauges read at scrape time (backlogs) are brought up to date. A
    refresher that fails leaves its gauges as they were: a scrape never fails for a database that is slow."""
    for refresh in refreshers:
        try:
            await refresh()
        except Exception:  # the gauges keep their last value
            continue
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def unqualified(topic: str, namespace: str) -> str:
    """A topic's label: without the namespace, so that one dashboard fits every system."""
    return topic.removeprefix(namespace) if namespace else topic


def outbox_refresher(pool_of: Callable[[], Any]) -> Refresher:
    """Outbox backlog and the age of its oldest row, read from the process's database at scrape time."""

    async def refresh() -> None:
        pool = pool_of()
        if pool is None:
            return
        row = await pool.fetchrow(
            "SELECT count(*) AS pending, coalesce(extract(epoch FROM clock_timestamp() - min(created_at)), 0) AS age"
            " FROM outbox WHERE published_at IS NULL"
        )
        OUTBOX_PENDING.set(row["pending"])
        OUTBOX_OLDEST.set(float(row["age"]))

    return refresh

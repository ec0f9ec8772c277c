"""Dead letters and their replay, a contract of headers: what a consumer puts on a message it gives up on, and
what a replay adds.

A dead letter is the original record (key, value, headers) on `<topic>.dlq`, with `dlq.*` headers saying which
consumer gave up on it, where it was, why, and when it was first and last tried. A replay puts the original record back
on its topic with `replay.*` headers: the consumer group it is for (only that group acts on it; the topic's other
groups applied the original already and skip it), who asked, and which dead letter it replays. That group's inbox lets
it through once: its row says `dead_lettered`, and the replay turns it into `applied` in the effect's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

DLQ = "dlq."
REASON = "dlq.reason"
CONSUMER = "dlq.consumer"
TOPIC = "dlq.topic"
PARTITION = "dlq.partition"
OFFSET = "dlq.offset"
ATTEMPTS = "dlq.attempts"
FIRST_ATTEMPT = "dlq.first_attempt_at"
LAST_ATTEMPT = "dlq.last_attempt_at"

REPLAY = "replay."
REPLAY_FOR = "replay.consumer"
REPLAY_BY = "replay.by"
REPLAY_OF = "replay.of"

Headers = list[tuple[str, bytes]]


def original(headers: Iterable[tuple[str, bytes]] | None) -> Headers:
    """The headers the message had before any consumer gave up on it or anybody replayed it."""
    return [(name, value) for name, value in (headers or ()) if not name.startswith((DLQ, REPLAY))]


def dead_letter_headers(
    headers: Iterable[tuple[str, bytes]] | None,
    *,
    reason: str,
    consumer: str,
    position: tuple[str, int, int],
    attempts: int,
    first_attempt_at: datetime,
    last_attempt_at: datetime,
) -> Headers:
    topic, partition, offset = position
    return [
        *original(headers),
        (REASON, reason.encode()),
        (CONSUMER, consumer.encode()),
        (TOPIC, topic.encode()),
        (PARTITION, str(partition).encode()),
        (OFFSET, str(offset).encode()),
        (ATTEMPTS, str(attempts).encode()),
        (FIRST_ATTEMPT, first_attempt_at.isoformat().encode()),
        (LAST_ATTEMPT, last_attempt_at.isoformat().encode()),
    ]


def replay_headers(headers: Iterable[tuple[str, bytes]] | None, *, consumer: str, by: str, of: str) -> Headers:
    """The original headers, and who the replay is for, who asked for it and which dead letter it replays."""
    return [
        *original(headers),
        (REPLAY_FOR, consumer.encode()),
        (REPLAY_BY, by.encode()),
        (REPLAY_OF, of.encode()),
    ]


def decoded(headers: Iterable[tuple[str, bytes]] | None) -> dict[str, str]:
    return {name: (value or b"").decode("utf-8", "replace") for name, value in (headers or ())}


def replayed_for(headers: Mapping[str, bytes]) -> str | None:
    """The consumer group a replayed message is for; None for a message that is not a replay."""
    value = headers.get(REPLAY_FOR)
    return value.decode("utf-8", "replace") if value else None

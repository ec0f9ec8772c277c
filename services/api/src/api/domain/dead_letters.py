"""Dead letters as operations staff see them, and which of them a replay takes. No I/O.

A dead letter is known by where it lies: `<dlq topic>:<partition>:<offset>` (namespace left out). Its facts come from
the `dlq.*` headers the consumer wrote (shared.contracts.dead_letters): the topic and consumer group it failed in, why,
how many attempts, when first and last tried.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shared.contracts.dead_letters import ATTEMPTS, CONSUMER, FIRST_ATTEMPT, LAST_ATTEMPT, REASON, TOPIC


@dataclass(frozen=True)
class DeadLetter:
    id: str
    topic: str  # where the message failed (unqualified)
    consumer: str  # the consumer group that gave up on it (unqualified: the service's name)
    reason: str
    event_type: str
    event_id: str | None
    key: str
    attempts: int | None
    first_attempt_at: datetime | None
    last_attempt_at: datetime | None
    dead_lettered_at: datetime


def letter_id(dlq_topic: str, partition: int, offset: int) -> str:
    return f"{dlq_topic}:{partition}:{offset}"


def _time(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


def read_letter(
    *,
    dlq_topic: str,
    partition: int,
    offset: int,
    key: str,
    headers: dict[str, str],
    event_id: str | None,
    written_at: datetime,
    namespace: str,
) -> DeadLetter:
    """A dead letter from its record: the unqualified dlq topic, its position, key, decoded headers and the time the
    broker took it. Dead letters written before their attempts were recorded show none."""
    attempts = headers.get(ATTEMPTS, "")
    return DeadLetter(
        id=letter_id(dlq_topic, partition, offset),
        topic=headers.get(TOPIC, dlq_topic.removesuffix(".dlq")).removeprefix(namespace),
        consumer=headers.get(CONSUMER, "?").removeprefix(namespace),
        reason=headers.get(REASON, "?"),
        event_type=headers.get("event_type", "unknown"),
        event_id=event_id,
        key=key,
        attempts=int(attempts) if attempts.isdigit() else None,
        first_attempt_at=_time(headers.get(FIRST_ATTEMPT)),
        last_attempt_at=_time(headers.get(LAST_ATTEMPT)),
        dead_lettered_at=written_at,
    )


@dataclass(frozen=True)
class Selection:
    """Which dead letters to replay: one by id, all of a topic, those whose reason contains some text, those of one
    consumer; given together, all must hold."""

    id: str | None = None
    topic: str | None = None
    reason: str | None = None
    consumer: str | None = None

    def problem(self) -> str | None:
        if not any((self.id, self.topic, self.reason, self.consumer)):
            return "say which dead letters to replay: an id, a topic, a reason to match or a consumer"
        return None

    def takes(self, letter: DeadLetter) -> bool:
        return (
            (self.id is None or letter.id == self.id)
            and (self.topic is None or letter.topic == self.topic.removesuffix(".dlq"))
            and (self.reason is None or self.reason.casefold() in letter.reason.casefold())
            and (self.consumer is None or letter.consumer == self.consumer)
        )


def select(
    letters: list[DeadLetter], selection: Selection, replayed: set[str], *, again: bool = False
) -> tuple[list[DeadLetter], list[DeadLetter]]:
    """(to replay, left out because already replayed) among the letters the selection takes. A letter is replayed
    once unless `again`: a replay that fails is a new dead letter, replayed in its turn."""
    taken = [letter for letter in letters if selection.takes(letter)]
    if again:
        return taken, []
    return [x for x in taken if x.id not in replayed], [x for x in taken if x.id in replayed]

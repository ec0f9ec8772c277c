"""A replayed dead letter is read only by the consumer group it is for: the topic's other groups skip it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from faststream.kafka import KafkaBroker
from shared.contracts.dead_letters import replay_headers
from shared.contracts.envelope import Contract, envelope_for
from shared.messaging.consumer import Consumer, Route


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


async def nothing(envelope: Any, payload: Any, conn: Any) -> None:
    return None


def consumer(group: str) -> Consumer:
    found = Consumer(group, KafkaBroker(), group_id=group, namespace="", clock=lambda: datetime.now(UTC))
    found.subscribe("tests.notes.v1", {Noted.TYPE: Route(Noted, nothing)})
    return found


def record(headers: list[tuple[str, bytes]] | None = None) -> Record:
    envelope = envelope_for(
        Noted(ref="GVA-017"), aggregate_key="GVA-017", occurred_at=datetime.now(UTC), event_id=uuid.uuid4()
    )
    original = [("event_type", Noted.TYPE.encode())]
    body = envelope.model_dump_json().encode()
    return Record("tests.notes.v1", 0, 7, b"GVA-017", body, headers if headers is not None else original)


def read(group: str, found: Record) -> Any:
    reader = consumer(group)
    return reader.read(found.topic, reader.routes[found.topic], found)


def test_a_message_that_is_not_a_replay_is_read_by_every_group() -> None:
    plain = record()
    assert read("sponsorship", plain).replay is False
    assert read("travel", plain).replay is False


def test_a_replay_is_read_by_its_group_only() -> None:
    plain = record()
    replay = replay_headers(plain.headers, consumer="sponsorship", by="Ops (t1)", of="x.dlq:0:7")
    again = Record(plain.topic, 0, 99, plain.key, plain.value, replay)
    mine = read("sponsorship", again)
    assert mine is not None and mine.replay is True and mine.reason is None
    assert read("travel", again) is None

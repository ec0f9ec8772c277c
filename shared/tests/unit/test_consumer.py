"""The consumer runner's routing, without Kafka or PostgreSQL: which records go to which handling."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from shared.messaging.consumer import Consumer


@dataclass
class Record:
    topic: str
    value: bytes
    partition: int = 0
    offset: int = 0
    key: bytes | None = None
    headers: list[tuple[str, bytes]] = field(default_factory=list)


class FakePool:
    """Connections that only open transactions (the raw handler's); nothing else may touch the database here."""

    @contextlib.asynccontextmanager
    async def acquire(self) -> AsyncIterator[Any]:
        class Connection:
            def transaction(self) -> Any:
                return contextlib.nullcontext()

        yield Connection()


def test_a_dead_letter_read_raw_is_handled_raw_and_never_dead_lettered_again() -> None:
    """A dead letter may be anything (here: not JSON); read raw, it must not be parsed and dead-lettered to
    `<topic>.dlq.dlq` (it was, when dead letters joined the service's single consumer)."""
    consumer = Consumer("notifications", broker=None, group_id="notifications", namespace="")  # type: ignore[arg-type]
    consumer.pool = FakePool()  # type: ignore[assignment]
    seen: list[bytes] = []

    async def handle(_conn: Any, record: Any) -> None:
        seen.append(record.value)

    async def refuse_dead_letter(*_: Any, **__: Any) -> None:
        raise AssertionError("a raw record was dead-lettered")

    consumer.subscribe_raw(["registration.commands.v1.dlq"], handle)
    consumer.dead_letter = refuse_dead_letter  # type: ignore[method-assign]
    asyncio.run(consumer.process_batch((Record("registration.commands.v1.dlq", b"{not json"),)))
    assert seen == [b"{not json"]

"""The consumer runner's routing, without Kafka or PostgreSQL: which records go to which handling."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from shared.contracts.envelope import Envelope, envelope_for
from shared.contracts.registration import CancelWorkshop, RegistrationCommandRefused
from shared.messaging.consumer import Consumer, Item


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
    consumer = Consumer(
        "notifications",
        broker=None,  # type: ignore[arg-type]
        group_id="notifications",
        namespace="",
        clock=lambda: datetime.now(UTC),
    )
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


async def attempts_until_given_up(errors: list[BaseException]) -> tuple[int, BaseException | None]:
    """How many times `retrying()` runs a body that raises these errors in turn (then succeeds)."""
    from shared.messaging.consumer import retrying

    tried = 0
    try:
        async for attempt in retrying():
            with attempt:
                tried += 1
                if tried <= len(errors):
                    raise errors[tried - 1]
    except BaseException as error:  # given up: the caller dead-letters it
        return tried, error
    return tried, None


def test_a_data_error_is_dead_lettered_at_once_an_unknown_one_after_three_tries_a_transient_one_waited_out() -> None:
    import asyncpg
    from asyncpg.exceptions import _base
    from shared.messaging.consumer import Refused

    # asyncpg's client-side DataError (a value it cannot encode) is an InterfaceError: it looked transient, and a
    # message carrying it was retried for ever, blocking its partition.
    client_side = _base.DataError("invalid input for query argument $1: 3000000000 (value out of int32 range)")
    assert asyncio.run(attempts_until_given_up([client_side])) == (1, client_side)
    stored = asyncpg.NumericValueOutOfRangeError("value out of range")
    assert asyncio.run(attempts_until_given_up([stored])) == (1, stored)
    odd = [RuntimeError("a bug")] * 5
    tried, error = asyncio.run(attempts_until_given_up(odd))
    assert (tried, error) == (3, odd[2])
    away = [ConnectionRefusedError("database restarting")] * 4  # transient: retried until it works
    assert asyncio.run(attempts_until_given_up(away)) == (5, None)
    refused = Refused("workshop w is cancelled")
    assert asyncio.run(attempts_until_given_up([refused])) == (1, refused)


def test_a_refusal_is_announced_at_the_services_time_not_the_wall_clocks() -> None:
    stamp = datetime(2006, 5, 2, 9, 30, tzinfo=UTC)  # the service's clock
    queued: list[Envelope] = []

    class Pool:
        @contextlib.asynccontextmanager
        async def acquire(self) -> AsyncIterator[Any]:
            class Connection:
                def transaction(self) -> Any:
                    return contextlib.nullcontext()

                async def execute(self, _sql: str, *args: Any) -> None:  # the outbox row
                    queued.append(Envelope.model_validate_json(args[4]))

            yield Connection()

    async def claimed(*_: Any, **__: Any) -> bool:
        return True

    consumer = Consumer(
        "registration",
        broker=None,  # type: ignore[arg-type]
        group_id="registration",
        namespace="",
        clock=lambda: stamp,
        refused_contract=RegistrationCommandRefused,
        events_topic="registration.workshop.v1",
    )
    consumer.pool = Pool()  # type: ignore[assignment]
    consumer.claim = claimed  # type: ignore[method-assign]
    command = CancelWorkshop(workshop_id="idm-2006-bangkok", reason="no money")
    envelope = envelope_for(command, aggregate_key="idm-2006-bangkok", occurred_at=datetime.now(UTC))
    item = Item(None, ("registration.commands.v1", 0, 7), envelope, command, None, None)

    asyncio.run(consumer.record_refusal(item, "workshop idm-2006-bangkok is not known"))

    [refused] = queued
    assert (refused.event_type, refused.occurred_at) == ("registration.command_refused", stamp)

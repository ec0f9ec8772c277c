"""WorkshopScheduled v1 (one event for every decision, with a `change`) read as the past-tense event its change
names, by the upcaster and by the consumer, so a replay of old messages reaches only the new handlers."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from shared.contracts import registration
from shared.contracts.envelope import Envelope
from shared.contracts.upcasting import CannotUpcast, upcast
from shared.messaging.consumer import Consumer, Route

from .test_consumer import Record

FACTS = {
    "workshop_id": "idm-2006-bangkok", "title": "Environment and Migration", "year": 2006, "city": "Bangkok",
    "country": "TH", "airport": "BKK", "starts": "2006-10-24", "ends": "2006-10-25", "currency": "USD",
    "status": "scheduled", "venue_version": 2, "revision": 3, "minimum_sponsored": 0, "as_of": None,
    "reason": None, "venue_tbd": False, "capacity": None, "when_full": "waitlist",
}  # fmt: skip


def v1(change: str | None) -> Envelope:
    payload = {**FACTS} if change is None else {**FACTS, "change": change}
    return Envelope(
        event_id=uuid.uuid4(), event_type="registration.workshop_scheduled", event_version=1,
        occurred_at=datetime.now(UTC), producer="registration", aggregate_key="idm-2006-bangkok",
        correlation_id=uuid.uuid4(), payload=payload,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("change", "event"),
    [
        ("scheduled", registration.WorkshopScheduled),
        ("updated", registration.WorkshopScheduled),
        (None, registration.WorkshopScheduled),  # the oldest messages had no change: a schedule
        ("moved", registration.WorkshopMoved),
        ("postponed", registration.WorkshopPostponed),
        ("deferred", registration.WorkshopDeferred),
        ("rescheduled", registration.WorkshopRescheduled),
        ("cancelled", registration.WorkshopCancelled),
        ("confirmed", registration.WorkshopConfirmed),
        ("held", registration.WorkshopHeld),
    ],
)
def test_each_change_of_a_workshop_scheduled_v1_is_read_as_the_event_it_names(
    change: str | None, event: type[registration.WorkshopEvent]
) -> None:
    old = v1(change)

    read = upcast(old)

    assert (read.event_type, read.event_version) == (event.TYPE, event.VERSION)
    assert read.payload == FACTS, "the facts are kept whole, without the change"
    # Same message otherwise: its key (the partition, so the workshop's order), ids and time.
    assert read.model_dump(exclude={"event_type", "event_version", "payload"}) == old.model_dump(
        exclude={"event_type", "event_version", "payload"}
    )
    assert event.model_validate(read.payload).venue_version == 2
    assert upcast(read) == read, "the new events are current: left as they are"


def test_a_change_no_event_tells_cannot_be_upcast() -> None:
    with pytest.raises(CannotUpcast, match="has a change no workshop event tells: 'relocated'"):
        upcast(v1("relocated"))


def consumer_of(routes: dict[str, Route]) -> tuple[Consumer, list[tuple[Any, str]]]:
    consumer = Consumer(
        "travel",
        broker=None,  # type: ignore[arg-type]
        group_id="travel",
        namespace="",
        clock=lambda: datetime.now(UTC),
    )
    consumer.subscribe("registration.workshop.v1", routes)
    dead: list[tuple[Any, str]] = []
    applied: list[Any] = []

    async def dead_letter(item: Any, reason: str, **_: Any) -> None:
        dead.append((item.envelope, reason))

    async def apply_batch(items: list[Any]) -> None:
        applied.extend(items)

    consumer.dead_letter = dead_letter  # type: ignore[method-assign]
    consumer.apply_batch = apply_batch  # type: ignore[method-assign,assignment]
    consumer.applied = applied  # type: ignore[attr-defined]
    return consumer, dead


async def nothing(*_: Any) -> None:
    return None


def record(envelope: Envelope) -> Record:
    return Record("registration.workshop.v1", envelope.model_dump_json().encode(), headers=envelope.headers())


def test_a_consumer_of_the_new_events_reads_an_old_message_as_the_event_it_names() -> None:
    """The v1 header names a type this consumer does not route; it is read, upcast, and routed as WorkshopMoved."""
    moved = Route(registration.WorkshopMoved, nothing)
    consumer, dead = consumer_of({registration.WorkshopMoved.TYPE: moved})

    asyncio.run(consumer.process_batch((record(v1("moved")),)))

    [item] = consumer.applied  # type: ignore[attr-defined]
    assert (item.envelope.event_type, item.route, type(item.payload)) == (
        registration.WorkshopMoved.TYPE,
        moved,
        registration.WorkshopMoved,
    )
    assert dead == []


def test_an_old_message_with_an_unknown_change_goes_to_the_dead_letters_with_the_reason() -> None:
    routes = {event.TYPE: Route(event, nothing) for event in registration.WORKSHOP_EVENTS}
    consumer, dead = consumer_of(routes)

    asyncio.run(consumer.process_batch((record(v1("relocated")),)))

    [(envelope, reason)] = dead
    assert envelope.event_type == "registration.workshop_scheduled" and envelope.event_version == 1
    assert reason == "registration.workshop_scheduled v1 has a change no workshop event tells: 'relocated'"
    assert consumer.applied == []  # type: ignore[attr-defined]

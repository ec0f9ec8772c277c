"""What the API reads from Kafka itself: consumer lag per service, the envelopes on the system's topics, the newest
records of one topic (and those that follow), and the dead letters."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from pydantic import ValidationError
from shared.contracts.dead_letters import decoded
from shared.contracts.envelope import Envelope
from shared.contracts.topics import API_READS, SUBSCRIPTIONS, TOPICS, all_topics, dead_letter, qualified
from shared.messaging.kafka import admin_client, consumer, read_all
from shared.settings import StackSettings

from api.domain.dead_letters import DeadLetter, read_letter
from api.domain.lag import PartitionOffsets


class LagReader:
    """Messages each service's consumer group has still to read, from Kafka's own committed offsets. Its clients are
    made at the first question and kept: `logistics wait` asks several times a second."""

    def __init__(self, settings: StackSettings) -> None:
        self.settings = settings
        self.admin: AIOKafkaAdminClient | None = None
        self.probe: AIOKafkaConsumer | None = None
        self.lock = asyncio.Lock()

    async def _clients(self) -> tuple[AIOKafkaAdminClient, AIOKafkaConsumer]:
        async with self.lock:
            if self.admin is None or self.probe is None:
                self.admin = await admin_client(self.settings)
                self.probe = consumer(self.settings)
                await self.probe.start()
            return self.admin, self.probe

    async def lag(self) -> dict[str, int]:
        try:
            return await self._lag()
        except KafkaError:  # a broker restart: new clients next time
            await self.close()
            raise

    async def _lag(self) -> dict[str, int]:
        admin, probe = await self._clients()
        settings = self.settings
        lag: dict[str, int] = {}
        for service, topics in SUBSCRIPTIONS.items():
            partitions = [
                TopicPartition(qualified(topic, settings.logistics_namespace), p)
                for topic in topics
                for p in range(settings.topic_partitions)
            ]
            ends = await probe.end_offsets(partitions)
            # Only these partitions: the group's others (notifications' dead letters) are not the API's to describe.
            committed = await admin.list_consumer_group_offsets(settings.group_id(service), partitions=partitions)
            lag[service] = sum(
                max(0, end - (committed[tp].offset if tp in committed and committed[tp].offset >= 0 else 0))
                for tp, end in ends.items()
            )
        return lag

    async def offsets(self) -> list[PartitionOffsets]:
        """Each consumer group's committed offset and end offset per topic and partition it reads (the topics it
        subscribes to, and any other it has committed on, such as the dead-letter topics notifications reads)."""
        try:
            return await self._offsets()
        except KafkaError:
            await self.close()
            raise

    async def _offsets(self) -> list[PartitionOffsets]:
        admin, probe = await self._clients()
        namespace = self.settings.logistics_namespace
        rows: list[PartitionOffsets] = []
        for service, topics in SUBSCRIPTIONS.items():
            committed = await admin.list_consumer_group_offsets(self.settings.group_id(service))
            wanted = {
                TopicPartition(qualified(topic, namespace), p)
                for topic in topics
                for p in range(self.settings.topic_partitions)
            } | set(committed)
            ends = await probe.end_offsets(sorted(wanted))
            for tp in sorted(wanted):
                offset = committed[tp].offset if tp in committed and committed[tp].offset >= 0 else None
                topic = tp.topic.removeprefix(namespace)
                rows.append(PartitionOffsets(service, topic, tp.partition, offset, ends.get(tp, 0)))
        return rows

    async def topic_ends(self) -> dict[str, int]:
        """Each of the system's topics (dead-letter topics too) with the sum of its partitions' end offsets: how many
        records it ever took. Two looks make events per second."""
        try:
            _, probe = await self._clients()
            namespace = self.settings.logistics_namespace
            partitions = [
                TopicPartition(qualified(topic, namespace), p)
                for topic in all_topics()
                for p in range(self.settings.topic_partitions)
            ]
            ends = await probe.end_offsets(partitions)
        except KafkaError:
            await self.close()
            raise
        totals: dict[str, int] = {}
        for tp, end in ends.items():
            topic = tp.topic.removeprefix(namespace)
            totals[topic] = totals.get(topic, 0) + end
        return totals

    async def close(self) -> None:
        admin, probe, self.admin, self.probe = self.admin, self.probe, None, None
        if probe is not None:
            await probe.stop()
        if admin is not None:
            await admin.close()


async def envelopes(settings: StackSettings) -> list[Envelope]:
    """Every well-formed envelope on the system's topics (malformed ones are in the dead-letter topics)."""
    # Not the contact details' topic: personal data, for notifications alone (the API has no business reading it).
    topics = [qualified(topic, settings.logistics_namespace) for topic in API_READS]
    parsed = []
    for record in await read_all(settings, topics):
        try:
            parsed.append(Envelope.model_validate_json(record.value or b""))
        except ValidationError:
            continue
    return parsed


async def tail(
    settings: StackSettings, topic: str, limit: int, follow_s: float = 0.0
) -> AsyncGenerator[ConsumerRecord | None, None]:
    """The newest `limit` records of a (qualified) topic, oldest first; then, for `follow_s` seconds, each record as it
    arrives, and None once a second when none did (so that the caller may stop, or tell a client it is alive)."""
    reader = consumer(settings, enable_auto_commit=False)
    await reader.start()
    try:
        cluster = await reader._client.fetch_all_metadata()  # as read_all: topics() would not keep it
        partitions = [TopicPartition(topic, p) for p in sorted(cluster.partitions_for_topic(topic) or ())]
        if not partitions:
            return
        reader.assign(partitions)
        begins = await reader.beginning_offsets(partitions)
        ends = await reader.end_offsets(partitions)
        for tp in partitions:
            reader.seek(tp, max(begins[tp], ends[tp] - limit))
        newest: list[ConsumerRecord] = []
        remaining = {tp for tp in partitions if ends[tp] > max(begins[tp], ends[tp] - limit)}
        while remaining:
            batch = await reader.getmany(*remaining, timeout_ms=1000)
            for tp, records in batch.items():
                newest.extend(record for record in records if record.offset < ends[tp])
                if records and records[-1].offset + 1 >= ends[tp]:
                    remaining.discard(tp)
        newest.sort(key=lambda r: (r.timestamp, r.partition, r.offset))
        for record in newest[-limit:] if limit else []:
            yield record
        for tp in partitions:
            reader.seek(tp, ends[tp])
        deadline = asyncio.get_running_loop().time() + follow_s
        while asyncio.get_running_loop().time() < deadline:
            batch = await reader.getmany(timeout_ms=1000)
            arrived = sorted((r for records in batch.values() for r in records), key=lambda r: (r.timestamp, r.offset))
            for record in arrived:
                yield record
            if not arrived:
                yield None
    finally:
        await reader.stop()


async def dead_letters(settings: StackSettings) -> list[tuple[DeadLetter, ConsumerRecord]]:
    """Every dead letter on the system's `<topic>.dlq` topics, oldest first, with its record (to replay it)."""
    namespace = settings.logistics_namespace
    topics = [qualified(dead_letter(topic), namespace) for topic in TOPICS]
    found = []
    for record in await read_all(settings, topics):
        found.append((letter(record, namespace), record))
    found.sort(key=lambda pair: (pair[1].timestamp, pair[0].id))
    return found


def letter(record: ConsumerRecord, namespace: str) -> DeadLetter:
    return read_letter(
        dlq_topic=record.topic.removeprefix(namespace),
        partition=record.partition,
        offset=record.offset,
        key=(record.key or b"").decode("utf-8", "replace"),
        headers=decoded(record.headers),
        event_id=event_id_of(record.value),
        written_at=datetime.fromtimestamp(record.timestamp / 1000, UTC),
        namespace=namespace,
    )


def event_id_of(value: bytes | None) -> str | None:
    """The event id of a record that is an envelope, without trusting the rest of it."""
    try:
        found: Any = json.loads(value or b"")
    except ValueError:
        return None
    return str(found["event_id"]) if isinstance(found, dict) and found.get("event_id") else None

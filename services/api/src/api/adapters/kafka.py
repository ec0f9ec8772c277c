"""What the API reads from Kafka itself: consumer lag per service, and the envelopes on the system's topics."""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from pydantic import ValidationError
from shared.contracts.envelope import Envelope
from shared.contracts.topics import API_READS, SUBSCRIPTIONS, qualified
from shared.messaging.kafka import admin_client, consumer, read_all
from shared.settings import StackSettings


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

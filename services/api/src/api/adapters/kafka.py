"""What the API reads from Kafka itself: consumer lag per service, and the envelopes on the system's topics."""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer, TopicPartition
from pydantic import ValidationError
from shared.contracts.envelope import Envelope
from shared.contracts.topics import SUBSCRIPTIONS, TOPICS, qualified
from shared.messaging.kafka import admin_client, read_all
from shared.settings import StackSettings


async def consumer_lag(settings: StackSettings) -> dict[str, int]:
    """Messages each service's consumer group has still to read, from Kafka's own committed offsets."""
    admin = await admin_client(settings.kafka_bootstrap_servers)
    probe = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers)
    await probe.start()
    try:
        lag: dict[str, int] = {}
        for service, topics in SUBSCRIPTIONS.items():
            partitions = [
                TopicPartition(qualified(topic, settings.logistics_namespace), p)
                for topic in topics
                for p in range(settings.topic_partitions)
            ]
            ends = await probe.end_offsets(partitions)
            committed = await admin.list_consumer_group_offsets(settings.group_id(service))
            lag[service] = sum(
                max(0, end - (committed[tp].offset if tp in committed and committed[tp].offset >= 0 else 0))
                for tp, end in ends.items()
            )
        return lag
    finally:
        await probe.stop()
        await admin.close()


async def envelopes(settings: StackSettings) -> list[Envelope]:
    """Every well-formed envelope on the system's topics (malformed ones are in the dead-letter topics)."""
    topics = [qualified(topic, settings.logistics_namespace) for topic in TOPICS]
    parsed = []
    for record in await read_all(settings.kafka_bootstrap_servers, topics):
        try:
            parsed.append(Envelope.model_validate_json(record.value or b""))
        except ValidationError:
            continue
    return parsed

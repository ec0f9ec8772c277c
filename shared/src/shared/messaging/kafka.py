"""Kafka clients configured the one safe way: idempotent producer, acks from all replicas."""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError, TopicAlreadyExistsError

from shared.contracts.topics import all_topics, qualified


def producer(bootstrap: str) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        request_timeout_ms=30000,
    )


async def admin_client(bootstrap: str, *, timeout: float = 90.0) -> AIOKafkaAdminClient:
    """An admin client, waiting for the broker to answer (it may still be starting)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10000)
        try:
            await admin.start()
            await admin.list_topics()
            return admin
        except (KafkaConnectionError, OSError):
            await admin.close()
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(1.0)


async def ensure_topics(bootstrap: str, namespace: str, partitions: int) -> list[str]:
    """Create every contract topic and its dead-letter topic; returns the ones that were missing."""
    admin = await admin_client(bootstrap)
    try:
        wanted = [qualified(topic, namespace) for topic in all_topics()]
        existing = set(await admin.list_topics())
        missing = [name for name in wanted if name not in existing]
        if missing:
            try:
                await admin.create_topics(
                    [NewTopic(name, num_partitions=partitions, replication_factor=1) for name in missing]
                )
            except TopicAlreadyExistsError:
                pass
        return missing
    finally:
        await admin.close()

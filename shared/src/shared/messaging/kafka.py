"""Kafka clients configured the one safe way: idempotent producer, acks from all replicas."""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
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


async def read_all(bootstrap: str, topics: list[str]) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record now on these topics (all partitions, from the beginning to the current end), for reports."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        # topics() fetches the cluster's metadata without keeping it: partitions_for_topic() would know nothing.
        cluster = await consumer._client.fetch_all_metadata()
        partitions = [
            TopicPartition(topic, p) for topic in topics for p in sorted(cluster.partitions_for_topic(topic) or ())
        ]
        if not partitions:
            return []
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        records: list[ConsumerRecord[bytes, bytes]] = []
        remaining = {tp for tp, end in ends.items() if end > 0}
        while remaining:
            batch = await consumer.getmany(*remaining, timeout_ms=1000)
            for tp, items in batch.items():
                records.extend(items)
                if items and items[-1].offset + 1 >= ends[tp]:
                    remaining.discard(tp)
        return records
    finally:
        await consumer.stop()

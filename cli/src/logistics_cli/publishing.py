"""Publishing staff commands to Kafka, each in an envelope, acknowledged by the broker before we return."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from shared.contracts.envelope import Contract, Envelope, envelope_for
from shared.contracts.topics import qualified
from shared.messaging.kafka import producer
from shared.settings import StackSettings


async def publish(settings: StackSettings, commands: Iterable[tuple[str, str, Contract]]) -> list[Envelope]:
    """Send (topic, key, command) triples in order; one correlation id for the whole batch."""
    correlation_id = uuid.uuid4()
    kafka = producer(settings.kafka_bootstrap_servers)
    await kafka.start()
    sent: list[Envelope] = []
    try:
        futures = []
        for topic, key, command in commands:
            envelope = envelope_for(command, aggregate_key=key, correlation_id=correlation_id)
            futures.append(
                await kafka.send(
                    qualified(topic, settings.logistics_namespace),
                    value=envelope.model_dump_json().encode(),
                    key=key.encode(),
                    headers=envelope.headers(),
                )
            )
            sent.append(envelope)
        for future in futures:
            await future
    finally:
        await kafka.stop()
    return sent

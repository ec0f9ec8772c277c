"""`logistics wait`: every consumer group caught up, every outbox and the mail queue empty."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition
from shared.contracts.topics import SUBSCRIPTIONS, qualified
from shared.messaging.kafka import admin_client

from logistics_cli.config import SERVICES, CliSettings


async def consumer_lag(settings: CliSettings) -> dict[str, int]:
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


async def backlog(settings: CliSettings, client: httpx.AsyncClient) -> dict[str, Any]:
    pending: dict[str, Any] = {}
    for service in SERVICES:
        status = (await client.get(f"{settings.url(service)}/ops/status")).json()
        pending[f"{service} outbox"] = status["outbox"]["pending"]
        pending[f"{service} work"] = status.get("work", {}).get("pending", 0)
    queue = (await client.get(f"{settings.url('notifications')}/mail/queue")).json()
    pending["mail queue"] = queue["pending"]
    return pending


async def wait_until_quiet(settings: CliSettings, timeout: float) -> tuple[bool, dict[str, Any]]:
    deadline = time.monotonic() + timeout
    quiet_in_a_row = 0
    state: dict[str, Any] = {}
    async with httpx.AsyncClient(timeout=10) as client:
        while time.monotonic() < deadline:
            try:
                state = {f"{k} lag": v for k, v in (await consumer_lag(settings)).items()}
                state.update(await backlog(settings, client))
            except httpx.HTTPError as error:
                state = {"unreachable": str(error)}
                quiet_in_a_row = 0
                await asyncio.sleep(0.5)
                continue
            quiet_in_a_row = quiet_in_a_row + 1 if not any(state.values()) else 0
            if quiet_in_a_row >= 2:
                return True, state
            await asyncio.sleep(0.25)
    return False, state

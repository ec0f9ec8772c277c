"""`logistics wait`: every consumer group caught up, every outbox empty, and the services' work and mail queue done
(of one workshop, or all)."""

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


async def backlog(
    settings: CliSettings, client: httpx.AsyncClient, workshop: str | None = None
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """What each service still has to do (its work and the mail queue only for `workshop` when given; outboxes are
    not per workshop), and the work late past its bound, with why."""
    pending: dict[str, Any] = {}
    late: list[dict[str, Any]] = []
    params = {"workshop": workshop} if workshop else {}
    for service in SERVICES:
        try:
            response = await client.get(f"{settings.url(service)}/ops/status", params=params)
            response.raise_for_status()
        except httpx.HTTPError:
            pending[service] = "unreachable"
            continue
        status = response.json()
        pending[f"{service} outbox"] = status["outbox"]["pending"]
        pending[f"{service} work"] = status.get("work", {}).get("pending", 0)
        late += [{"service": service, **item} for item in status.get("work", {}).get("late", [])]
    try:
        queue = (await client.get(f"{settings.url('notifications')}/mail/queue", params=params)).json()
        pending["mail queue"] = queue["pending"]
    except httpx.HTTPError:
        pending["mail queue"] = "unreachable"
    return pending, late


async def wait_until_quiet(
    settings: CliSettings, timeout: float, workshop: str | None = None
) -> tuple[bool, dict[str, Any], list[dict[str, Any]]]:
    """Until two looks in a row find nothing to do; or, at the timeout, what was still busy and what was late."""
    deadline = time.monotonic() + timeout
    quiet_in_a_row = 0
    state: dict[str, Any] = {}
    late: list[dict[str, Any]] = []
    async with httpx.AsyncClient(timeout=10) as client:
        while time.monotonic() < deadline:
            state = {f"{k} lag": v for k, v in (await consumer_lag(settings)).items()}
            work, late = await backlog(settings, client, workshop)
            state.update(work)
            quiet_in_a_row = quiet_in_a_row + 1 if not any(state.values()) else 0
            if quiet_in_a_row >= 2:
                return True, state, late
            await asyncio.sleep(0.25)
    return False, state, late

"""Three brokers (`make up BROKERS=3`): every topic has three replicas, two of which must acknowledge a write, so a
broker SIGKILLed in the middle of the Geneva scenario loses nothing and stops nothing; started again, it catches up."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from shared.contracts.topics import all_topics, qualified
from shared.messaging.kafka import admin_client
from shared.settings import StackSettings

from tests.cluster.conftest import Brokers
from tests.harness import GENEVA, SERVICES, System, busy, eventually, running

pytestmark = [pytest.mark.cluster, pytest.mark.stack]


async def replicas(settings: StackSettings) -> tuple[dict[str, tuple[int, int]], Counter[int]]:
    """Each of the namespace's topics: (replicas, in-sync replicas of its least replicated partition); and how many
    partitions each broker leads."""
    names = [qualified(topic, settings.logistics_namespace) for topic in all_topics()]
    admin = await admin_client(settings)
    try:
        described = await admin.describe_topics(names)
    finally:
        await admin.close()
    leaders: Counter[int] = Counter()
    found = {}
    for topic in described:
        partitions = topic["partitions"]
        leaders.update(partition["leader"] for partition in partitions)
        found[topic["topic"]] = (
            min(len(partition["replicas"]) for partition in partitions),
            min(len(partition["isr"]) for partition in partitions),
        )
    return found, leaders


async def min_insync_replicas(settings: StackSettings, topic: str) -> str:
    admin = await admin_client(settings)
    try:
        [response] = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
    finally:
        await admin.close()
    [(_, _, _, _, entries)] = response.resources
    return next(str(entry[1]) for entry in entries if entry[0] == "min.insync.replicas")


class BrokerKill(threading.Thread):
    """SIGKILLs, once a service has cascade work in flight, the broker leading most of the system's partitions."""

    def __init__(self, system: System, cluster: Brokers, node: int) -> None:
        super().__init__(daemon=True)
        self.system, self.cluster, self.node = system, cluster, node
        self.killed_at: float | None = None
        self.while_busy: list[str] = []

    def run(self) -> None:
        deadline = time.monotonic() + 20
        while not (working := [s for s in SERVICES if busy(self.system, s)]) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.while_busy = working
        self.cluster.kill(self.node)
        self.killed_at = time.monotonic()


def test_a_broker_killed_in_the_middle_of_the_geneva_scenario_loses_nothing(cluster: Brokers, tmp_path: Path) -> None:
    with running(System(cluster.infra, tmp_path)) as system:
        settings = system.kafka
        found, leaders = asyncio.run(replicas(settings))
        assert set(found) == {qualified(topic, system.namespace) for topic in all_topics()}
        assert set(found.values()) == {(3, 3)}, found
        assert asyncio.run(min_insync_replicas(settings, qualified("travel.booking.v1", system.namespace))) == "2"

        # Staff's workshop, pledge and 200 delegates: the commands are on Kafka, the services are at work.
        started = time.monotonic()
        system.cli("apply", str(GENEVA))
        [(victim, _)] = leaders.most_common(1)
        kill = BrokerKill(system, cluster, victim)
        kill.start()
        system.wait()
        kill.join(timeout=60)
        assert kill.killed_at is not None and kill.while_busy, "the broker was not killed while services worked"
        system.cli("sponsorship", "allocate", "--workshop", "idm-2006-geneva")
        system.wait()
        system.cli("travel", "book", "--workshop", "idm-2006-geneva")
        system.wait()
        report = system.report()
        finished = time.monotonic()
        assert started < kill.killed_at < finished

        assert report["violations"] == [], report["violations"]  # I4: every event of every service's outbox is on Kafka
        assert report["delegates"]["registered"] == 200 and report["delegates"]["sponsored"] == 30
        assert report["delegates"]["waitlisted"] == 4
        assert report["tickets"]["valid"] == 30 and report["emails"]["sent"] == 98
        assert len(system.mail()) == 98

        # Started again, the broker catches up: every partition has its three replicas in sync.
        cluster.stack("kafka")
        eventually(
            lambda: set(asyncio.run(replicas(settings))[0].values()) == {(3, 3)},
            90,
            f"broker {victim} back in every partition's in-sync replicas",
            every=1,
        )

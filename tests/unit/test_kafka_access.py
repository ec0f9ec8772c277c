"""Who may do what on Kafka (shared.messaging.access) is what the code does: each service's consumer reads exactly
what its principal may read, writes only its own events and the dead letters of what it reads, in its own consumer
group; the API alone writes commands. The Strimzi users (deploy/k8s/kafka-users.yaml) say the same, and are up to
date. The API also writes a replayed dead letter back on its topic (docs/adr/0012). Against a real broker:
tests/cluster/test_secured_kafka.py."""

from __future__ import annotations

import asyncio
import importlib
from pathlib import Path
from typing import Any

import pytest
import yaml
from shared.contracts.registry import COMMANDS
from shared.contracts.topics import (
    REGISTRATION_CONTACT,
    REGISTRATION_DELEGATE,
    REPLAYABLE,
    SUBSCRIPTIONS,
    TOPICS,
    dead_letter,
    is_dead_letter,
)
from shared.messaging import access

ROOT = Path(__file__).resolve().parents[2]
KAFKA_USERS = ROOT / "deploy" / "k8s" / "kafka-users.yaml"
NAMESPACE = "t0_"


def rights(principal: str, operation: str, resource: str = "topic") -> set[str]:
    return {
        grant.name.removeprefix(NAMESPACE)
        for grant in access.grants(NAMESPACE)
        if (grant.principal, grant.operation, grant.resource) == (principal, operation, resource)
    }


def runtime(service: str) -> Any:
    settings = importlib.import_module(f"{service}.config").Settings(logistics_namespace=NAMESPACE)
    return importlib.import_module(f"{service}.bootstrap").build(settings)


@pytest.mark.parametrize("service", SUBSCRIPTIONS)
def test_a_service_may_read_exactly_what_its_consumer_subscribes_to(service: str) -> None:
    consumer = runtime(service).consumer
    assert rights(service, "Read") == {topic.removeprefix(NAMESPACE) for topic in (*consumer.routes, *consumer.raw)}


def test_the_api_may_read_what_it_traces_and_reports_on(monkeypatch: pytest.MonkeyPatch) -> None:
    from api.adapters import kafka
    from api.config import Settings

    assert not runtime("api").consumer.routes and not runtime("api").consumer.raw
    read: list[str] = []

    async def read_all(_settings: Any, topics: list[str]) -> list[Any]:
        read.extend(topics)
        return []

    monkeypatch.setattr(kafka, "read_all", read_all)
    asyncio.run(kafka.envelopes(Settings(logistics_namespace=NAMESPACE)))
    asyncio.run(kafka.dead_letters(Settings(logistics_namespace=NAMESPACE)))  # logistics ops dlq
    assert rights("api", "Read") == {topic.removeprefix(NAMESPACE) for topic in read}
    assert {dead_letter(topic) for topic in TOPICS} <= rights("api", "Read")
    # Lag: the end of every topic a service consumes, the contact details' included.
    assert {t for topics in SUBSCRIPTIONS.values() for t in topics} <= rights("api", "Read") | rights("api", "Describe")


@pytest.mark.parametrize("service", SUBSCRIPTIONS)
def test_a_service_writes_its_own_events_and_the_dead_letters_of_what_it_reads(service: str) -> None:
    written = rights(service, "Write")
    assert {topic for topic in written if not is_dead_letter(topic)} <= {t for t in TOPICS if t.startswith(service)}
    assert {topic for topic in written if is_dead_letter(topic)} == {dead_letter(t) for t in SUBSCRIPTIONS[service]}
    refusals = runtime(service).consumer.events_topic  # where its `command_refused` events go
    assert refusals is None or refusals in written


def test_the_api_alone_writes_commands_and_each_command_may_reach_its_topic() -> None:
    commands = {command.topic() for command in COMMANDS.values()}
    assert commands <= rights("api", "Write")
    for service in SUBSCRIPTIONS:
        assert not rights(service, "Write") & commands, service


def test_the_api_writes_events_only_to_put_a_replayed_dead_letter_back_where_it_came_from() -> None:
    # A dead letter is a record a consumer gave up on: its topic is one some service consumes (docs/adr/0012).
    consumed = {topic for topics in SUBSCRIPTIONS.values() for topic in topics}
    commands = {command.topic() for command in COMMANDS.values()}
    assert rights("api", "Write") == commands | consumed == commands | set(REPLAYABLE)
    assert not rights("api", "Write") & {dead_letter(topic) for topic in TOPICS}
    assert REGISTRATION_CONTACT not in rights("api", "Read")  # writing a replay back is not reading the topic


def test_travel_cannot_forge_delegates_nor_read_their_contact_details() -> None:
    assert REGISTRATION_DELEGATE not in rights("travel", "Write")
    assert REGISTRATION_CONTACT not in rights("travel", "Read")
    # The contact details are read by notifications alone; the API only sees how far notifications has read them.
    assert [p for p in access.PRINCIPALS if REGISTRATION_CONTACT in rights(p, "Read")] == ["notifications"]
    assert REGISTRATION_CONTACT in rights("api", "Describe")


def test_a_service_uses_only_its_own_consumer_group_and_the_api_only_looks_at_them() -> None:
    for service in SUBSCRIPTIONS:
        assert rights(service, "Read", "group") == {service}
        assert not rights(service, "Describe", "group")
    assert rights("api", "Describe", "group") == set(SUBSCRIPTIONS)
    assert not rights("api", "Read", "group")


def test_the_namespace_prefixes_every_name() -> None:
    assert all(grant.name.startswith(NAMESPACE) for grant in access.grants(NAMESPACE))
    assert {grant.name for grant in access.grants()} == {
        grant.name.removeprefix(NAMESPACE) for grant in access.grants(NAMESPACE)
    }


def test_the_strimzi_users_are_up_to_date() -> None:
    assert KAFKA_USERS.read_text() == access.kafka_users(), (
        "deploy/k8s/kafka-users.yaml is out of date: .venv/bin/python -m shared.messaging.access kafka-users"
        " > deploy/k8s/kafka-users.yaml"
    )


def test_the_strimzi_users_grant_what_the_acls_grant() -> None:
    users = [document for document in yaml.safe_load_all(KAFKA_USERS.read_text()) if document]
    assert [user["metadata"]["name"] for user in users] == list(access.PRINCIPALS)
    from_yaml = set()
    for user in users:
        assert user["apiVersion"] == "kafka.strimzi.io/v1" and user["kind"] == "KafkaUser"
        assert user["metadata"]["labels"]["strimzi.io/cluster"] == access.STRIMZI_CLUSTER
        assert user["spec"]["authentication"] == {"type": "scram-sha-512"}
        assert user["spec"]["authorization"]["type"] == "simple"
        for acl in user["spec"]["authorization"]["acls"]:
            assert acl["resource"]["patternType"] == "literal" and acl["host"] == "*"
            for operation in acl["operations"]:
                from_yaml.add((user["metadata"]["name"], acl["resource"]["type"], acl["resource"]["name"], operation))
    assert from_yaml == {(g.principal, g.resource, g.name, g.operation) for g in access.grants()}

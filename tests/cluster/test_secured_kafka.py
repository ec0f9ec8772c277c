"""The secured broker (`make up SECURE=1`): nobody connects without a password over TLS, each principal does only what
shared.messaging.access grants (a forged delegate event is impossible), and the Geneva scenario runs with each
service as its own principal, nothing denied."""

from __future__ import annotations

import asyncio
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from aiokafka.errors import GroupAuthorizationFailedError, KafkaConnectionError, TopicAuthorizationFailedError
from shared.contracts.topics import (
    REGISTRATION_CONTACT,
    REGISTRATION_DELEGATE,
    SUBSCRIPTIONS,
    TRAVEL_BOOKING,
    TRAVEL_COMMANDS,
    dead_letter,
    qualified,
)
from shared.messaging import access
from shared.messaging.kafka import consumer, ensure_topics, producer, read_all
from shared.settings import StackSettings

from tests.cluster.conftest import Brokers
from tests.harness import System, kafka_settings, running

pytestmark = [pytest.mark.cluster, pytest.mark.stack]


def as_principal(brokers: Brokers, principal: str, password: str, namespace: str = "", **changes: Any) -> StackSettings:
    infra = {**brokers.infra, "KAFKA_SASL_USERNAME": principal, "KAFKA_SASL_PASSWORD": password}
    return kafka_settings(infra, namespace).model_copy(update=changes)


async def connects(settings: StackSettings) -> str | None:
    """None when a client connects (authenticated, reading the cluster's metadata); otherwise the error it got."""
    client = consumer(settings)
    try:
        await asyncio.wait_for(client.start(), timeout=60)
    except KafkaConnectionError as refused:
        return str(refused)
    finally:
        await client.stop()
    return None


def test_clients_without_a_valid_password_over_tls_are_refused(secured: Brokers, passwords: dict[str, str]) -> None:
    travel = as_principal(secured, "travel", passwords["travel"])
    assert asyncio.run(connects(travel)) is None  # the control: the right password, over TLS, trusting the local CA
    attempts = {
        "no TLS, no SASL": travel.model_copy(update={"kafka_security_protocol": "PLAINTEXT"}),
        "TLS without SASL": travel.model_copy(update={"kafka_security_protocol": "SSL"}),
        "SASL without TLS": travel.model_copy(update={"kafka_security_protocol": "SASL_PLAINTEXT"}),
        "a wrong password": as_principal(secured, "travel", "not-" + passwords["travel"]),
        "an unknown user": as_principal(secured, "mallory", passwords["travel"]),
        "a broker the client's CAs do not vouch for": travel.model_copy(update={"kafka_ssl_cafile": ""}),
    }
    for attempt, settings in attempts.items():
        refused = asyncio.run(connects(settings))
        assert refused is not None, f"{attempt}: connected"
        assert passwords["travel"] not in refused, attempt
    assert "Failed authentication" in secured.log() and passwords["travel"] not in secured.log()


async def send(settings: StackSettings, topic: str) -> None:
    client = producer(settings)
    await client.start()
    try:
        await client.send_and_wait(qualified(topic, settings.logistics_namespace), b"{}", key=b"GVA-001")
    finally:
        await client.stop()


async def join(settings: StackSettings, group: str, topic: str) -> None:
    """Join `group` reading `topic`, and fetch once."""
    reader = consumer(settings, qualified(topic, settings.logistics_namespace), group_id=group)
    await reader.start()
    try:
        await reader.getmany(timeout_ms=3000)
    finally:
        await reader.stop()


def test_each_principal_may_do_only_what_access_grants(secured: Brokers, passwords: dict[str, str]) -> None:
    namespace = f"acl{uuid.uuid4().hex[:6]}_"
    operator = kafka_settings(secured.infra, namespace)
    asyncio.run(ensure_topics(operator))
    assert asyncio.run(access.apply(operator)) == len(access.grants(namespace))

    def principal(name: str) -> StackSettings:
        return as_principal(secured, name, passwords[name], namespace)

    travel = principal("travel")
    asyncio.run(send(travel, TRAVEL_BOOKING))  # its own events
    with pytest.raises(TopicAuthorizationFailedError):  # a forged delegate event
        asyncio.run(send(travel, REGISTRATION_DELEGATE))
    with pytest.raises(TopicAuthorizationFailedError):  # a command: the API's alone
        asyncio.run(send(principal("sponsorship"), TRAVEL_COMMANDS))
    asyncio.run(send(principal("api"), TRAVEL_COMMANDS))
    asyncio.run(send(principal("api"), REGISTRATION_DELEGATE))  # a replayed dead letter, back where it failed
    contact, contact_dlq = (qualified(t, namespace) for t in (REGISTRATION_CONTACT, dead_letter(REGISTRATION_CONTACT)))
    asyncio.run(send(principal("registration"), REGISTRATION_CONTACT))
    asyncio.run(send(principal("notifications"), dead_letter(REGISTRATION_CONTACT)))
    assert len(asyncio.run(read_all(principal("api"), [contact_dlq]))) == 1  # logistics ops dlq
    with pytest.raises(TopicAuthorizationFailedError):  # the API never reads the contact details themselves
        asyncio.run(asyncio.wait_for(read_all(principal("api"), [contact]), 60))
    with pytest.raises(TopicAuthorizationFailedError):  # the delegates' contact details: notifications' alone
        asyncio.run(join(travel, f"{namespace}travel", REGISTRATION_CONTACT))
    with pytest.raises(GroupAuthorizationFailedError):  # another service's consumer group
        asyncio.run(join(travel, f"{namespace}registration", REGISTRATION_DELEGATE))
    asyncio.run(join(travel, f"{namespace}travel", REGISTRATION_DELEGATE))  # what it consumes, in its own group
    denied = denials(secured.log(), namespace)
    assert f"User:travel WRITE Topic:LITERAL:{namespace}{REGISTRATION_DELEGATE}" in denied, denied


def denials(log: str, namespace: str) -> set[str]:
    """`principal OPERATION resource` of every request the authorizer denied on the namespace's topics and groups."""
    pattern = re.compile(r"Principal = (\S+) is Denied operation = (\S+) .* on resource = (\S+) ")
    return {" ".join(found.groups()) for found in pattern.finditer(log) if f":{namespace}" in found.group(3)}


def allowed(log: str, namespace: str) -> set[str]:
    pattern = re.compile(r"Principal = (\S+) is Allowed operation = (\S+) .* on resource = (\S+) ")
    return {" ".join(found.groups()) for found in pattern.finditer(log) if f":{namespace}" in found.group(3)}


def test_the_geneva_scenario_runs_with_each_service_as_its_own_principal(
    secured: Brokers, passwords: dict[str, str], tmp_path: Path
) -> None:
    with running(System(secured.infra, tmp_path, kafka_users=passwords)) as system:
        report = system.run_geneva()
        assert report["violations"] == [], report["violations"]
        assert report["delegates"]["registered"] == 200 and report["delegates"]["sponsored"] == 30
        assert report["tickets"]["valid"] == 30 and report["emails"]["sent"] == 98
        log = secured.log()
    namespace = system.namespace
    assert not denials(log, namespace), sorted(denials(log, namespace))
    done = allowed(log, namespace)
    for service, topics in SUBSCRIPTIONS.items():  # each read as itself, in its own group
        assert f"User:{service} READ Group:LITERAL:{namespace}{service}" in done, service
        assert {f"User:{service} READ Topic:LITERAL:{namespace}{topic}" for topic in topics} <= done, service
    for principal, topics in {"registration": [REGISTRATION_DELEGATE], "travel": [TRAVEL_BOOKING]}.items():
        assert {f"User:{principal} WRITE Topic:LITERAL:{namespace}{topic}" for topic in topics} <= done
    assert f"User:api WRITE Topic:LITERAL:{namespace}registration.commands.v1" in done

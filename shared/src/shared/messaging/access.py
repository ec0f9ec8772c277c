"""Who may do what on Kafka: one principal per service and one for the API, with only the rights the code uses.

Made from the contracts' topics (shared.contracts.topics: PUBLISHES, SUBSCRIPTIONS, DEAD_LETTER_READERS, API_READS,
REPLAYABLE):
- a service writes its own events and the dead letters of the topics it reads, reads the topics it consumes, and
  uses its own consumer group only;
- the API alone writes the command topics; it reads the topics it traces and reports on and every dead-letter topic,
  describes the others a service consumes and every service's consumer group (lag), and writes a replayed dead letter
  back on the topic it came from (REPLAYABLE: role admin, audited; docs/adr/0012);
- everything else is denied (the broker's StandardAuthorizer, `allow.everyone.if.no.acl.found=false`); the operator's
  principal (`admin`: topics, ACLs) is a super user.

`python -m shared.messaging.access apply` creates these ACLs on the broker the settings point at (as a super user), in
the settings' namespace; `python -m shared.messaging.access kafka-users` prints them as Strimzi `KafkaUser` resources
(deploy/k8s/kafka-users.yaml, checked up to date by a test).
"""

from __future__ import annotations

import asyncio
import sys
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Literal

from aiokafka.protocol.admin import CreateAclsRequest_v1, DescribeAclsRequest
from aiokafka.protocol.api import Request

from shared.contracts.topics import (
    API_READS,
    DEAD_LETTER_READERS,
    PUBLISHES,
    REPLAYABLE,
    SUBSCRIPTIONS,
    TOPICS,
    dead_letter,
    qualified,
)
from shared.messaging.kafka import admin_client
from shared.settings import StackSettings

PRINCIPALS = tuple(PUBLISHES)  # the four services and the API
STRIMZI_CLUSTER = "logistics"  # the Strimzi `Kafka` resource the users belong to (label strimzi.io/cluster)

Resource = Literal["topic", "group"]
Operation = Literal["Read", "Write", "Describe"]


@dataclass(frozen=True, order=True)
class Grant:
    """`principal` may `operation` on the topic or consumer group `name` (its full name, namespace included)."""

    principal: str
    resource: Resource
    name: str
    operation: Operation


def group_id(service: str, namespace: str) -> str:
    return StackSettings.model_construct(logistics_namespace=namespace).group_id(service)


def grants(namespace: str = "") -> list[Grant]:
    """Every right of every principal (Read and Write imply Describe, as Kafka's authorizer has it)."""

    def topic(principal: str, name: str, operation: Operation) -> Grant:
        return Grant(principal, "topic", qualified(name, namespace), operation)

    given = {topic(principal, name, "Write") for principal, names in PUBLISHES.items() for name in names}
    for service, names in SUBSCRIPTIONS.items():
        given |= {topic(service, name, "Read") for name in names}
        given |= {topic(service, dead_letter(name), "Write") for name in names}
        given.add(Grant(service, "group", group_id(service, namespace), "Read"))
        given.add(Grant("api", "group", group_id(service, namespace), "Describe"))
        given |= {topic("api", name, "Describe") for name in names if name not in API_READS}
    given |= {topic(service, dead_letter(name), "Read") for service in DEAD_LETTER_READERS for name in TOPICS}
    given |= {topic("api", name, "Read") for name in API_READS}
    given |= {topic("api", name, "Write") for name in REPLAYABLE}
    return sorted(given)


# ---------------------------------------------------------------- ACLs on a broker (Kafka's wire codes)
_RESOURCE = {"topic": 2, "group": 3}
_OPERATION = {"Read": 3, "Write": 4, "Describe": 8}
_ANY, _LITERAL, _ALLOW = 1, 3, 3


def _binding(grant: Grant) -> tuple[int, str, int, str, str, int, int]:
    return (
        _RESOURCE[grant.resource],
        grant.name,
        _LITERAL,
        f"User:{grant.principal}",
        "*",
        _OPERATION[grant.operation],
        _ALLOW,
    )


class _CreateAcls(Request[CreateAclsRequest_v1]):  # type: ignore[misc]  # aiokafka has no type hints
    """Many ACLs in one CreateAcls request (v1, which Kafka 4 still serves): aiokafka's own request carries one."""

    API_KEY = 30

    def __init__(self, bindings: list[tuple[int, str, int, str, str, int, int]]) -> None:
        self.bindings = bindings

    def build(self, request_struct_class: type[CreateAclsRequest_v1]) -> CreateAclsRequest_v1:
        return request_struct_class(self.bindings)


async def apply(settings: StackSettings, *, timeout: float = 60.0) -> int:
    """Create the namespace's ACLs (creating one that exists changes nothing), then wait until every broker enforces
    them: a service started before would be refused. aiokafka 0.14 has no public ACL calls: this sends Kafka's own
    requests through its admin client (tests/cluster proves it against the broker). Returns how many there are."""
    wanted = {_binding(grant) for grant in grants(settings.logistics_namespace)}
    admin = await admin_client(settings)
    try:
        response = await admin._send_request(_CreateAcls(sorted(wanted)))
        failed = [message or f"error {code}" for code, message in response.creation_responses if code]
        if failed:
            raise RuntimeError(f"the broker refused {len(failed)} ACLs: {failed[0]}")
        nodes = [broker["node_id"] for broker in (await admin.describe_cluster())["brokers"]]
        deadline = asyncio.get_running_loop().time() + timeout
        for node in nodes:
            while not wanted <= await _enforced(admin, node):
                if asyncio.get_running_loop().time() > deadline:
                    raise TimeoutError(f"broker {node} does not enforce the new ACLs after {timeout} s")
                await asyncio.sleep(0.1)
        return len(wanted)
    finally:
        await admin.close()


async def _enforced(admin: Any, node: int) -> set[tuple[int, str, int, str, str, int, int]]:
    """The ACLs one broker's authorizer holds."""
    response = await admin._send_request(DescribeAclsRequest(_ANY, None, _ANY, None, None, _ANY, _ANY), node)
    return {
        (resource_type, name, pattern, principal, host, operation, permission)
        for resource_type, name, pattern, acls in response.resources
        for principal, host, operation, permission in acls
    }


# ---------------------------------------------------------------- Strimzi KafkaUser resources
def kafka_users(cluster: str = STRIMZI_CLUSTER) -> str:
    """One `KafkaUser` per principal (SCRAM-SHA-512; Strimzi keeps the password in a Secret of the user's name), its
    ACLs those of `grants()` in the empty namespace, as YAML."""
    by_principal: dict[str, dict[tuple[str, str], list[str]]] = defaultdict(lambda: defaultdict(list))
    for grant in grants():
        by_principal[grant.principal][(grant.resource, grant.name)].append(grant.operation)
    lines = [
        "# Generated by `python -m shared.messaging.access kafka-users` from shared/src/shared/contracts/topics.py:",
        "# do not edit (tests/unit/test_kafka_access.py fails when it is out of date).",
    ]
    for principal in PRINCIPALS:
        lines += [
            "---",
            "apiVersion: kafka.strimzi.io/v1",
            "kind: KafkaUser",
            "metadata:",
            f"  name: {principal}",
            "  labels:",
            f"    strimzi.io/cluster: {cluster}",
            "spec:",
            "  authentication:",
            "    type: scram-sha-512",
            "  authorization:",
            "    type: simple",
            "    acls:",
        ]
        for (resource, name), operations in sorted(by_principal[principal].items()):
            lines += [
                f"      - resource: {{type: {resource}, name: {name}, patternType: literal}}",
                f"        operations: [{', '.join(sorted(operations))}]",
                '        host: "*"',
            ]
    return "\n".join(lines) + "\n"


def main() -> None:
    command = sys.argv[1:]
    if command == ["kafka-users"]:
        sys.stdout.write(kafka_users())
    elif command == ["apply"]:
        settings = StackSettings()
        count = asyncio.run(apply(settings))
        print(f"acls: {count} for namespace {settings.logistics_namespace!r}", file=sys.stderr)
    else:
        sys.exit("usage: python -m shared.messaging.access apply|kafka-users")


if __name__ == "__main__":
    main()

"""docs/asyncapi.yaml is the contracts' AsyncAPI 3 document, up to date: every topic and dead-letter topic a channel,
every contract a message on the topic its producer publishes it to and its consumers read it from, every JSON Schema
named by an `$id` (python -m shared.contracts.asyncapi rewrites it)."""

from __future__ import annotations

import importlib
import json
from typing import Any

import pytest
import yaml
from shared.contracts import asyncapi
from shared.contracts.envelope import schema_id
from shared.contracts.registry import CONTRACTS
from shared.contracts.schemas import SNAPSHOTS
from shared.contracts.topics import all_topics

SERVICES = ("registration", "sponsorship", "travel", "notifications")


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    loaded = yaml.safe_load(asyncapi.DOCUMENT.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def test_the_document_is_up_to_date() -> None:
    assert asyncapi.DOCUMENT.is_file(), "docs/asyncapi.yaml is missing: python -m shared.contracts.asyncapi"
    assert asyncapi.DOCUMENT.read_text(encoding="utf-8") == asyncapi.text(), (
        "docs/asyncapi.yaml is out of date: python -m shared.contracts.asyncapi"
    )


def test_every_topic_and_dead_letter_topic_is_a_channel(document: dict[str, Any]) -> None:
    assert document["asyncapi"].startswith("3.")
    addresses = [channel["address"] for channel in document["channels"].values()]
    assert sorted(addresses) == sorted(all_topics())
    for key in document["channels"]:
        assert f"send-{key}" in document["operations"]


def test_every_contract_is_a_message_with_its_schema(document: dict[str, Any]) -> None:
    messages = document["components"]["messages"]
    on_channels = {
        name: channel["address"] for channel in document["channels"].values() for name in channel["messages"]
    }
    for contract in CONTRACTS.values():
        if contract.TYPE in asyncapi.PARTS:
            continue
        name = asyncapi.message_name(contract)
        assert on_channels.get(name) == asyncapi.topic_of(contract), name
        payload = messages[name]["payload"]
        assert payload["schemaFormat"] == asyncapi.SCHEMA_FORMAT
        assert payload["schema"]["properties"]["payload"] == json.loads(json.dumps(contract.model_json_schema()))
        assert payload["schema"]["properties"]["payload"]["$id"] == schema_id(contract.TYPE, contract.VERSION)


def test_every_reference_resolves(document: dict[str, Any]) -> None:
    def resolve(pointer: str) -> Any:
        node: Any = document
        for part in pointer.removeprefix("#/").split("/"):
            node = node[part]
        return node

    def refs(node: Any) -> list[str]:
        if isinstance(node, dict):
            own = [node["$ref"]] if isinstance(node.get("$ref"), str) and "properties" not in node else []
            return own + [ref for value in node.values() for ref in refs(value)]
        if isinstance(node, list):
            return [ref for value in node for ref in refs(value)]
        return []

    for ref in refs({"channels": document["channels"], "operations": document["operations"]}):
        assert resolve(ref), ref


def test_every_json_schema_has_an_id(document: dict[str, Any]) -> None:
    for name, message in document["components"]["messages"].items():
        payload = message["payload"].get("schema", message["payload"])
        assert payload.get("$id"), name
        assert message["headers"].get("$id"), name
    for path in SNAPSHOTS.glob("*.json"):
        wire_type, _, version = path.name.removesuffix(".json").rpartition(".v")
        assert json.loads(path.read_text())["$id"] == schema_id(wire_type, int(version)), path.name


@pytest.mark.parametrize("service", SERVICES)
def test_consumers_read_each_message_on_the_topic_the_document_gives_it(service: str) -> None:
    """The document's topic for a type is where its consumers subscribe to it (services/*/bootstrap.py)."""
    settings = importlib.import_module(f"{service}.config").Settings(logistics_namespace="")
    runtime = importlib.import_module(f"{service}.bootstrap").build(settings)
    for topic, routes in runtime.consumer.routes.items():
        for wire_type in routes:
            assert asyncapi.topic_of(CONTRACTS[wire_type]) == topic, (service, wire_type)

"""The AsyncAPI 3 document of every topic, message and JSON Schema, generated from the contracts into
docs/asyncapi.yaml: `python -m shared.contracts.asyncapi` (tests/unit/test_asyncapi.py fails when it is out of date).

Each topic of shared.contracts.topics is a channel, and so is its dead-letter topic. A message is one contract type
(`CHANNELS` says on which topic each one travels): its payload is the envelope (shared.contracts.envelope.Envelope)
with the contract's JSON Schema as `payload`, named by its `$id`; its headers are the envelope's. A dead letter is the
original record, unchanged, with the `dlq.*` headers of shared.contracts.dead_letters.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

from shared.contracts import dead_letters
from shared.contracts.envelope import Command, Contract, Envelope
from shared.contracts.registry import CONTRACTS
from shared.contracts.topics import (
    NOTIFICATIONS_EMAIL,
    REGISTRATION_CONTACT,
    REGISTRATION_DELEGATE,
    REGISTRATION_WORKSHOP,
    SPONSORSHIP_AWARD,
    SPONSORSHIP_FUNDING,
    SUBSCRIPTIONS,
    TOPICS,
    TRAVEL_BOOKING,
    dead_letter,
)

DOCUMENT = Path(__file__).resolve().parents[4] / "docs" / "asyncapi.yaml"

# Contracts that are parts of messages (in their $defs), never messages of their own.
PARTS = frozenset({"sponsorship.cost_line", "travel.change_option", "travel.fare_conditions", "travel.segment"})

# Where each producer's events travel: by type where a producer has several event topics, else its one topic.
EVENT_TOPICS: dict[str, str] = {
    "registration.delegate_registered": REGISTRATION_DELEGATE,
    "registration.contact_recorded": REGISTRATION_CONTACT,
    "registration.attendance_recorded": REGISTRATION_DELEGATE,
    "sponsorship.pledge_recorded": SPONSORSHIP_FUNDING,
    "sponsorship.shortfall_detected": SPONSORSHIP_FUNDING,
    "sponsorship.booking_window_closing": SPONSORSHIP_FUNDING,
}
PRODUCER_TOPICS: dict[str, str] = {
    "registration": REGISTRATION_WORKSHOP,  # workshops, programmes and refused commands
    "sponsorship": SPONSORSHIP_AWARD,  # requests, decisions, fare approvals and refused commands
    "travel": TRAVEL_BOOKING,
    "notifications": NOTIFICATIONS_EMAIL,
}

DEAD_LETTER_HEADERS = {
    dead_letters.REASON: "why the consumer gave up on the message",
    dead_letters.CONSUMER: "the consumer (service) that gave up",
    dead_letters.TOPIC: "the topic the message was read from",
    dead_letters.PARTITION: "its partition there",
    dead_letters.OFFSET: "its offset there",
    dead_letters.ATTEMPTS: "how many times it was tried",
    dead_letters.FIRST_ATTEMPT: "the first attempt (ISO 8601)",
    dead_letters.LAST_ATTEMPT: "the last attempt (ISO 8601)",
}
DEAD_LETTER_SCHEMA_ID = "urn:dialogue-logistics:dead-letter:v1"
SCHEMA_FORMAT = "application/schema+json;version=draft-2020-12"
ENVELOPE_HEADERS = ("event_type", "event_version", "event_id", "correlation_id")


def topic_of(contract: type[Contract]) -> str | None:
    """The topic a contract travels on as a message; None for a part of other messages."""
    if contract.TYPE in PARTS:
        return None
    if issubclass(contract, Command):
        return contract.topic()
    return EVENT_TOPICS.get(contract.TYPE) or PRODUCER_TOPICS[contract.TYPE.split(".", 1)[0]]


def message_name(contract: type[Contract]) -> str:
    return f"{contract.TYPE}.v{contract.VERSION}"


def envelope_schema(contract: type[Contract]) -> dict[str, Any]:
    """The envelope around this contract: its `payload` is the contract's own schema (with its `$id`)."""
    schema: dict[str, Any] = json.loads(json.dumps(Envelope.model_json_schema()))
    schema["$id"] = f"urn:dialogue-logistics:envelope:{contract.TYPE}:v{contract.VERSION}"
    schema["properties"]["payload"] = contract.model_json_schema()
    schema["properties"]["event_type"] = {**schema["properties"]["event_type"], "const": contract.TYPE}
    schema["properties"]["event_version"] = {**schema["properties"]["event_version"], "const": contract.VERSION}
    return schema


def headers_schema(contract: type[Contract]) -> dict[str, Any]:
    return {
        "$id": f"urn:dialogue-logistics:headers:{contract.TYPE}:v{contract.VERSION}",
        "type": "object",
        "properties": {name: {"type": "string"} for name in ENVELOPE_HEADERS}
        | {"event_type": {"type": "string", "const": contract.TYPE}},
        "required": list(ENVELOPE_HEADERS),
    }


def dead_letter_message() -> dict[str, Any]:
    return {
        "name": "dead_letter",
        "title": "A dead letter",
        "summary": "The original record (key, value, headers) a consumer gave up on, with the dlq.* headers.",
        "contentType": "application/json",
        "headers": {
            "$id": "urn:dialogue-logistics:dead-letter-headers:v1",
            "type": "object",
            "properties": {name: {"type": "string", "description": text} for name, text in DEAD_LETTER_HEADERS.items()},
            "required": list(DEAD_LETTER_HEADERS),
        },
        "payload": {
            "$id": DEAD_LETTER_SCHEMA_ID,
            "description": "The original record's value, unchanged: possibly not JSON, possibly not an envelope.",
        },
    }


def document() -> dict[str, Any]:
    messages: dict[str, dict[str, Any]] = {}
    by_topic: dict[str, list[str]] = {topic: [] for topic in TOPICS}
    for contract in sorted(CONTRACTS.values(), key=lambda c: c.TYPE):
        topic = topic_of(contract)
        if topic is None:
            continue
        name = message_name(contract)
        by_topic[topic].append(name)
        messages[name] = {
            "name": contract.TYPE,
            "title": contract.__name__,
            "summary": " ".join((contract.__doc__ or contract.__name__).split()),
            "contentType": "application/json",
            "headers": headers_schema(contract),
            # Pydantic writes JSON Schema 2020-12 ($defs): said so, rather than passed off as AsyncAPI's own format.
            "payload": {"schemaFormat": SCHEMA_FORMAT, "schema": envelope_schema(contract)},
        }
    messages["dead_letter"] = dead_letter_message()
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for topic in TOPICS:
        key = channel_key(topic)
        readers = sorted(service for service, topics in SUBSCRIPTIONS.items() if topic in topics)
        channels[key] = {
            "address": topic,
            "description": f"Read by {', '.join(readers) if readers else 'no service (the API traces it)'}.",
            "messages": {name: {"$ref": f"#/components/messages/{name}"} for name in by_topic[topic]},
        }
        dlq_key = channel_key(dead_letter(topic))
        channels[dlq_key] = {
            "address": dead_letter(topic),
            "description": f"Dead letters of {topic}: what a consumer of it gave up on.",
            "messages": {"dead_letter": {"$ref": "#/components/messages/dead_letter"}},
        }
        operations[f"send-{key}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{key}"},
            "messages": [{"$ref": f"#/channels/{key}/messages/{name}"} for name in by_topic[topic]],
        }
        operations[f"send-{dlq_key}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{dlq_key}"},
            "messages": [{"$ref": f"#/channels/{dlq_key}/messages/dead_letter"}],
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Dialogue Logistics events and commands",
            "version": "1.0.0",
            "description": (
                "Every Kafka topic of the system and what travels on it, generated from shared.contracts by"
                " `python -m shared.contracts.asyncapi`: do not edit. Each message is an envelope whose payload is"
                " one contract, its JSON Schema named by its $id (the snapshots in shared/src/shared/contracts/schemas"
                " are the same schemas). Every topic T has a dead-letter topic T.dlq."
            ),
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": {name: message for name, message in messages.items()}},
    }


def channel_key(topic: str) -> str:
    return topic.replace(".", "-")


def text() -> str:
    return (
        "# Generated by `python -m shared.contracts.asyncapi` from shared/src/shared/contracts: do not edit\n"
        "# (tests/unit/test_asyncapi.py fails when it is out of date).\n"
        + str(yaml.safe_dump(document(), sort_keys=False, width=120, allow_unicode=True))
    )


if __name__ == "__main__":
    DOCUMENT.parent.mkdir(exist_ok=True)
    DOCUMENT.write_text(text(), encoding="utf-8")
    print(DOCUMENT, file=sys.stderr)

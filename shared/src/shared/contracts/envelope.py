"""The envelope every command and event travels in; its event_id is the deduplication key."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, ClassVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, ValidationError

# The roles a token can hold (issue 15): viewer reads without personal data; staff runs workshops, delegates,
# sponsorship and travel; finance makes every decision that moves money; ops reads operations; admin manages tokens
# and replays dead letters. Each command names the one role that may issue it (`Command.ROLE`). `official` is held by
# no token: it is the actor of a delegate answering their own reply link on the API's reply page (issue 18).
OFFICIAL = "official"
ROLES = ("viewer", "staff", "finance", "ops", "admin", OFFICIAL)


class Actor(BaseModel):
    """Who issued a command, as the API authenticated them (never as the caller says): the token's id and name and
    its roles. Events caused by the command carry it on, so every step can be traced to a person."""

    model_config = ConfigDict(frozen=True)

    token_id: str
    name: str
    roles: tuple[str, ...]


class Envelope(BaseModel):
    model_config = ConfigDict(frozen=True, hide_input_in_errors=True)

    event_id: uuid.UUID
    event_type: str  # "<producer>.<snake_name>", e.g. "travel.ticket_issued"
    event_version: int
    occurred_at: AwareDatetime
    producer: str
    aggregate_key: str  # also the Kafka message key
    correlation_id: uuid.UUID
    causation_id: uuid.UUID | None = None
    actor: Actor | None = None  # set by the API on every command; carried on by the events it causes
    payload: dict[str, Any]

    def headers(self) -> list[tuple[str, bytes]]:
        return [
            ("event_type", self.event_type.encode()),
            ("event_version", str(self.event_version).encode()),
            ("event_id", str(self.event_id).encode()),
            ("correlation_id", str(self.correlation_id).encode()),
        ]


def schema_id(wire_type: str, version: int) -> str:
    """The `$id` of a contract's JSON Schema: its wire type and version, as a URN (it names the schema, nothing is
    fetched from it)."""
    return f"urn:dialogue-logistics:contract:{wire_type}:v{version}"


class Contract(BaseModel):
    """Base of every command and event payload: frozen, unknown fields ignored, no input echoed."""

    model_config = ConfigDict(frozen=True, extra="ignore", hide_input_in_errors=True)

    # Set on each subclass: the wire type and its version.
    TYPE: ClassVar[str]
    VERSION: ClassVar[int] = 1

    @classmethod
    def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """The JSON Schema of this type and version, named by its `$id` (`schema_id`). Only the top level has one: a
        contract nested in another stays a plain `$defs` entry, so its references resolve in the enclosing schema."""
        return {"$id": schema_id(cls.TYPE, cls.VERSION), **super().model_json_schema(*args, **kwargs)}


class Command(Contract):
    """A staff command: the role that may issue it, and the payload field whose value is its message key (commands
    about one aggregate stay in order on one partition)."""

    ROLE: ClassVar[str]
    KEY: ClassVar[str] = "workshop_id"

    def message_key(self) -> str:
        return str(getattr(self, self.KEY))

    @classmethod
    def topic(cls) -> str:
        """`<service>.commands.v1`: the topic of the service that owns the command."""
        return f"{cls.TYPE.split('.', 1)[0]}.commands.v1"


def refusal(command: type[Command], actor: Actor | None) -> str | None:
    """Why this actor may not issue this command, if they may not: no actor (published around the API), or no role
    that allows it."""
    if actor is None:
        return f"{command.TYPE} has no actor: commands are accepted only through the API, with a token"
    if command.ROLE not in actor.roles:
        return (
            f"{command.TYPE} needs the role {command.ROLE}; {actor.name} ({actor.token_id}) has"
            f" {', '.join(actor.roles) or 'no role'}"
        )
    return None


def envelope_for(
    contract: Contract,
    *,
    aggregate_key: str,
    occurred_at: datetime,
    correlation_id: uuid.UUID | None = None,
    causation: Envelope | None = None,
    event_id: uuid.UUID | None = None,
    actor: Actor | None = None,
) -> Envelope:
    """Wrap a contract, stamped `occurred_at` (the publishing service's clock, never a default: time is an input);
    the causing envelope, when given, passes its correlation id and its actor on."""
    if causation is not None:
        correlation_id = causation.correlation_id
        actor = actor or causation.actor
    return Envelope(
        event_id=event_id or uuid.uuid4(),
        event_type=contract.TYPE,
        event_version=contract.VERSION,
        occurred_at=occurred_at,
        producer=contract.TYPE.split(".", 1)[0],
        aggregate_key=aggregate_key,
        correlation_id=correlation_id or uuid.uuid4(),
        causation_id=causation.event_id if causation else None,
        actor=actor,
        payload=contract.model_dump(mode="json"),
    )


def describe(error: ValidationError) -> str:
    """A validation error as a sentence, without echoing the input (it may hold personal data)."""
    parts = [
        f"{'.'.join(str(part) for part in item['loc']) or 'body'}: {item['msg']}"
        for item in error.errors(include_input=False, include_url=False)
    ]
    return "; ".join(parts)[:1000]

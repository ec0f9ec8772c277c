"""The envelope every command and event travels in; its event_id is the deduplication key."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, ValidationError


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
    payload: dict[str, Any]

    def headers(self) -> list[tuple[str, bytes]]:
        return [
            ("event_type", self.event_type.encode()),
            ("event_version", str(self.event_version).encode()),
            ("event_id", str(self.event_id).encode()),
            ("correlation_id", str(self.correlation_id).encode()),
        ]


class Contract(BaseModel):
    """Base of every command and event payload: frozen, unknown fields ignored, no input echoed."""

    model_config = ConfigDict(frozen=True, extra="ignore", hide_input_in_errors=True)

    # Set on each subclass: the wire type and its version.
    TYPE: ClassVar[str]
    VERSION: ClassVar[int] = 1


def envelope_for(
    contract: Contract,
    *,
    aggregate_key: str,
    correlation_id: uuid.UUID | None = None,
    causation: Envelope | None = None,
    event_id: uuid.UUID | None = None,
    occurred_at: datetime | None = None,
) -> Envelope:
    """Wrap a contract; the causing envelope, when given, passes its correlation id on."""
    if causation is not None:
        correlation_id = causation.correlation_id
    return Envelope(
        event_id=event_id or uuid.uuid4(),
        event_type=contract.TYPE,
        event_version=contract.VERSION,
        occurred_at=occurred_at or datetime.now(UTC),
        producer=contract.TYPE.split(".", 1)[0],
        aggregate_key=aggregate_key,
        correlation_id=correlation_id or uuid.uuid4(),
        causation_id=causation.event_id if causation else None,
        payload=contract.model_dump(mode="json"),
    )


def describe(error: ValidationError) -> str:
    """A validation error as a sentence, without echoing the input (it may hold personal data)."""
    parts = [
        f"{'.'.join(str(part) for part in item['loc']) or 'body'}: {item['msg']}"
        for item in error.errors(include_input=False, include_url=False)
    ]
    return "; ".join(parts)[:1000]

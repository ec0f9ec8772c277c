"""What the use cases need from the outside world."""

from __future__ import annotations

from typing import Protocol

from shared.contracts.envelope import Envelope

from registration.domain.model import Delegate, Workshop


class Repository(Protocol):
    async def workshop(self, workshop_id: str) -> Workshop | None: ...
    async def save_workshop(self, workshop: Workshop) -> None: ...
    async def delegate(self, ref: str) -> Delegate | None: ...
    async def save_delegate(self, delegate: Delegate) -> None: ...
    async def publish(self, topic: str, envelope: Envelope) -> None: ...


class Airports(Protocol):
    def __contains__(self, code: object) -> bool: ...

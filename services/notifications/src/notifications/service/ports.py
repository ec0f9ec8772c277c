"""What notifications' use cases need from the outside world."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any, Protocol

from shared.contracts.envelope import Envelope

from notifications.domain.mail import Rendered


class Repository(Protocol):
    async def save_workshop(self, facts: dict[str, Any]) -> None: ...
    async def save_contact(self, contact: dict[str, Any]) -> None: ...
    async def queue_email(
        self, delegate_ref: str, workshop_id: str, kind: str, version: int, facts: dict[str, Any]
    ) -> bool: ...


class MailQueue(Protocol):
    async def recover_interrupted(self) -> int: ...
    async def claim(self, limit: int) -> list[dict[str, Any]]: ...
    async def mark_sent(self, email_id: int, envelope: Envelope, topic: str) -> None: ...
    async def retry_later(self, email_id: int, error: str, delay_s: float, give_up: bool) -> None: ...


class Mailer(Protocol):
    async def send(self, message: EmailMessage) -> None: ...


class Renderer(Protocol):
    def render(self, kind: str, language: str, context: dict[str, Any]) -> Rendered: ...

"""Events notifications publishes."""

from __future__ import annotations

from shared.contracts.envelope import Contract


class EmailSent(Contract):
    TYPE = "notifications.email_sent"
    workshop_id: str
    delegate_ref: str
    kind: str
    version: int
    message_id: str

"""Older versions of a contract read as the current one: each upcaster turns version N of a type into N + 1.

A consumer upcasts every envelope before it parses the payload, so the messages already on a topic when a contract's
version was raised are read like new ones. Register one function per (type, version it reads).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from shared.contracts.envelope import Envelope
from shared.contracts.registration import CONTACT_FIELDS, DelegateRegistered

Payload = dict[str, Any]


def delegate_registered_without_contact(payload: Payload) -> Payload:
    """registration.delegate_registered v1 -> v2: the contact details leave it (they travel on ContactRecorded)."""
    return {key: value for key, value in payload.items() if key not in CONTACT_FIELDS}


UPCASTERS: dict[tuple[str, int], Callable[[Payload], Payload]] = {
    (DelegateRegistered.TYPE, 1): delegate_registered_without_contact,
}


def upcast(envelope: Envelope) -> Envelope:
    """The envelope with its payload at the newest version an upcaster chain reaches."""
    while (step := UPCASTERS.get((envelope.event_type, envelope.event_version))) is not None:
        envelope = envelope.model_copy(
            update={"payload": step(envelope.payload), "event_version": envelope.event_version + 1}
        )
    return envelope

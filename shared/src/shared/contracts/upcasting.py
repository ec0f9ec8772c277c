"""Older versions of a contract read as the current one: each upcaster turns version N of a type into the next
version of that type, or into the type that replaced it.

A consumer upcasts every envelope before it parses the payload, so the messages already on a topic when a contract's
version was raised are read like new ones (a replay included). Register one function per (type, version it reads); a
message no upcaster can read raises `CannotUpcast`, and the consumer dead-letters it with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from shared.contracts.envelope import Envelope
from shared.contracts.registration import CONTACT_FIELDS, EVENT_OF_CHANGE, DelegateRegistered, WorkshopScheduled

Payload = dict[str, Any]


class CannotUpcast(ValueError):
    """An old message that no newer contract can carry: the sentence says why (no personal data)."""


def delegate_registered_without_contact(envelope: Envelope) -> Envelope:
    """registration.delegate_registered v1 -> v2: the contact details leave it (they travel on ContactRecorded)."""
    payload = {key: value for key, value in envelope.payload.items() if key not in CONTACT_FIELDS}
    return envelope.model_copy(update={"payload": payload, "event_version": 2})


def workshop_event_of_change(envelope: Envelope) -> Envelope:
    """registration.workshop_scheduled v1 -> the event its `change` names (docs/adr/0014): "moved" is
    registration.workshop_moved v1, "scheduled" and "updated" are registration.workshop_scheduled v2, and so on. The
    key, ids and the rest of the facts stay as they were, so the workshop's order on its partition is unchanged."""
    change = envelope.payload.get("change", "scheduled")
    event = EVENT_OF_CHANGE.get(change) if isinstance(change, str) else None
    if event is None:
        raise CannotUpcast(f"{envelope.event_type} v1 has a change no workshop event tells: {str(change)[:40]!r}")
    payload = {key: value for key, value in envelope.payload.items() if key != "change"}
    return envelope.model_copy(update={"event_type": event.TYPE, "event_version": event.VERSION, "payload": payload})


UPCASTERS: dict[tuple[str, int], Callable[[Envelope], Envelope]] = {
    (DelegateRegistered.TYPE, 1): delegate_registered_without_contact,
    (WorkshopScheduled.TYPE, 1): workshop_event_of_change,
}
# Types whose old versions become another type: a consumer reads them even when it does not handle the type itself.
RETYPED = frozenset({WorkshopScheduled.TYPE})


def upcast(envelope: Envelope) -> Envelope:
    """The envelope at the newest version (and type) an upcaster chain reaches; CannotUpcast when none can read it."""
    while (step := UPCASTERS.get((envelope.event_type, envelope.event_version))) is not None:
        envelope = step(envelope)
    return envelope

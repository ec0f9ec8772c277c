"""Whether a delegate may ask for sponsorship: the second application, gated on an approved registration.

A request from a registration still pending approval is taken and waits: it counts once registration approves
it (and never if registration rejects it).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Registration:
    """What sponsorship knows of a delegate's registration, and whether sponsorship was already requested."""

    delegate_ref: str
    workshop_id: str
    approval: str  # approved | pending | rejected
    requested: bool


def refusal(registration: Registration | None, delegate_ref: str, workshop_id: str) -> str | None:
    """Why the request is refused, as a sentence for staff, or None when it is taken."""
    if registration is None:
        return f"delegate {delegate_ref} is not registered (not known to sponsorship yet)"
    if registration.workshop_id != workshop_id:
        return f"delegate {delegate_ref} is registered for workshop {registration.workshop_id}, not {workshop_id}"
    if registration.approval == "rejected":
        return f"delegate {delegate_ref}: the registration was rejected; no sponsorship request is taken"
    if registration.requested:
        return f"delegate {delegate_ref} has already requested sponsorship for {workshop_id}"
    return None

"""Who may ask for sponsorship (sponsorship.domain.requests): a registered delegate, once, not rejected."""

from __future__ import annotations

import pytest
from sponsorship.domain.requests import Registration, refusal

WORKSHOP = "idm-2006-geneva"


def registered(approval: str = "approved", requested: bool = False) -> Registration:
    return Registration("GVA-040", WORKSHOP, approval, requested)


@pytest.mark.parametrize("approval", ["approved", "pending"])
def test_a_registered_delegate_who_has_not_asked_yet_may_ask(approval: str) -> None:
    # From a registration pending approval the request is taken too: it waits for the approval.
    assert refusal(registered(approval), "GVA-040", WORKSHOP) is None


@pytest.mark.parametrize(
    ("registration", "workshop", "reason"),
    [
        (None, WORKSHOP, "delegate GVA-040 is not registered"),
        (registered(), "idm-2006-bangkok", "registered for workshop idm-2006-geneva, not idm-2006-bangkok"),
        (registered("rejected"), WORKSHOP, "the registration was rejected"),
        (registered(requested=True), WORKSHOP, "already requested sponsorship"),
        (registered("pending", requested=True), WORKSHOP, "already requested sponsorship"),
    ],
    ids=["unknown", "other-workshop", "rejected", "second-request", "second-request-pending"],
)
def test_a_request_is_refused_with_a_reason(registration: Registration | None, workshop: str, reason: str) -> None:
    found = refusal(registration, "GVA-040", workshop)

    assert found is not None and reason in found

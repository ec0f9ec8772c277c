"""The CLI's unit tests: the API is faked where commands leave the CLI (`common.submit`)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from logistics_cli import common, delegate_cmds, funding_cmds, main


@pytest.fixture
def published(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, Any]]:
    """What the CLI handed to the API, as (topic, message key, command): the API publishes each on its service's
    command topic with the command's own key."""
    sent: list[tuple[str, str, Any]] = []

    def fake_submit(commands: list[Any]) -> list[common.Sent]:
        sent.extend((command.topic(), command.message_key(), command) for command in commands)
        return [common.Sent(str(uuid.UUID(int=1)), command.TYPE) for command in commands]

    for module in (common, delegate_cmds, funding_cmds, main):
        monkeypatch.setattr(module, "submit", fake_submit)
    monkeypatch.setenv("COMMAND_WAIT_S", "0")  # no service answers here
    return sent

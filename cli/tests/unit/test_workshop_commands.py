"""`logistics workshop ...` builds the right command, and refuses bad options before anything reaches Kafka."""

from __future__ import annotations

from datetime import date

import pytest
from logistics_cli import common, main
from shared.contracts import registration
from typer.testing import CliRunner


@pytest.fixture
def published(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, object]]:
    sent: list[tuple[str, str, object]] = []

    class Published:
        event_id = "a-command-id"

    async def fake_publish(settings: object, commands: list[tuple[str, str, object]]) -> list[object]:
        sent.extend(commands)
        return [Published() for _ in commands]

    monkeypatch.setattr(common, "publish", fake_publish)
    return sent


def test_defer_sends_one_defer_command_keyed_by_the_workshop(published: list[tuple[str, str, object]]) -> None:
    result = CliRunner().invoke(
        main.app, ["workshop", "defer", "idm-2006-bangkok", "--to-year", "2007", "--venue-tbd", "--today", "2006-08-20"]
    )

    assert result.exit_code == 0, result.output
    [(topic, key, command)] = published
    assert (topic, key) == ("registration.commands.v1", "idm-2006-bangkok")
    assert command == registration.DeferWorkshop(
        workshop_id="idm-2006-bangkok", to_year=2007, venue_tbd=True, today=date(2006, 8, 20)
    )


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["move", "w", "--city", "Manila", "--country", "Philippines", "--airport", "MNL"], "country"),
        (["move", "w", "--city", "Manila", "--country", "PH", "--airport", "mnl1"], "airport"),
        (["postpone", "w", "--starts", "2006-11-31", "--ends", "2006-12-01"], "--starts"),
        (["defer", "w", "--to-year", "1999"], "to_year"),
        (["cancel", "w", "--reason", ""], "reason"),
    ],
)
def test_bad_options_are_refused_with_a_reason_and_nothing_is_published(
    args: list[str], reason: str, published: list[tuple[str, str, object]]
) -> None:
    result = CliRunner().invoke(main.app, ["workshop", *args])

    assert result.exit_code == 2
    assert reason in result.output
    assert published == []

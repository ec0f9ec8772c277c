"""`logistics workshop ...` builds the right command, and refuses bad options before anything reaches Kafka."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest
from logistics_cli import api_client, main
from logistics_cli.config import CliSettings
from shared.contracts import registration
from typer.testing import CliRunner


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


class Answer:
    status_code = 200

    def __init__(self, body: dict[str, object]) -> None:
        self.body = body

    def json(self) -> dict[str, object]:
        return self.body


@pytest.mark.parametrize(
    ("answers", "code", "said"),
    [
        ([{"outcome": "pending"}, {"outcome": "applied"}], 0, "registration applied it"),
        (
            [{"outcome": "refused", "reason": "workshop idm-2006-bangkok is already cancelled (no money)"}],
            2,
            "refused by registration: workshop idm-2006-bangkok is already cancelled",
        ),
        ([{"outcome": "pending"}] * 100, 0, "has not answered within 0.5 s"),
    ],
)
def test_a_decision_waits_for_registrations_answer_and_shows_a_refusal_with_its_reason(
    published: list[tuple[str, str, object]],
    monkeypatch: pytest.MonkeyPatch,
    answers: list[dict[str, object]],
    code: int,
    said: str,
) -> None:
    asked: list[str] = []

    def get(url: str, timeout: float, **_: Any) -> Answer:
        asked.append(url)
        return Answer(answers[min(len(asked), len(answers)) - 1])

    monkeypatch.setenv("COMMAND_WAIT_S", "0.5")
    monkeypatch.setattr(api_client.httpx, "get", get)
    result = CliRunner().invoke(main.app, ["workshop", "cancel", "idm-2006-bangkok", "--reason", "no money"])

    assert result.exit_code == code, result.output
    assert said in " ".join(result.output.split())
    assert asked[0] == f"{CliSettings().api}/commands/{uuid.UUID(int=1)}"  # the API, never the service


def test_codes_typed_in_lower_case_are_sent_upper_case(published: list[tuple[str, str, object]]) -> None:
    result = CliRunner().invoke(
        main.app, ["workshop", "move", "w", "--city", "Vienna", "--country", " at", "--airport", "vie "]
    )

    assert result.exit_code == 0, result.output
    [(_, _, command)] = published
    assert (command.country, command.airport) == ("AT", "VIE")  # type: ignore[attr-defined]

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


WHAT_IF = {
    "decision": {"type": "registration.move_workshop", "payload": {"workshop_id": "w"}},
    "changes": True,
    "workshop": {"status": "scheduled", "change": "moved", "city": "Nairobi", "airport": "NBO",
                 "starts": "2006-10-24", "ends": "2006-10-25", "venue_version": 2},
    "travel_today": "2006-08-01",
    "currency": "USD",
    "places": [
        {"delegate_ref": "W-01", "priority": 1, "before": "granted", "after": "granted", "ticket": "changed",
         "cost_before": "3652", "cost_after": "3277"},
        {"delegate_ref": "W-02", "priority": 2, "before": "granted", "after": "waitlisted", "ticket": "cancelled",
         "cost_before": "3652", "cost_after": "0"},
    ],
    "tickets": [
        {"delegate_ref": "W-01", "booking_ref": "ABC123", "outcome": "changed", "fare": "2450", "new_fare": "2300",
         "change_fee": "75", "cancellation_fee": "100", "refund": "0", "credit": "2350"},
        {"delegate_ref": "W-02", "booking_ref": "DEF456", "outcome": "cancelled", "fare": "2450", "new_fare": None,
         "change_fee": None, "cancellation_fee": "100", "refund": "0", "credit": "2350"},
    ],
    "donors": [{"donor_id": "unfpa", "name": "UNFPA", "committed_before": "7304", "committed_after": "5727",
                "change_fees": "75", "cancellation_fees": "100", "airline_credits": "2350", "released": "-873"}],
    "pledges_released": [],
    "notes": ["places wait for a subsistence rate for Nairobi"],
}  # fmt: skip


class Posted(Answer):
    def __init__(self, status_code: int, body: dict[str, object]) -> None:
        super().__init__(body)
        self.status_code = status_code


def test_a_what_if_publishes_nothing_and_prints_places_tickets_and_money_per_donor(
    published: list[tuple[str, str, object]], monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[tuple[str, Any]] = []

    def post(url: str, json: Any, **_: Any) -> Posted:
        asked.append((url, json))
        return Posted(200, WHAT_IF)

    monkeypatch.setattr(api_client.httpx, "post", post)
    result = CliRunner().invoke(
        main.app,
        ["workshop", "move", "w", "--city", "Nairobi", "--country", "KE", "--airport", "NBO", "--what-if",
         "--today", "2006-08-01"],
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert published == []
    [(url, body)] = asked
    assert url.endswith("/what-if") and body["type"] == "registration.move_workshop"
    assert body["payload"]["airport"] == "NBO" and body["payload"]["today"] == "2006-08-01"
    text = " ".join(result.output.split())
    assert "nothing was published" in text and "granted -> waitlisted: 1" in text
    for shown in ("W-02", "DEF456", "2,350.00", "UNFPA", "-873.00", "subsistence rate for Nairobi"):
        assert shown in text


def test_a_what_if_of_a_decision_that_would_be_refused_says_why_with_exit_code_2(
    published: list[tuple[str, str, object]], monkeypatch: pytest.MonkeyPatch
) -> None:
    refusal = {"detail": "cannot defer workshop w: it started on 2006-10-24 (today is 2006-10-25)"}
    monkeypatch.setattr(api_client.httpx, "post", lambda url, **_: Posted(409, refusal))
    result = CliRunner().invoke(main.app, ["workshop", "defer", "w", "--to-year", "2007", "--what-if"])

    assert result.exit_code == 2 and "it started on 2006-10-24" in " ".join(result.output.split())
    assert published == []


def test_a_tick_sends_one_deadline_check_for_the_day_given(published: list[tuple[str, str, object]]) -> None:
    from shared.contracts import sponsorship

    result = CliRunner().invoke(main.app, ["tick", "--today", "2006-08-01"])

    assert result.exit_code == 0, result.output
    assert published == [("sponsorship.commands.v1", "deadlines", sponsorship.CheckDeadlines(today=date(2006, 8, 1)))]

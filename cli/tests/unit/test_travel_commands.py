"""`logistics travel ...`: commands refused before Kafka when wrong; show and quote read travel's JSON API."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from logistics_cli import api_client, main, travel_cmds
from shared.contracts import travel
from typer.testing import CliRunner


def test_book_one_delegate_publishes_the_command_without_following_off_a_terminal(published: list[Any]) -> None:
    result = CliRunner().invoke(main.app, ["travel", "book", "--workshop", "w", "--delegate", "GVA-001"])
    assert result.exit_code == 0, result.output
    [(_topic, key, command)] = published
    assert isinstance(command, travel.BookWorkshopTravel)
    assert (command.workshop_id, command.delegate_ref, key) == ("w", "GVA-001", "w")


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["cancel", "--workshop", "w", "--reason", ""], "reason"),
        (["book", "--workshop", "", "--no-progress"], "workshop_id"),
        (["book", "--workshop", "w", "--today", "July"], "YYYY-MM-DD"),
    ],
)
def test_bad_options_are_refused_and_nothing_is_published(args: list[str], reason: str, published: list[Any]) -> None:
    result = CliRunner().invoke(main.app, ["travel", *args])
    assert result.exit_code == 2
    assert reason in result.output
    assert published == []


def test_cancel_carries_its_reason(published: list[Any]) -> None:
    result = CliRunner().invoke(main.app, ["travel", "cancel", "--workshop", "w", "--reason", "moved online"])
    assert result.exit_code == 0, result.output
    [(_, _, command)] = published
    assert isinstance(command, travel.CancelTravel) and command.reason == "moved online"


def test_quote_publish_asks_travel_for_quotes_on_the_date_and_waits_for_its_answer(
    published: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    settled: list[str] = []
    monkeypatch.setattr(travel_cmds, "settle", lambda service, envelope: settled.append(service))
    args = ["travel", "quote", "--workshop", "w", "--publish", "--today", "2006-05-20"]
    result = CliRunner().invoke(main.app, args)
    assert result.exit_code == 0, result.output
    [(_, key, command)] = published
    assert isinstance(command, travel.QuoteWorkshop) and key == "w"
    assert (command.workshop_id, str(command.today)) == ("w", "2006-05-20")
    assert settled == ["travel"]


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["--publish", "--delegate", "GVA-001"], "leave out --delegate"),
        (["--today", "2006-05-20"], "--today goes with --publish"),
    ],
)
def test_quote_options_that_do_not_go_together_are_refused(args: list[str], reason: str, published: list[Any]) -> None:
    result = CliRunner().invoke(main.app, ["travel", "quote", "--workshop", "w", *args])
    assert result.exit_code == 2 and reason in result.output
    assert published == []


def serve(monkeypatch: pytest.MonkeyPatch, answers: dict[str, Any]) -> None:
    def fake_get(url: str, params: Any = None, timeout: float = 0, **_: Any) -> httpx.Response:
        path = url.split("://", 1)[1].split("/", 2)[2]  # the API's /travel/... read
        for prefix, body in answers.items():
            if path.startswith(prefix):
                return httpx.Response(200, json=body, request=httpx.Request("GET", url))
        return httpx.Response(
            404, json={"detail": "delegate X is not known to travel"}, request=httpx.Request("GET", url)
        )

    monkeypatch.setattr(api_client.httpx, "get", fake_get)


SEGMENT = {"flight": "SG100", "origin": "DKR", "destination": "GVA", "departs": "2006-07-11T07:00:00+00:00",
           "arrives": "2006-07-11T15:00:00+02:00"}  # fmt: skip


def test_show_prints_trips_and_tickets(monkeypatch: pytest.MonkeyPatch) -> None:
    trip = {"venue_version": 1, "state": "ticketed", "attempt": 2, "fare": "780.00", "currency": "USD",
            "booking_ref": "ABC234", "ticket_number": "999-1", "warning": None, "reason": "hold_expired"}  # fmt: skip
    ticket = {"booking_ref": "ABC234", "venue_version": 1, "status": "ticketed", "fare": "780.00", "currency": "USD",
              "fare_class": "V", "segments": [SEGMENT]}  # fmt: skip
    traveller = {"workshop_id": "w", "home_airport": "DKR", "sponsorship": "granted"}
    serve(monkeypatch, {"delegates/GVA-001/travel": {"traveller": traveller, "trips": [trip], "bookings": [ticket]}})
    result = CliRunner().invoke(main.app, ["travel", "show", "--delegate", "GVA-001"])
    assert result.exit_code == 0, result.output
    assert "ticketed" in result.output and "ABC234" in result.output and "SG100" in result.output
    json_result = CliRunner().invoke(main.app, ["travel", "show", "--delegate", "GVA-001", "--json"])
    assert '"booking_ref": "ABC234"' in json_result.output


def test_show_names_the_delegates_own_travel_dates(monkeypatch: pytest.MonkeyPatch) -> None:
    traveller = {"workshop_id": "w", "home_airport": "DKR", "sponsorship": "granted", "leave_on": "2006-07-16"}
    serve(monkeypatch, {"delegates/GVA-001/travel": {"traveller": traveller, "trips": [], "bookings": []}})
    result = CliRunner().invoke(main.app, ["travel", "show", "--delegate", "GVA-001"])
    assert result.exit_code == 0 and "leaves on 2006-07-16" in result.output and "arrives by" not in result.output


def test_show_an_unknown_delegate_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    serve(monkeypatch, {})
    result = CliRunner().invoke(main.app, ["travel", "show", "--delegate", "X"])
    assert result.exit_code == 1 and "not known to travel" in result.output


def test_quote_lists_fares_and_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    quotes = [
        {"delegate_ref": "GVA-001", "home_airport": "DKR", "fare_class": "V", "price": "780", "currency": "USD",
         "days_ahead": 14, "segments": [SEGMENT], "warning": "booked 14 days ahead"},
        {"delegate_ref": "GVA-002", "home_airport": "XXX", "error": "no itinerary within policy"},
    ]  # fmt: skip
    serve(monkeypatch, {"workshops/w/quotes": {"today": "2006-06-27", "quotes": quotes}})
    result = CliRunner().invoke(main.app, ["travel", "quote", "--workshop", "w"])
    assert result.exit_code == 0, result.output
    assert "GVA-001" in result.output and "GVA-002" in result.output
    as_json = CliRunner().invoke(main.app, ["travel", "quote", "--workshop", "w", "--json"])
    assert '"warning": "booked 14 days ahead"' in as_json.output and "no itinerary within policy" in as_json.output


QUOTE = {"quote_id": "CQ-1", "reason": "home airport ACC -> LOS", "status": "pending", "chosen": "change",
         "extra": "175.00", "currency": "USD", "expires_at": "2026-01-01T12:30:00+00:00", "decided_reason": None,
         "options": [{"kind": "change", "extra": "175.00", "currency": "USD", "new_fare": "1000.00", "fee": "75.00",
                      "fare_difference": "100.00", "lost": "0"}]}  # fmt: skip


def test_change_approve_publishes_the_command_for_a_pending_quote(
    monkeypatch: pytest.MonkeyPatch, published: list[Any]
) -> None:
    serve(monkeypatch, {"delegates/GVA-001/change-quotes": {"pending": QUOTE, "quotes": [QUOTE]}})
    result = CliRunner().invoke(main.app, ["travel", "change", "approve", "--delegate", "GVA-001", "--json"])
    assert result.exit_code == 0, result.output
    [(_topic, key, command)] = published
    assert isinstance(command, travel.ApproveChange) and command.delegate_ref == key == "GVA-001"
    assert '"quote_id": "CQ-1"' in result.output


def test_change_approve_of_an_expired_quote_is_refused_naming_the_expiry(
    monkeypatch: pytest.MonkeyPatch, published: list[Any]
) -> None:
    expired = {**QUOTE, "status": "expired"}
    serve(monkeypatch, {"delegates/GVA-001/change-quotes": {"pending": None, "quotes": [expired]}})
    result = CliRunner().invoke(main.app, ["travel", "change", "approve", "--delegate", "GVA-001"])
    assert result.exit_code == 1
    assert "expired on 2026-01-01 12:30:00 UTC" in result.output
    assert "logistics travel change quote --delegate GVA-001" in result.output
    assert published == []


def test_change_reject_without_a_quote_or_a_reason_is_refused(
    monkeypatch: pytest.MonkeyPatch, published: list[Any]
) -> None:
    serve(monkeypatch, {"delegates/GVA-001/change-quotes": {"pending": None, "quotes": []}})
    nothing = CliRunner().invoke(main.app, ["travel", "change", "reject", "--delegate", "GVA-001", "--reason", "x"])
    no_reason = CliRunner().invoke(main.app, ["travel", "change", "reject", "--delegate", "GVA-001", "--reason", ""])
    assert nothing.exit_code == 1 and "has no change quote" in nothing.output
    assert no_reason.exit_code == 2 and published == []


def test_show_prints_a_pending_change_quote(monkeypatch: pytest.MonkeyPatch) -> None:
    traveller = {"workshop_id": "w", "home_airport": "LOS", "sponsorship": "granted"}
    body = {"traveller": traveller, "trips": [], "bookings": [], "change_quote": QUOTE}
    serve(monkeypatch, {"delegates/GVA-001/travel": body})
    result = CliRunner().invoke(main.app, ["travel", "show", "--delegate", "GVA-001"])
    assert result.exit_code == 0, result.output
    assert "CQ-1" in result.output and "175.00 USD extra" in result.output and "pending" in result.output

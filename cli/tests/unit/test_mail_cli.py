"""`logistics mail preview|list` (logistics_cli.mail) against a fake notifications API (httpx.MockTransport)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from logistics_cli import mail
from logistics_cli.main import app
from rich.console import Console
from typer.testing import CliRunner

PREVIEW = {
    "delegate_ref": "GVA-002",
    "kind": "itinerary",
    "version": 2,
    "language": "fr",
    "subject": "Votre itinéraire : Migrants and the Host Society, Geneva",
    "text": "Destinataire : Aminata Sarr\n\nMadame, Monsieur,\n  [DL4711]  DKR mardi 11 juillet 2006 à 07:00\n",
    "html": '<!DOCTYPE html>\n<html lang="fr"><body><pre>Madame, Monsieur,</pre></body></html>\n',
    "calendar": "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nEND:VEVENT\r\n",
    "calendar_method": "REQUEST",
}
EMAILS = [
    {
        "delegate_ref": "GVA-002",
        "workshop_id": "idm-2006-geneva",
        "kind": "granted",
        "version": 1,
        "status": "sent",
        "message_id": "<granted.GVA-002.v1.0123456789abcdef@idm.invalid>",
        "attempts": 1,
        "resent_after_crash": 0,
        "last_error": None,
        "created_at": "2006-04-20T09:30:00+00:00",
        "sent_at": "2006-04-20T11:30:01+02:00",
    },
    {
        "delegate_ref": "GVA-002",
        "workshop_id": "idm-2006-geneva",
        "kind": "itinerary",
        "version": 1,
        "status": "pending",
        "message_id": "<itinerary.GVA-002.v1.fedcba9876543210@idm.invalid>",
        "attempts": 3,
        "resent_after_crash": 2,
        "last_error": None,
        "created_at": "2006-04-20T09:31:00+00:00",
        "sent_at": None,
    },
]

Handler = Callable[[httpx.Request], httpx.Response]


@pytest.fixture
def requests(monkeypatch: pytest.MonkeyPatch) -> Callable[[Handler], list[httpx.Request]]:
    """Route the CLI's calls to `handler`; returns the list the requests it makes are appended to."""

    def install(handler: Handler) -> list[httpx.Request]:
        seen: list[httpx.Request] = []

        def record(request: httpx.Request) -> httpx.Response:
            seen.append(request)
            return handler(request)

        real = mail.client

        def fake() -> httpx.Client:
            base = real().base_url  # the URL the CLI would really use (CliSettings)
            return httpx.Client(base_url=base, transport=httpx.MockTransport(record))

        monkeypatch.setattr(mail, "client", fake)
        return seen

    return install


def run(*args: str) -> Any:
    return CliRunner().invoke(app, ["mail", *args])


def test_preview_prints_the_subject_and_text_of_the_email(requests: Any) -> None:
    seen = requests(lambda request: httpx.Response(200, json=PREVIEW))

    result = run("preview", "--delegate", "GVA-002", "--kind", "itinerary", "--lang", "fr")

    assert result.exit_code == 0, result.output
    assert "Subject: Votre itinéraire : Migrants and the Host Society, Geneva" in result.output
    assert "itinerary v2, in fr" in result.output
    assert "Madame, Monsieur," in result.output
    assert "[DL4711]  DKR mardi 11 juillet 2006 à 07:00" in result.output  # brackets are text, not markup
    assert "calendar invitation (.ics, METHOD REQUEST, 2 events)" in result.output
    [request] = seen
    assert request.method == "GET"
    assert request.url.path == "/notifications/delegates/GVA-002/preview"
    assert dict(request.url.params) == {"kind": "itinerary", "lang": "fr"}


def test_preview_names_the_calendar_method_the_service_rendered(requests: Any) -> None:
    cancel = "BEGIN:VCALENDAR\r\nMETHOD:CANCEL\r\nBEGIN:VEVENT\r\nEND:VEVENT\r\n"
    requests(lambda request: httpx.Response(200, json={**PREVIEW, "kind": "deferred", "calendar": cancel,
                                                       "calendar_method": "CANCEL"}))  # fmt: skip

    result = run("preview", "--delegate", "GVA-002", "--kind", "deferred")

    assert result.exit_code == 0, result.output
    assert "calendar cancellation (.ics, METHOD CANCEL, 1 events)" in result.output
    assert "REQUEST" not in result.output


def test_preview_without_lang_lets_the_service_choose_the_delegates_language(requests: Any) -> None:
    seen = requests(lambda request: httpx.Response(200, json={**PREVIEW, "calendar": None}))

    result = run("preview", "--delegate", "GVA-002", "--kind", "granted")

    assert result.exit_code == 0, result.output
    assert dict(seen[0].url.params) == {"kind": "granted"}
    assert "calendar" not in result.output


def test_preview_with_html_writes_the_html_part_to_the_file(requests: Any, tmp_path: Path) -> None:
    requests(lambda request: httpx.Response(200, json=PREVIEW))
    target = tmp_path / "itinerary.html"

    result = run("preview", "--delegate", "GVA-002", "--kind", "itinerary", "--html", str(target))

    assert result.exit_code == 0, result.output
    assert target.read_text(encoding="utf-8") == PREVIEW["html"]
    assert str(target) in result.output.replace("\n", "")
    assert "Madame, Monsieur," not in result.output


def test_preview_asks_the_api_url_from_the_settings(requests: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOGISTICS_API_URL", "http://api.example:9000")
    seen = requests(lambda request: httpx.Response(200, json=PREVIEW))

    run("preview", "--delegate", "GVA-002", "--kind", "itinerary")

    assert str(seen[0].url).startswith("http://api.example:9000/notifications/delegates/GVA-002/preview")


@pytest.mark.parametrize("status", [404, 422])
def test_a_refusal_from_the_service_is_shown_as_its_reason(requests: Any, status: int) -> None:
    reason = 'Notifications holds no facts for a "itinerary" e-mail to delegate GVA-002.'
    requests(lambda request: httpx.Response(status, json={"detail": reason}))

    result = run("preview", "--delegate", "GVA-002", "--kind", "itinerary")

    assert result.exit_code == 1
    assert reason in result.output.replace("\n", "")
    assert "Traceback" not in result.output


def test_a_service_that_does_not_answer_is_a_sentence_not_a_traceback(requests: Any) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    requests(refuse)

    result = run("list", "--delegate", "GVA-002")

    assert result.exit_code == 1
    assert "The notifications service did not answer" in result.output
    assert "Traceback" not in result.output


def test_list_shows_each_email_with_its_status(requests: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mail, "console", Console(soft_wrap=True, width=200))  # one table row per line
    seen = requests(lambda request: httpx.Response(200, json=EMAILS))

    result = run("list", "--delegate", "GVA-002")

    assert result.exit_code == 0, result.output
    assert seen[0].url.path == "/notifications/delegates/GVA-002/emails"
    lines = result.output.splitlines()
    [granted] = [line for line in lines if "granted" in line]
    [itinerary] = [line for line in lines if "itinerary" in line]
    assert "sent" in granted and "2006-04-20 09:30:01" in granted
    assert "pending" in itinerary and "<itinerary.GVA-002.v1.fedcba9876543210@idm.invalid>" in itinerary
    [header] = [line for line in lines if "attempts" in line]
    assert "resent after crash" in header
    cells = [cell.strip() for cell in itinerary.split("│")]
    assert cells[cells.index("3") + 1] == "2", "attempts, then resends after a crash"


def test_list_json_prints_what_the_service_returned(requests: Any) -> None:
    requests(lambda request: httpx.Response(200, json=EMAILS))

    result = run("list", "--delegate", "GVA-002", "--json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == EMAILS


def test_list_of_a_delegate_without_emails_says_so(requests: Any) -> None:
    requests(lambda request: httpx.Response(200, json=[]))

    result = run("list", "--delegate", "GVA-404")

    assert result.exit_code == 0
    assert "No e-mails for GVA-404." in result.output

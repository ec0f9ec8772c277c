"""The reply page (api.entrypoints.reply_page, api.domain.replies, issue 18) without a database: an expired or
altered link gets a plain page, the form is checked with sentences, the same answer twice is one answer, another
answer is refused unless the request before it was refused, a request goes out with the official as actor, and the
page speaks the e-mail's language (en, fr, es; English for any other)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar

import pytest
from api.config import Settings
from api.domain import replies
from api.domain.replies import Answer, NotAnAnswer
from api.entrypoints import reply_page, reply_texts
from api.entrypoints.http import build_app
from fastapi.testclient import TestClient

from shared import reply_links

SECRET = "unit-test reply secret"


class FakeStore:
    answers: ClassVar[dict[str, dict[str, Any]]] = {}
    published: ClassVar[list[Any]] = []

    def __init__(self, _pool: Any, _namespace: str) -> None:
        pass

    async def find(self, link_id: str) -> dict[str, Any] | None:
        return self.answers.get(link_id)

    async def record(self, link: Any, answer: Answer, actor: Any, command: Any, replacing: Any = None) -> bool:
        kept = self.answers.get(link.link_id)
        if kept is not None and kept["command_id"] != replacing:
            return False
        command_id = command[1].event_id if command else uuid.uuid4()
        self.answers[link.link_id] = {"answer": answer.answer, "request": answer.request(), "command_id": command_id,
                                      "at": datetime.now(UTC), "outcome": "pending", "reason": None}  # fmt: skip
        self.published.append((actor, command))
        return True


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> TestClient:
    FakeStore.answers, FakeStore.published = {}, []
    monkeypatch.setattr(reply_page, "ReplyStore", FakeStore)
    monkeypatch.setattr(reply_page, "pool", lambda _request: None)

    async def no_ticket(_request: Any, _link: Any) -> str:
        return ""

    monkeypatch.setattr(reply_page, "ticket_of", no_ticket)
    return TestClient(build_app(Settings(reply_link_secret=SECRET)), base_url="http://127.0.0.1:8000")


def token(now: datetime | None = None, days: float = 30, language: str = "en") -> str:
    return reply_links.mint(SECRET, "GVA-014", "idm-2006-geneva", "itinerary", 1, now or datetime.now(UTC), days,
                            language)  # fmt: skip


def test_an_expired_link_gets_a_page_saying_so(client: TestClient) -> None:
    answer = client.get(f"/reply/{token(datetime.now(UTC) - timedelta(days=31))}")
    assert answer.status_code == 410 and 'data-why="expired"' in answer.text and "<form" not in answer.text
    posted = client.post(f"/reply/{token(datetime.now(UTC) - timedelta(days=31))}", data={"answer": "confirm"})
    assert posted.status_code == 410 and FakeStore.published == []


@pytest.mark.parametrize("link", ["garbage", reply_links.mint("another secret", "r", "w", "itinerary", 1,
                                                                 datetime.now(UTC), 30)])  # fmt: skip
def test_an_altered_or_foreign_link_gets_a_page_saying_so(client: TestClient, link: str) -> None:
    answer = client.post(f"/reply/{link}", data={"answer": "confirm"})
    assert answer.status_code == 400 and 'data-why="tampered"' in answer.text
    assert "Traceback" not in answer.text and FakeStore.published == []


def test_the_same_request_twice_is_one_request_with_the_official_as_actor(client: TestClient) -> None:
    link = f"/reply/{token()}"
    assert 'id="send"' in client.get(link).text
    first = client.post(link, data={"answer": "change", "home_airport": "los", "arrive_on": "", "leave_on": ""})
    again = client.post(link, data={"answer": "change", "home_airport": "LOS"})
    assert first.status_code == again.status_code == 200
    assert "Thank you" in first.text and "We have your answer already" in again.text
    [(actor, (command, envelope))] = FakeStore.published
    assert (command.ref, command.workshop_id, command.home_airport) == ("GVA-014", "idm-2006-geneva", "LOS")
    assert actor.roles == ("official",) and envelope.actor == actor and "GVA-014" in actor.name
    assert "<form" not in client.get(link).text, "an answered link shows the answer, not the form again"


def test_another_answer_is_refused_unless_the_request_was_refused(client: TestClient) -> None:
    link = f"/reply/{token()}"
    client.post(link, data={"answer": "change", "home_airport": "XXX"})
    assert client.post(link, data={"answer": "confirm"}).status_code == 409
    [kept] = FakeStore.answers.values()
    kept.update(outcome="refused", reason='home airport "XXX" is not a known IATA code')
    page = client.get(link).text
    assert "is not a known IATA code" in page and 'id="send"' in page, "the official may correct it"
    corrected = client.post(link, data={"answer": "change", "home_airport": "LOS"})
    assert corrected.status_code == 200 and len(FakeStore.published) == 2


def test_a_confirmation_publishes_nothing_and_is_recorded(client: TestClient) -> None:
    page = client.post(f"/reply/{token()}", data={"answer": "confirm"})
    assert page.status_code == 200 and 'data-answer="confirmed"' in page.text
    [(_actor, command)] = FakeStore.published
    assert command is None


@pytest.mark.parametrize(
    ("form", "problem"),
    [  # as the English page says it
        ({}, "Choose whether you confirm"),
        ({"answer": "change"}, "give another airport, other dates, or both"),
        ({"answer": "change", "home_airport": "Lagos"}, '"Lagos" is not an airport code'),
        ({"answer": "change", "arrive_on": "10/07/2006"}, 'The arrival day "10/07/2006" is not a date'),
        ({"answer": "change", "arrive_on": "2006-07-11", "leave_on": "2006-07-10"}, "before the day you arrive"),
    ],
)
def test_a_form_that_is_no_answer_says_what_to_correct(form: dict[str, str], problem: str) -> None:
    with pytest.raises(NotAnAnswer) as refused:
        replies.read_form(form)
    assert problem in reply_texts.problem("en", refused.value)


def test_dates_alone_are_a_request() -> None:
    answer = replies.read_form({"answer": "change", "leave_on": "2006-07-15"})
    assert answer == Answer(replies.CHANGE, None, None, date(2006, 7, 15))
    assert reply_texts.describe("en", answer) == "asked to fly home on 15 July 2006"


# What each language's page says, written here (not read from the table under test).
SAYS = {
    "en": ("Your travel to the workshop", "I confirm this travel.", "Thank you: on", "This link has expired"),
    "fr": ("Votre voyage pour l&#x27;atelier", "Je confirme ce voyage.", "Merci : le", "Ce lien a expiré"),
    "es": ("Su viaje al taller", "Confirmo este viaje.", "Gracias: el", "Este enlace ha caducado"),
}


DAY = {"en": "15 July 2006", "fr": "15 juillet 2006", "es": "15 de julio de 2006"}


@pytest.mark.parametrize("language", ["en", "fr", "es"])
def test_the_page_speaks_the_language_of_the_email_the_link_came_in(client: TestClient, language: str) -> None:
    title, confirm, thanks, expired = SAYS[language]
    link = f"/reply/{token(language=language)}"
    shown = client.get(link).text
    assert f'<html lang="{language}">' in shown and title in shown and confirm in shown
    answered = client.post(link, data={"answer": "change", "home_airport": "LOS", "leave_on": "2006-07-15"}).text
    assert thanks in answered and "LOS" in answered and DAY[language] in answered
    late = client.get(f"/reply/{token(datetime.now(UTC) - timedelta(days=31), language=language)}")
    assert late.status_code == 410 and expired in late.text


def test_a_french_official_is_told_in_french_what_to_correct(client: TestClient) -> None:
    problem = client.post(f"/reply/{token(language='fr')}", data={"answer": "change", "home_airport": "Lagos"})
    assert problem.status_code == 422 and "« Lagos » n&#x27;est pas un code d&#x27;aéroport" in problem.text
    asked = client.post(f"/reply/{token(language='fr')}", data={"answer": "change", "arrive_on": "2006-07-09",
                                                                 "leave_on": "2006-07-15"}).text  # fmt: skip
    assert "vous avez demandé à arriver au plus tard le 9 juillet 2006 et à rentrer le 15 juillet 2006" in asked


def test_an_unknown_language_falls_back_to_english(client: TestClient) -> None:
    shown = client.get(f"/reply/{token(language='de')}").text
    assert '<html lang="en">' in shown and "I confirm this travel." in shown


@pytest.mark.parametrize(("header", "language"), [("fr-CH, en;q=0.8", "fr"), ("de, es;q=0.5", "es"),
                                                  ("de, fr;q=0", "en"), (None, "en")])  # fmt: skip
def test_a_link_that_cannot_be_read_speaks_the_browsers_language(
    client: TestClient, header: str | None, language: str
) -> None:
    answer = client.get("/reply/garbage", headers={"Accept-Language": header} if header else {})
    assert answer.status_code == 400 and f'<html lang="{language}">' in answer.text


def test_every_language_says_everything_the_english_page_says() -> None:
    for language, texts in reply_texts.TEXTS.items():
        assert texts.keys() == reply_texts.TEXTS["en"].keys(), language


def test_a_request_becomes_the_latest_round_of_the_quote_it_asked_for() -> None:
    asked = "5f0c8a8e-7a43-4c52-9d6a-0f0d3c1b2a11"

    def quote(asked_by: str | None, revision: int, round_: int, status: str) -> dict[str, Any]:
        return {"asked_by": asked_by, "venue_version": 1, "revision": revision, "round": round_, "status": status}

    staffs, first, requoted = (
        quote("another", 2, 1, "applied"),
        quote(asked, 3, 1, "expired"),
        quote(asked, 3, 2, "pending"),
    )
    by_staff_later = quote(None, 4, 1, "requested")  # a staff change priced after the official's: not theirs
    assert replies.quote_of(asked, [by_staff_later, requoted, first, staffs]) == requoted
    assert replies.quote_of(asked, [staffs, by_staff_later]) is None, "another request's quote is not its answer"

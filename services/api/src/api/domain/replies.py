"""What an official answers on the reply page (issue 18): read from the form, checked, compared with an answer
already given. No I/O.

An answer is a confirmation of the travel, or a request for another home airport and/or other travel dates (what is
left empty stays as registered). One e-mail's link takes one answer: the same answer sent again is the same answer
(a double click, a reload); another one is refused, unless the request before it was refused by registration (an
unknown airport, dates outside the workshop's rules), which may be corrected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from shared.contracts.envelope import OFFICIAL, Actor
from shared.reply_links import Link

CONFIRMED, CHANGE = "confirmed", "change_requested"
AIRPORT = re.compile(r"^[A-Za-z]{3}$")


@dataclass(frozen=True)
class Answer:
    answer: str  # confirmed | change_requested
    home_airport: str | None = None
    arrive_on: date | None = None
    leave_on: date | None = None

    def request(self) -> dict[str, Any]:
        return {
            "home_airport": self.home_airport,
            "arrive_on": self.arrive_on.isoformat() if self.arrive_on else None,
            "leave_on": self.leave_on.isoformat() if self.leave_on else None,
        }

    @classmethod
    def stored(cls, answer: str, request: dict[str, Any]) -> Answer:
        day = lambda key: date.fromisoformat(request[key]) if request.get(key) else None  # noqa: E731
        return cls(answer, request.get("home_airport"), day("arrive_on"), day("leave_on"))


class NotAnAnswer(Exception):
    """The form as sent cannot be an answer: `problem` names what to correct (the page says it in the official's
    language: `problem.<name>` in api.entrypoints.reply_texts), `values` what fills the sentence."""

    def __init__(self, problem: str, **values: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.values = values


def read_form(form: dict[str, str]) -> Answer:
    """The answer a submitted form gives, or NotAnAnswer saying what to correct."""
    choice = form.get("answer", "").strip()
    if choice == "confirm":
        return Answer(CONFIRMED)
    if choice != "change":
        raise NotAnAnswer("choose")
    airport = form.get("home_airport", "").strip().upper() or None
    if airport is not None and not AIRPORT.match(airport):
        raise NotAnAnswer("airport", typed=form["home_airport"].strip())
    arrive_on, leave_on = _day(form, "arrive_on"), _day(form, "leave_on")
    if arrive_on and leave_on and leave_on < arrive_on:
        raise NotAnAnswer("order")
    if airport is None and arrive_on is None and leave_on is None:
        raise NotAnAnswer("nothing")
    return Answer(CHANGE, airport, arrive_on, leave_on)


def _day(form: dict[str, str], key: str) -> date | None:
    text = form.get(key, "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise NotAnAnswer(key, typed=text) from None


def may_answer_again(given: Answer, outcome: str, again: Answer) -> bool:
    """Whether `again` replaces the answer already given: only a request its service refused is corrected."""
    return given != again and given.answer == CHANGE and outcome == "refused"


def actor_of(link: Link) -> Actor:
    """The official as the audit log names them: by their link and reference, never by name."""
    return Actor(token_id=f"reply-{link.link_id[:12]}", name=f"official {link.delegate_ref} (reply link)",
                 roles=(OFFICIAL,))  # fmt: skip


def quote_of(command_id: str, quotes: list[dict[str, Any]]) -> dict[str, Any] | None:
    """What travel made of the request that became command `command_id`: the latest round of the change quote that
    request asked for (a re-quote is a new round of it); None while travel has none (not quoted yet, or nothing
    ticketed to change). A quote staff asked for, before or after, is not the official's."""
    own = [quote for quote in quotes if quote.get("asked_by") == command_id]
    return max(own, key=lambda quote: quote["round"], default=None)

"""The API's what-if asks registration, then travel, then sponsorship, each answer feeding the next; a refusal or
a silent service ends it with the reason. Nothing is published."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

import pytest
from api.service.what_if import NotPossible, what_if
from shared.contracts import registration

MOVE = registration.MoveWorkshop(workshop_id="w", city="Vienna", country="AT", airport="VIE", today=date(2006, 5, 1))


class Services:
    def __init__(self, answers: dict[str, tuple[int, Any]]) -> None:
        self.answers = answers
        self.asked: list[tuple[str, str, dict[str, Any]]] = []

    async def ask(self, service: str, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        self.asked.append((service, path, body))
        return self.answers[service]


def test_each_service_is_asked_in_turn_with_what_the_one_before_answered() -> None:
    after = {"workshop_id": "w", "city": "Vienna", "venue_version": 2}
    services = Services(
        {
            "registration": (200, {"workshop": after, "event_type": "registration.workshop_moved"}),
            "travel": (200, {"tickets": ["T"]}),
            "sponsorship": (200, {"places": ["P"], "donors": ["D"]}),
        }
    )

    found = asyncio.run(what_if(services.ask, MOVE))

    tried = {"type": "registration.move_workshop", "payload": MOVE.model_dump(mode="json")}
    assert services.asked == [
        ("registration", "/workshops/w/decisions/preview", tried),
        ("travel", "/workshops/w/what-if", after),
        (
            "sponsorship",
            "/workshops/w/what-if",
            {"workshop": after, "event_type": "registration.workshop_moved", "travel": {"tickets": ["T"]}},
        ),
    ]
    assert found == {
        "decision": tried,
        "changes": True,
        "workshop": {**after, "change": "moved"},
        "travel": {"tickets": ["T"]},
        "places": ["P"],
        "donors": ["D"],
    }


def test_a_decision_in_force_asks_no_further() -> None:
    services = Services({"registration": (200, {"workshop": None})})

    found = asyncio.run(what_if(services.ask, MOVE))

    assert (found["changes"], [asked[0] for asked in services.asked]) == (False, ["registration"])


@pytest.mark.parametrize(
    ("answers", "status", "reason"),
    [
        ({"registration": (409, {"detail": "cannot move workshop w: it is deferred"})}, 409, "it is deferred"),
        (
            {
                "registration": (200, {"workshop": {}, "event_type": "registration.workshop_moved"}),
                "travel": (503, "travel did not answer: ConnectError"),
            },
            503,
            "travel could not answer the what-if (503): travel did not answer",
        ),
    ],
)
def test_a_refusal_or_a_silent_service_ends_it_with_the_reason(
    answers: dict[str, tuple[int, Any]], status: int, reason: str
) -> None:
    with pytest.raises(NotPossible) as ended:
        asyncio.run(what_if(Services(answers).ask, MOVE))

    assert ended.value.status == status and reason in ended.value.reason

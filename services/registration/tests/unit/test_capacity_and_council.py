"""A workshop's capacity, the annual programme's Council session and the close of a held workshop, as the domain
decides them (registration.domain.model, issue 18): no repository, no clock."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime

import pytest
from registration.domain.model import (
    Council,
    CouncilSession,
    Delegate,
    Programme,
    RuleBroken,
    Workshop,
    approve,
    close,
    define,
    full,
    promote,
    register,
    seat,
)

GENEVA = Workshop(
    workshop_id="idm-2006-geneva", title="Migrants and the Host Society", year=2006, city="Geneva", country="CH",
    airport="GVA", starts=date(2006, 7, 12), ends=date(2006, 7, 13), currency="USD", capacity=2,
)  # fmt: skip
NOON = datetime(2006, 5, 2, 12, 0)


def delegate(ref: str, **changes: object) -> Delegate:
    values: dict[str, object] = {
        "ref": ref, "workshop_id": GENEVA.workshop_id, "given_name": "Aminata", "family_name": "Sarr",
        "email": f"{ref.lower()}@delegates.example", "country": "SN", "role": "official", "language": "fr",
        "home_airport": "DKR", "sponsorship": "requested",
    }  # fmt: skip
    return Delegate(**{**values, **changes})  # type: ignore[arg-type]


# Capacity


@pytest.mark.parametrize(
    ("capacity", "taken", "is_full"), [(None, 10_000, False), (2, 1, False), (2, 2, True), (2, 3, True)]
)
def test_a_workshop_is_full_only_with_a_capacity_and_every_place_taken(
    capacity: int | None, taken: int, is_full: bool
) -> None:
    assert full(replace(GENEVA, capacity=capacity), taken) is is_full


def test_a_registration_with_a_place_left_is_approved_and_one_beyond_waits_in_line_from_when_it_came() -> None:
    first = register(None, delegate("GVA-001"), GENEVA, taken=1, now=NOON)
    beyond = register(None, delegate("GVA-003"), GENEVA, taken=2, now=NOON)

    assert first is not None and (first.approval, first.waitlisted_at) == ("approved", None)
    assert beyond is not None
    assert (beyond.approval, beyond.approval_reason, beyond.waitlisted_at) == (
        "waitlisted",
        "workshop full (2 places): waitlisted",
        NOON,
    )


def test_a_full_workshop_that_refuses_says_how_many_places_are_taken_and_what_to_do() -> None:
    refusing = replace(GENEVA, when_full="refuse")

    with pytest.raises(RuleBroken, match=r"is full \(2 of 2 places taken\); raise its capacity"):
        register(None, delegate("GVA-003"), refusing, taken=2, now=NOON)


def test_a_pending_registration_takes_no_place_until_approved_and_then_waits_if_the_workshop_is_full() -> None:
    pending = register(None, delegate("GVA-004", approval="pending"), GENEVA, taken=2, now=NOON)
    assert pending is not None and pending.approval == "pending"

    waiting = approve(pending, "GVA-004", GENEVA.workshop_id, GENEVA, taken=2, now=NOON)
    assert waiting is not None and (waiting.approval, waiting.revision) == ("waitlisted", 2)
    # Approved again while the workshop is still full: it stays where it is in line.
    assert approve(waiting, "GVA-004", GENEVA.workshop_id, GENEVA, taken=2, now=datetime(2006, 5, 9)) is None
    seated = approve(waiting, "GVA-004", GENEVA.workshop_id, GENEVA, taken=1, now=NOON)
    assert seated is not None and (seated.approval, seated.waitlisted_at, seated.revision) == ("approved", None, 3)


def test_a_place_keeps_its_time_in_line_when_it_is_seated_again() -> None:
    early = datetime(2006, 4, 1)
    waiting = seat(delegate("GVA-005", waitlisted_at=early), GENEVA, taken=2, now=NOON)

    assert waiting.waitlisted_at == early


def test_freed_places_go_to_the_line_first_come_first_and_a_lifted_capacity_approves_everyone() -> None:
    line = [
        delegate("GVA-009", approval="waitlisted", waitlisted_at=datetime(2006, 5, 3)),
        delegate("GVA-007", approval="waitlisted", waitlisted_at=datetime(2006, 5, 1)),
        delegate("GVA-008", approval="waitlisted", waitlisted_at=datetime(2006, 5, 1)),
    ]

    promoted = promote(line, replace(GENEVA, capacity=4), taken=2)
    assert [(d.ref, d.approval, d.waitlisted_at, d.revision) for d in promoted] == [
        ("GVA-007", "approved", None, 2),
        ("GVA-008", "approved", None, 2),
    ]
    assert promote(line, GENEVA, taken=3) == []  # a lowered capacity takes no place back, and gives none
    assert [d.ref for d in promote(line, replace(GENEVA, capacity=None), taken=2)] == ["GVA-007", "GVA-008", "GVA-009"]


# The annual programme and its Council session

SESSIONS = (
    CouncilSession("gmg", "Special session with the Global Migration Group"),
    CouncilSession("high_level", "Partnerships in Migration"),
    CouncilSession("year_in_review", "The Year in Review"),
)
COUNCIL = Council(starts=date(2006, 11, 28), ends=date(2006, 12, 1), sessions=SESSIONS)
PROGRAMME = Programme(year=2006, theme="Partnerships in Migration", council=COUNCIL)


def test_a_programme_with_its_council_starts_at_revision_one_and_the_same_again_changes_nothing() -> None:
    first = define(None, PROGRAMME)

    assert first is not None and (first.revision, first.council) == (1, COUNCIL)
    assert define(first, PROGRAMME) is None


@pytest.mark.parametrize(
    "council",
    [
        replace(COUNCIL, sessions=SESSIONS[:2]),  # a session dropped
        replace(COUNCIL, starts=date(2006, 11, 27)),  # other dates
        None,  # no Council after all
    ],
)
def test_a_changed_council_is_the_programmes_next_revision(council: Council | None) -> None:
    stored = replace(PROGRAMME, revision=3)

    changed = define(stored, replace(PROGRAMME, council=council))

    assert changed is not None and (changed.revision, changed.council) == (4, council)


@pytest.mark.parametrize(
    ("council", "why"),
    [
        (Council(starts=date(2006, 12, 1), ends=date(2006, 11, 28)), "the Council ends (2006-11-28) before it starts"),
        (Council(starts=date(2007, 11, 27)), "the Council on 2007-11-27 is not in 2006"),
        (Council(ends=date(2005, 12, 1)), "the Council on 2005-12-01 is not in 2006"),
    ],
)
def test_a_council_outside_its_year_or_ending_before_it_starts_is_refused(council: Council, why: str) -> None:
    with pytest.raises(RuleBroken, match=rf"^programme 2006: {re.escape(why)}$"):
        define(None, replace(PROGRAMME, council=council))


def test_a_council_without_dates_yet_is_kept_with_its_sessions() -> None:
    undated = define(None, replace(PROGRAMME, council=Council(sessions=SESSIONS)))

    assert undated is not None and undated.council is not None and undated.council.sessions == SESSIONS


# The close: dated by the decision, else by the workshop's last decision, else by the day the command was sent


def test_a_close_without_a_date_of_its_own_is_dated_the_day_its_command_was_sent() -> None:
    held = close(GENEVA, clock=date(2006, 7, 14))

    assert held is not None and (held.status, held.change) == ("held", "held")
    with pytest.raises(RuleBroken, match="its last day is 2006-07-13 \\(today is 2006-07-13\\)"):
        close(GENEVA, clock=date(2006, 7, 13))
    with pytest.raises(ValueError, match="a decision needs a date"):
        close(GENEVA)

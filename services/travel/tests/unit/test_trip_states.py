"""A trip's life cycle: every transition the table allows, some it refuses, what each publishes, and that nothing
else in travel sets a trip's state."""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path

import pytest
from travel.domain import trip_states
from travel.domain.booking import Trip
from travel.domain.trip_states import IllegalTransition

TRIP = Trip("D1", "w", 1, "requested", 1, "DKR", date(2006, 4, 20))
ALL_STATES = (*trip_states.ACTIVE, *trip_states.FINAL)


def in_state(state: str) -> Trip:
    return Trip("D1", "w", 1, state, 1, "DKR", date(2006, 4, 20))


@pytest.mark.parametrize("transition", trip_states.TRANSITIONS, ids=lambda t: f"{t.source}->{t.target}")
def test_every_transition_in_the_table_is_allowed(transition: trip_states.Transition) -> None:
    moved = trip_states.move(in_state(transition.source), transition.target, reason="why")
    assert (moved.state, moved.reason) == (transition.target, "why")
    trip_states.check(transition.source, transition.target, transition.emits)


@pytest.mark.parametrize(
    ("source", "target"),
    [
        ("requested", "ticketed"),  # never a ticket without a quote, a hold and an approval
        ("held", "ticketed"),  # not before sponsorship approves
        ("quoted", "moved"),
        ("moved", "requested"),  # its ticket flies a newer venue version now
        ("ticketed", "quoted"),
        ("ticketed", "cancelled"),  # a ticket is given back at the provider first
        ("releasing", "failed"),
        ("cancelled", "ticketed"),
        ("change_held", "held"),
    ],
)
def test_a_transition_outside_the_table_is_refused(source: str, target: str) -> None:
    with pytest.raises(IllegalTransition, match=f"a trip cannot go from {source} to {target}"):
        trip_states.move(in_state(source), target)


def test_only_the_table_pairs_are_allowed() -> None:
    allowed = {(t.source, t.target) for t in trip_states.TRANSITIONS}
    assert len(allowed) == len(trip_states.TRANSITIONS), "each pair once"
    for source in ALL_STATES:
        for target in ALL_STATES:
            if source != target and (source, target) not in allowed:
                with pytest.raises(IllegalTransition):
                    trip_states.check(source, target)


def test_a_transition_publishes_only_what_the_table_says() -> None:
    trip_states.check("approved", "ticketed", ["travel.ticket_issued"])
    trip_states.check("held", "held", ["travel.fare_held"])  # asked again
    trip_states.check("ticketed", "ticketed", ["travel.ticket_issued"])  # an airline's schedule change
    with pytest.raises(IllegalTransition, match=r"does not publish travel\.ticket_issued"):
        trip_states.check("quoted", "held", ["travel.fare_held", "travel.ticket_issued"])
    with pytest.raises(IllegalTransition, match=r"does not publish travel\.booking_failed"):
        trip_states.check("releasing", "releasing", ["travel.booking_failed"])


def test_every_live_state_can_end_and_every_end_without_a_ticket_can_start_again() -> None:
    leads_to: dict[str, set[str]] = {}
    for transition in trip_states.TRANSITIONS:
        leads_to.setdefault(transition.source, set()).add(transition.target)
    for state in trip_states.ACTIVE:
        seen, frontier = {state}, [state]
        while frontier:
            for target in leads_to.get(frontier.pop(), ()):
                if target not in seen:
                    seen.add(target)
                    frontier.append(target)
        assert seen & {"ticketed", "cancelled", "declined", "failed"}, f"{state} never ends"
    for state in trip_states.ENDED_WITHOUT_TICKET:
        assert leads_to[state] == {"requested"}
    assert "moved" not in leads_to


def test_nothing_outside_the_state_machine_sets_a_trip_state() -> None:
    source = Path(__file__).parents[2] / "src" / "travel"
    setters = []
    for path in source.rglob("*.py"):
        if path.name == "trip_states.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", getattr(node.func, "attr", None)) == "replace"
                and any(keyword.arg == "state" for keyword in node.keywords)
            ):
                setters.append(f"{path.relative_to(source)}:{node.lineno}")
    sql = [
        path.name
        for path in source.rglob("*.py")
        if "SET state" in path.read_text() or "state = CASE" in path.read_text()
    ]
    assert setters == [] and sql == []

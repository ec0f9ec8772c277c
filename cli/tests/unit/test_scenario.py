"""Reading a scenario (logistics_cli.scenario.load): commands out, bad rows reported by row, no personal data."""

from __future__ import annotations

import csv
import re
from datetime import date
from pathlib import Path

import pytest
from logistics_cli.scenario import Plan, load
from shared.contracts.registration import DefineProgramme, RegisterDelegate, ScheduleWorkshop
from shared.contracts.sponsorship import RecordDonor, RecordPledge

SCENARIOS = Path(__file__).resolve().parents[3] / "deploy" / "scenarios"
GENEVA = SCENARIOS / "geneva-2006.yaml"
BAD_ROWS = SCENARIOS / "geneva-2006-bad-rows.csv"


@pytest.fixture(scope="module")
def geneva() -> Plan:
    return load(GENEVA)


def test_geneva_gives_one_workshop_donor_and_pledge_and_200_delegates(geneva: Plan) -> None:
    assert geneva.errors == []
    assert geneva.count(DefineProgramme) == 1  # 2006: Partnerships in Migration
    assert geneva.count(ScheduleWorkshop) == 1
    assert geneva.count(RecordDonor) == 1
    assert geneva.count(RecordPledge) == 1
    assert geneva.count(RegisterDelegate) == 200
    assert len(geneva.commands) == 204


def test_geneva_is_replayed_as_of_20_april_2006(geneva: Plan) -> None:
    [workshop] = [command for _, _, command in geneva.commands if isinstance(command, ScheduleWorkshop)]

    assert geneva.today == date(2006, 4, 20)
    assert workshop.as_of == date(2006, 4, 20)
    assert (workshop.workshop_id, workshop.city, workshop.starts, workshop.ends) == (
        "idm-2006-geneva",
        "Geneva",
        date(2006, 7, 12),
        date(2006, 7, 13),
    )


def test_geneva_pledge_is_keyed_by_its_donor(geneva: Plan) -> None:
    [(topic, key, pledge)] = [item for item in geneva.commands if isinstance(item[2], RecordPledge)]

    assert (topic, key) == ("sponsorship.commands.v1", "australia")
    assert pledge.amount == 115000 and pledge.workshop_id == "idm-2006-geneva"


@pytest.fixture(scope="module")
def bad_rows(tmp_path_factory: pytest.TempPathFactory) -> Plan:
    scenario = tmp_path_factory.mktemp("scenario") / "bad-rows.yaml"
    scenario.write_text(f"delegates:\n  - file: {BAD_ROWS}\n", encoding="utf-8")
    return load(scenario)


def test_bad_rows_give_two_delegates_and_five_errors(bad_rows: Plan) -> None:
    assert sorted(command.ref for _, _, command in bad_rows.commands) == ["GVA-901", "GVA-902"]
    assert len(bad_rows.errors) == 5


def test_each_error_names_its_row(bad_rows: Plan) -> None:
    rows = [re.search(r"\brow (\d+):", error) for error in bad_rows.errors]

    assert [int(match.group(1)) if match else None for match in rows] == [3, 4, 5, 7, 8]


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (3, 'home airport "GVQ" is not a known IATA code'),
        (4, 'country "XX1"'),
        (5, "email: value is not a valid email address"),
        (7, "role: Input should be 'speaker', 'official' or 'observer'"),
        (8, "family_name: Field required"),
    ],
)
def test_each_error_gives_its_reason(bad_rows: Plan, row: int, reason: str) -> None:
    [error] = [error for error in bad_rows.errors if f"row {row}:" in error]

    assert reason in error


def test_errors_echo_no_names_or_email_addresses(bad_rows: Plan) -> None:
    with BAD_ROWS.open(newline="", encoding="utf-8") as handle:
        rows = {line: row for line, row in enumerate(csv.DictReader(handle), start=2)}  # line 1: header

    for error in bad_rows.errors:
        line = int(re.search(r"\brow (\d+):", error).group(1))  # type: ignore[union-attr]
        row = rows[line]
        personal = [row["email"], row["given_name"], row["family_name"], row["email"].split("@")[0]]
        assert [value for value in personal if value and value.lower() in error.lower()] == [], error


def test_decisions_in_a_file_become_workshop_commands_after_everything_else(tmp_path: Path) -> None:
    path = tmp_path / "decisions.yaml"
    path.write_text(
        "today: 2006-09-15\n"
        "decisions:\n"
        "  - {defer: idm-2006-bangkok, to_year: 2007, venue_tbd: true}\n"
        "  - {reschedule: idm-2006-bangkok, city: Manila, country: PH, airport: MNL, starts: 2007-03-14,"
        " ends: 2007-03-15, today: 2006-12-01}\n"
        "  - {cancel: idm-2006-bangkok}\n"
        "  - {move: idm-2006-bangkok, postpone: idm-2006-bangkok}\n"
    )

    plan = load(path)

    assert [type(command).__name__ for _, _, command in plan.commands] == ["DeferWorkshop", "RescheduleWorkshop"]
    defer, reschedule = (command for _, _, command in plan.commands)
    assert defer.today == date(2006, 9, 15) and defer.venue_tbd is True  # type: ignore[attr-defined]
    assert reschedule.today == date(2006, 12, 1)  # type: ignore[attr-defined]
    assert plan.commands[0][:2] == ("registration.commands.v1", "idm-2006-bangkok")
    assert plan.errors == [
        "decisions[3]: reason: Field required.",
        "decisions[4]: name exactly one decision (move, postpone, defer, reschedule, cancel, confirm, allocate)"
        " and its workshop.",
    ]


def test_an_allocation_in_a_file_goes_to_sponsorship_with_its_award_type(tmp_path: Path) -> None:
    path = tmp_path / "allocate.yaml"
    path.write_text(
        "today: 2006-04-20\n"
        "pledges:\n"
        "  - {id: tickets, donor: d, year: 2006, amount: 5000, award_type: ticket_only}\n"
        "decisions:\n"
        "  - {allocate: w1, award_type: ticket_only}\n"
        "  - {allocate: w2}\n"
        "  - {allocate: w3, award_type: half}\n"
    )

    plan = load(path)

    pledge, first, second = (command for _, _, command in plan.commands)
    assert pledge.award_type == "ticket_only"  # type: ignore[attr-defined]
    assert [topic_key for *topic_key, _ in plan.commands[1:]] == [
        ["sponsorship.commands.v1", "w1"],
        ["sponsorship.commands.v1", "w2"],
    ]
    assert (first.award_type, second.award_type) == ("ticket_only", "full")  # type: ignore[attr-defined]
    assert first.today == date(2006, 4, 20)  # type: ignore[attr-defined]
    [error] = plan.errors
    assert error.startswith("decisions[3]: award_type")


def test_a_programme_in_a_file_becomes_a_define_programme_command_keyed_by_year(tmp_path: Path) -> None:
    path = tmp_path / "programmes.yaml"
    path.write_text(
        'programmes:\n  - {year: 2007, theme: "Migration Management in the Evolving Global Economy"}\n'
        "  - {year: 1850, theme: x}\n"
    )

    plan = load(path)

    [(topic, key, command)] = plan.commands
    assert (topic, key, command.year) == ("registration.commands.v1", "programme-2007", 2007)  # type: ignore[attr-defined]
    assert len(plan.errors) == 1 and plan.errors[0].startswith("programmes[2]: year")


def test_a_delegate_row_may_say_its_registration_is_pending_approval(tmp_path: Path) -> None:
    rows = [
        "ref,workshop,given_name,family_name,email,country,role,language,home_airport,sponsorship,approval",
        "P-1,w,Ana,Lima,ana@example.org,PE,official,es,LIM,requested,pending",
        "P-2,w,Ben,Okoro,ben@example.org,NG,official,en,LOS,requested,",
        "P-3,w,Cy,Tan,cy@example.org,SG,official,en,SIN,requested,maybe",
    ]
    (tmp_path / "d.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (tmp_path / "s.yaml").write_text("delegates:\n  - file: d.csv\n", encoding="utf-8")

    plan = load(tmp_path / "s.yaml")

    approvals = {c.ref: c.approval for _, _, c in plan.commands if isinstance(c, RegisterDelegate)}
    assert approvals == {"P-1": "pending", "P-2": "approved"}  # staff-entered rows are approved by default
    [error] = plan.errors
    assert error.startswith("d.csv row 4:") and "approval" in error


def test_a_delegate_row_may_give_its_own_travel_dates(tmp_path: Path) -> None:
    rows = [
        "ref,workshop,given_name,family_name,email,country,role,language,home_airport,sponsorship,arrive_on,leave_on",
        "T-1,w,Ana,Lima,ana@example.org,PE,official,es,LIM,requested,2006-07-10,",
        "T-2,w,Ben,Okoro,ben@example.org,NG,official,en,LOS,requested,,2006-07-16",
        "T-3,w,Cy,Tan,cy@example.org,SG,official,en,SIN,requested,10 July,",
    ]
    (tmp_path / "d.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (tmp_path / "s.yaml").write_text("delegates:\n  - file: d.csv\n", encoding="utf-8")

    plan = load(tmp_path / "s.yaml")

    dates = {c.ref: (c.arrive_on, c.leave_on) for _, _, c in plan.commands if isinstance(c, RegisterDelegate)}
    assert dates == {"T-1": (date(2006, 7, 10), None), "T-2": (None, date(2006, 7, 16))}
    [error] = plan.errors
    assert error.startswith("d.csv row 4: arrive_on")

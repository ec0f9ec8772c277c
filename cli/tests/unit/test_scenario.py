"""Reading a scenario (logistics_cli.scenario.load): commands out, bad rows reported by row, no personal data."""

from __future__ import annotations

import asyncio
import csv
import re
from datetime import date
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from logistics_cli.scenario import PlacesUnchecked, Plan, load
from registration.entrypoints.api import router as registration_api
from shared.contracts.registration import DefineProgramme, RegisterDelegate, ScheduleWorkshop
from shared.contracts.sponsorship import RecordDonor, RecordPledge

SCENARIOS = Path(__file__).resolve().parents[3] / "deploy" / "scenarios"
GENEVA = SCENARIOS / "geneva-2006.yaml"
BAD_ROWS = SCENARIOS / "geneva-2006-bad-rows.csv"


def registration_places(entries: list[dict[str, str | None]]) -> list[dict[str, object]]:
    """Registration's POST /places/check, served in-process: the import asks it as `logistics apply` does."""
    app = FastAPI()
    app.include_router(registration_api)

    async def ask() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://registration") as client:
            return await client.post("/places/check", json={"delegates": entries})

    response = asyncio.run(ask())
    assert response.status_code == 200, response.text
    answers: list[dict[str, object]] = response.json()
    return answers


@pytest.fixture(scope="module")
def geneva() -> Plan:
    return load(GENEVA, registration_places)


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
    return load(scenario, registration_places)


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


# Codes people know: registration reads the places, the import reports by row (issue 18).

HEADER = "ref,workshop,given_name,family_name,email,country,role,language,home_airport,sponsorship"


def plan_of(tmp_path: Path, *rows: str, header: str = HEADER, check: object = registration_places) -> Plan:
    (tmp_path / "d.csv").write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    (tmp_path / "s.yaml").write_text("delegates:\n  - file: d.csv\n", encoding="utf-8")
    return load(tmp_path / "s.yaml", check)  # type: ignore[arg-type]


def delegates(plan: Plan) -> dict[str, RegisterDelegate]:
    return {c.ref: c for _, _, c in plan.commands if isinstance(c, RegisterDelegate)}


def test_a_bad_country_is_one_problem_on_one_line(bad_rows: Plan) -> None:
    [error] = [error for error in bad_rows.errors if "row 4:" in error]

    assert (
        error == 'geneva-2006-bad-rows.csv row 4: country "XX1" is neither an ISO 3166 country code nor a country name.'
    )


def test_a_retired_airport_code_and_a_country_name_go_in_as_todays_codes_with_a_note(tmp_path: Path) -> None:
    plan = plan_of(
        tmp_path,
        "MD-1,w,Ion,Rusu,ion@example.org,Moldova,official,en,kiv,requested",
        "KG-1,w,Aibek,Usenov,aibek@example.org,KG,official,en,FRU,requested",
    )

    assert plan.errors == []
    imported = delegates(plan)
    assert (imported["MD-1"].country, imported["MD-1"].home_airport) == ("MD", "RMO")
    assert (imported["KG-1"].country, imported["KG-1"].home_airport) == ("KG", "BSZ")
    assert plan.notes == [
        "d.csv row 2: home airport KIV is now RMO (Chișinău, since 2024-01-18); stored as RMO.",
        "d.csv row 3: home airport FRU is now BSZ (Bishkek, since 2025-08-09); stored as BSZ.",
    ]


def test_an_unknown_airport_code_is_refused_with_the_airports_of_the_delegates_country(tmp_path: Path) -> None:
    plan = plan_of(tmp_path, "CH-1,w,Anna,Keller,anna@example.org,CH,official,fr,GVQ,none")

    assert plan.commands == []
    assert plan.errors == [
        'd.csv row 2: home airport "GVQ" is not a known IATA code; airports in CH: GVA, ACH, BRN, BXO, EML and 10 more.'
    ]


def test_a_ref_given_twice_with_different_data_refuses_both_rows_on_one_line(tmp_path: Path) -> None:
    plan = plan_of(
        tmp_path,
        "GVA-017,w,Ana,Lima,ana@example.org,PE,official,es,LIM,requested",
        "GVA-018,w,Ben,Okoro,ben@example.org,NG,official,en,LOS,requested",
        "GVA-017,w,Rui,Lima,rui@example.org,PE,official,es,LIM,requested",
    )

    assert list(delegates(plan)) == ["GVA-018"]
    assert plan.errors == [
        "d.csv rows 2 and 4: ref GVA-017 is given 2 times with different data; none of these rows was imported."
    ]


def test_a_row_repeated_exactly_is_imported_once(tmp_path: Path) -> None:
    row = "GVA-017,w,Ana,Lima,ana@example.org,PE,official,es,LIM,requested"
    plan = plan_of(tmp_path, row, row + "  ")

    assert list(delegates(plan)) == ["GVA-017"] and plan.errors == []
    assert plan.notes == ["d.csv row 3: the same as row 2 (ref GVA-017); imported once."]


def test_one_e_mail_address_under_two_refs_is_a_warning_and_both_go_in(tmp_path: Path) -> None:
    plan = plan_of(
        tmp_path,
        "GVA-017,w,Ana,Lima,ana@example.org,PE,official,es,LIM,requested",
        "GVA-031,w,Ana María,Lima,Ana@Example.org,PE,speaker,es,LIM,requested",
    )

    assert sorted(delegates(plan)) == ["GVA-017", "GVA-031"] and plan.errors == []
    assert plan.notes == [
        "d.csv rows 2 and 3: refs GVA-017 and GVA-031 have the same e-mail address; all were imported: check they"
        " are not one person registered twice."
    ]
    assert "ana@" not in plan.notes[0].lower()


def test_passport_details_are_optional_columns_carried_by_the_command(tmp_path: Path) -> None:
    plan = plan_of(
        tmp_path,
        "P-1,w,Ana,Lima,ana@example.org,PE,official,es,LIM,requested,Peru,5123456,1970-02-01",
        "P-2,w,Ben,Okoro,ben@example.org,NG,official,en,LOS,requested,,,",
        header=HEADER + ",nationality,passport_number,date_of_birth",
    )

    imported = delegates(plan)
    assert (imported["P-1"].nationality, imported["P-1"].passport_number) == ("PE", "5123456")
    assert imported["P-1"].date_of_birth == date(1970, 2, 1)
    assert (imported["P-2"].nationality, imported["P-2"].passport_number, imported["P-2"].date_of_birth) == (
        None,
        None,
        None,
    )


def test_without_registration_the_rows_go_as_typed_and_registration_checks_them_on_arrival(tmp_path: Path) -> None:
    def unreachable(entries: list[dict[str, str | None]]) -> list[dict[str, object]]:
        raise PlacesUnchecked("registration did not answer at http://127.0.0.1:8101/places/check: ConnectError")

    plan = plan_of(tmp_path, "MD-1,w,Ion,Rusu,ion@example.org,Moldova,official,en,kiv,requested", check=unreachable)

    assert (delegates(plan)["MD-1"].country, delegates(plan)["MD-1"].home_airport) == ("Moldova", "kiv")
    assert plan.notes == [
        "d.csv: countries and airports not checked here (registration did not answer at"
        " http://127.0.0.1:8101/places/check: ConnectError); registration checks each delegate on arrival."
    ]

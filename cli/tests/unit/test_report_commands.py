"""Closing the books from the command line (issue 18): attendance by delegate or CSV, the donor's statement as CSV
and PDF (no names), and the lists with names that say so."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from logistics_cli import main, report_cmds
from pypdf import PdfReader
from shared.contracts import registration
from typer.testing import CliRunner

STATEMENT: dict[str, Any] = {
    "donor": {"donor_id": "australia", "name": "Government of Australia"},
    "year": 2006,
    "workshops": [],
    "pledges": [
        {"pledge_id": "aus-geneva", "earmarked_for": "idm-2006-geneva", "kind": "cash", "status": "confirmed",
         "amount": "115000.00", "pledge_currency": "USD", "currency": "USD", "pledged": "115000.00",
         "committed": "4000", "spent": "3000", "not_spent": "1000", "released": "2060", "balance": "112000.00",
         "released_by_reason": {}},
    ],
    "delegates": [
        {"delegate_ref": "GVA-017", "workshop_id": "idm-2006-geneva", "country": "KE", "role": "speaker",
         "award": "granted", "attendance": "no_show", "lines": [
             {"pledge_id": "aus-geneva", "kind": "airfare", "committed": "3000", "spent": "3000", "not_spent": "0",
              "note": "ticket issued, unused: no-show"},
             {"pledge_id": "aus-geneva", "kind": "subsistence", "committed": "1000", "spent": "0",
              "not_spent": "1000", "note": "not paid: no-show"}]},
    ],
    "totals": {"pledged": "115000.00", "committed": "4000", "spent": "3000", "not_spent": "1000", "released": "2060",
               "balance": "112000.00"},
}  # fmt: skip


def test_attendance_from_a_csv_sends_one_command_per_good_row_and_refuses_the_others_by_line(
    published: list[tuple[str, str, Any]], tmp_path: Path
) -> None:
    sheet = tmp_path / "attendance.csv"
    sheet.write_text("ref,attended\nGVA-001,yes\nGVA-002,no-show\nGVA-003,maybe\nGVA 004,yes\n")

    result = CliRunner().invoke(main.app, ["delegate", "attendance", "--workshop", "w", "--csv", str(sheet)])

    assert result.exit_code == 2, result.output
    assert [command for _, _, command in published] == [
        registration.RecordAttendance(workshop_id="w", ref="GVA-001", attended=True),
        registration.RecordAttendance(workshop_id="w", ref="GVA-002", attended=False),
    ]
    said = " ".join(result.output.split())
    assert "row 4: attended is 'maybe'" in said and "row 5: ref 'GVA 004' is not a delegate reference" in said
    assert "1 attended, 1 no-shows" in said


def test_one_delegates_attendance_needs_attended_or_no_show(published: list[tuple[str, str, Any]]) -> None:
    lacking = CliRunner().invoke(main.app, ["delegate", "attendance", "--workshop", "w", "--delegate", "GVA-001"])
    given = CliRunner().invoke(main.app, ["delegate", "attendance", "--workshop", "w", "--delegate", "GVA-001",
                                          "--no-show", "--json"])  # fmt: skip

    assert lacking.exit_code == 2 and "--attended or --no-show" in lacking.output
    assert given.exit_code == 0, given.output
    assert [command for _, _, command in published] == [
        registration.RecordAttendance(workshop_id="w", ref="GVA-001", attended=False)
    ]


def test_a_donor_statement_as_csv_and_pdf_names_delegates_by_reference_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(report_cmds, "read", lambda service, path, params=None: STATEMENT)

    as_csv = CliRunner().invoke(main.app, ["report", "donor", "--donor", "australia", "--year", "2006", "--csv"])
    pdf = tmp_path / "statement.pdf"
    as_pdf = CliRunner().invoke(main.app, ["report", "donor", "--donor", "australia", "--pdf", str(pdf)])

    assert as_csv.exit_code == 0 and as_pdf.exit_code == 0, (as_csv.output, as_pdf.output)
    rows = as_csv.output.splitlines()
    assert rows[0] == ",".join(report_cmds.STATEMENT_COLUMNS)
    assert rows[1] == (
        'idm-2006-geneva,GVA-017,KE,speaker,no_show,aus-geneva,airfare,3000,3000,0,"ticket issued, unused: no-show"'
    )
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(pdf).pages).split())
    for shown in ("Statement for Government of Australia", "GVA-017 KE speaker (no_show)", "not paid: no-show",
                  "balance 112,000.00"):  # fmt: skip
        assert shown in text


def test_the_participant_list_says_it_holds_names_on_the_terminal_and_in_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    person = {"ref": "GVA-017", "family_name": "Wałęsa", "given_name": "Łukasz", "country": "PL", "role": "official",
              "language": "en", "sponsorship": "none", "attendance": None}  # fmt: skip
    people = {"participants": [person]}
    monkeypatch.setattr(report_cmds, "read", lambda service, path, params=None: people)
    out = tmp_path / "participants.csv"

    result = CliRunner().invoke(main.app, ["report", "participants", "--workshop", "w", "--out", str(out)])

    assert result.exit_code == 0, result.output
    assert "personal data" in result.output
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == f"# {report_cmds.PERSONAL}"
    assert lines[2] == "GVA-017,Wałęsa,Łukasz,PL,official,en,none,"

"""The books closed the way a finance officer closes them (issue 18), from the Geneva end state: the workshop closed
as held after its last day, attendance recorded from a CSV (two sponsored delegates did not come), the donor's
statement (delegates by reference, country and role, never by name) adding up against the pledge, and the two lists
with names (participants, ticket manifest) for role staff only. Then the next year's programme with its Council
session, and a workshop whose capacity holds a registration in line until it is raised."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path

import httpx
from pypdf import PdfReader

from tests.harness import System

GENEVA = "idm-2006-geneva"
D = Decimal


def test_closing_geneva_attendance_the_donor_statement_and_the_lists_with_names(geneva: System, tmp_path: Path) -> None:
    system = geneva
    too_soon = system.cli("workshop", "close", GENEVA, "--today", "2006-07-13", check=False)
    assert too_soon.returncode == 2 and "its last day is 2006-07-13" in too_soon.stderr
    system.cli("workshop", "close", GENEVA, "--today", "2006-07-14")

    awards = system.sponsorships()["awards"]
    granted = sorted(a["delegate_ref"] for a in awards if a["status"] == "granted")
    absent = set(granted[:2])
    sheet = tmp_path / "attendance.csv"
    sheet.write_text("ref,attended\n" + "".join(f"{ref},{'no' if ref in absent else 'yes'}\n" for ref in granted))
    system.cli("delegate", "attendance", "--workshop", GENEVA, "--csv", str(sheet))
    system.wait()
    report = system.report()
    assert (report["status"], report["violations"]) == ("held", [])

    found = json.loads(system.cli("report", "donor", "--donor", "australia", "--year", "2006", "--json").stdout)

    # Each funded delegate by reference, country and role, never by name.
    listed = system.cli("report", "participants", "--workshop", GENEVA).stdout
    named = list(csv.DictReader(io.StringIO(listed.split("\n", 1)[1])))
    assert len(named) == 200 and {"family_name", "given_name", "attendance"} <= set(named[0])
    assert [d["delegate_ref"] for d in found["delegates"]] == granted
    text = json.dumps(found)
    assert not [p["family_name"] for p in named if f'"{p["family_name"]}"' in text]
    by_ref = {a["delegate_ref"]: a for a in awards}
    # Against the ledger: tickets are spent (used or not), allowances paid to those who came, not to the others.
    lines = [line | {"ref": a["delegate_ref"]} for a in awards for line in a["lines"]]
    tickets = sum((D(str(x["amount"])) for x in lines if x["kind"] == "airfare" and x["booking_ref"]), D(0))
    allowances = {ref: sum((D(str(x["amount"])) for x in lines if x["ref"] == ref
                            and x["kind"] in ("subsistence", "terminal")), D(0)) for ref in granted}  # fmt: skip
    [pledge] = found["pledges"]
    assert D(pledge["pledged"]) == D(115000)
    assert D(pledge["spent"]) == tickets + sum(v for ref, v in allowances.items() if ref not in absent)
    assert D(pledge["not_spent"]) == sum(allowances[ref] for ref in absent) > 0
    assert D(pledge["balance"]) == D(115000) - D(pledge["spent"])
    for delegate in found["delegates"]:
        assert (delegate["attendance"], delegate["role"]) == (
            "no_show" if delegate["delegate_ref"] in absent else "attended",
            next(p["role"] for p in named if p["ref"] == delegate["delegate_ref"]),
        )
        assert by_ref[delegate["delegate_ref"]]["status"] == delegate["award"] == "granted"
    notes = {line["note"] for d in found["delegates"] if d["delegate_ref"] in absent for line in d["lines"]}
    assert notes == {"ticket issued, unused: no-show", "not paid: no-show"}

    rows = list(csv.reader(io.StringIO(system.cli("report", "donor", "--donor", "australia", "--csv").stdout)))
    assert rows[0][:4] == ["workshop", "delegate", "country", "role"] and len([r for r in rows[1:] if r]) == 3 * 30 + 2
    pdf = tmp_path / "statement.pdf"
    system.cli("report", "donor", "--donor", "australia", "--year", "2006", "--pdf", str(pdf))
    printed = " ".join(" ".join(page.extract_text() for page in PdfReader(pdf).pages).split())
    assert "Statement for Government of Australia (australia), 2006" in printed and granted[0] in printed

    # The lists with names: staff only, and they say so.
    manifest = system.cli("report", "manifest", "--workshop", GENEVA)
    assert "personal data" in manifest.stderr and manifest.stdout.startswith("# This file holds personal data")
    flights = list(csv.DictReader(io.StringIO(manifest.stdout.split("\n", 1)[1])))
    assert {f["ref"] for f in flights} == set(granted) and all(f["family_name"] and f["flight"] for f in flights)
    viewer = system.create_token("a viewer", "viewer")
    for path in (f"/registration/workshops/{GENEVA}/participants", f"/travel/workshops/{GENEVA}/manifest"):
        answer = httpx.get(f"{system.url('api')}{path}", headers={"Authorization": f"Bearer {viewer}"}, timeout=30)
        assert answer.status_code == 403 and "staff" in answer.json()["detail"], path

    # The next year's programme (issue 18): its Council session, and a workshop with a capacity; a registration
    # beyond it waits in line until the capacity is raised.
    plan = tmp_path / "idm-2007.yaml"
    workshop = ("{id: idm-2007-capacity, title: Migration Management in the Evolving Global Economy, year: 2007,"
                " city: Geneva, country: CH, airport: GVA, starts: 2007-03-14, ends: 2007-03-15, currency: USD,"
                " capacity: CAPACITY}")  # fmt: skip
    people = tmp_path / "idm-2007.csv"
    people.write_text(
        "ref,workshop,given_name,family_name,email,country,role,language,home_airport,sponsorship\n"
        "CAP-001,idm-2007-capacity,Ana,Lima,ana@gov.example,PE,official,es,LIM,none\n"
        "CAP-002,idm-2007-capacity,Jun,Cruz,jun@gov.example,PH,official,en,MNL,none\n"
    )
    for capacity in (1, 2):
        plan.write_text(
            "today: 2006-12-01\n"
            "programmes:\n"
            "  - {year: 2007, theme: Migration Management in the Evolving Global Economy, council: {starts: 2007-11-27,"
            " ends: 2007-11-30, sessions: [{kind: high_level, title: Migration Management}, {kind: year_in_review,"
            " title: The Year in Review}]}}\n"
            f"workshops:\n  - {workshop.replace('CAPACITY', str(capacity))}\n"
            f"delegates:\n  - file: {people}\n"
        )
        system.cli("apply", str(plan))
        system.wait()
        delegates = httpx.get(f"{system.url('registration')}/workshops/idm-2007-capacity/delegates", timeout=30).json()
        approvals = {d["ref"]: d["approval"] for d in delegates}
        assert approvals == ({"CAP-001": "approved", "CAP-002": "waitlisted"} if capacity == 1 else
                             {"CAP-001": "approved", "CAP-002": "approved"}), approvals  # fmt: skip
    [programme] = [p for p in httpx.get(f"{system.url('registration')}/programmes", timeout=30).json()
                   if p["year"] == 2007]  # fmt: skip
    assert (programme["workshops"], [s["kind"] for s in programme["council"]["sessions"]]) == (
        ["idm-2007-capacity"],
        ["high_level", "year_in_review"],
    )

"""`logistics report donor|participants|manifest`: the books closed for a donor, and the lists staff export for a
workshop.

The donor's statement names funded delegates by reference, country and role, never by name. The participant list
and the ticket manifest hold names: they need role staff and say so, on the terminal and in the file.
"""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.table import Table

from logistics_cli import api_client
from logistics_cli.common import WorkshopOption, console, errors, settings

PERSONAL = "This file holds personal data (names of people): for staff only; do not forward it."
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")  # Debian's fonts-dejavu-core, as the invitation letters use


def read(service: str, path: str, params: dict[str, Any] | None = None) -> Any:
    """A service's read through the API; a 404 says what is not known (exit 1)."""
    url = f"{settings().url(service)}{path}"
    try:
        response = api_client.get(url, params=params, timeout=60)
    except httpx.HTTPError as error:
        errors.print(f"[red]The API did not answer at {settings().api}:[/red] {error}")
        raise typer.Exit(1) from None
    if response.status_code == 404:
        errors.print(f"[red]{response.json().get('detail', 'not found')}[/red]")
        raise typer.Exit(1)
    response.raise_for_status()
    return response.json()


def money(value: Any) -> str:
    return f"{Decimal(str(value)):,.2f}"


# -- the donor's statement -------------------------------------------------------------------------------------------

STATEMENT_COLUMNS = ["workshop", "delegate", "country", "role", "attendance", "pledge", "line", "committed", "spent",
                     "not_spent", "note"]  # fmt: skip


def statement_csv(found: dict[str, Any]) -> str:
    """One row per cost line of each funded delegate, then one per pledge with its totals."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(STATEMENT_COLUMNS)
    for delegate in found["delegates"]:
        for line in delegate["lines"]:
            writer.writerow(
                [delegate["workshop_id"], delegate["delegate_ref"], delegate["country"], delegate["role"],
                 delegate["attendance"] or "", line["pledge_id"], line["kind"], line["committed"], line["spent"],
                 line["not_spent"], line["note"]]
            )  # fmt: skip
    writer.writerow([])
    writer.writerow(["pledge", "earmarked for", "currency", "pledged", "committed", "spent", "not_spent", "released",
                     "balance"])  # fmt: skip
    for pledge in found["pledges"]:
        writer.writerow([pledge["pledge_id"], pledge["earmarked_for"], pledge["currency"], pledge["pledged"],
                         pledge["committed"], pledge["spent"], pledge["not_spent"], pledge["released"],
                         pledge["balance"]])  # fmt: skip
    return out.getvalue()


def statement_lines(found: dict[str, Any]) -> list[str]:
    """The statement as lines of text (the PDF's body)."""
    donor, year = found["donor"], found["year"]
    text = [f"Statement for {donor['name']} ({donor['donor_id']})" + (f", {year}" if year else "")]
    for pledge in found["pledges"]:
        text += [
            "",
            f"Pledge {pledge['pledge_id']} ({pledge['kind']}, {pledge['status']}), earmarked for"
            f" {pledge['earmarked_for']}: {money(pledge['amount'])} {pledge['pledge_currency']}",
            f"  pledged {money(pledge['pledged'])} {pledge['currency']}; spent {money(pledge['spent'])};"
            f" committed, not spent {money(pledge['not_spent'])}; given back {money(pledge['released'])};"
            f" balance {money(pledge['balance'])}",
        ]
    text += ["", "Funded delegates (by reference, country and role):"]
    for delegate in found["delegates"]:
        text.append(
            f"{delegate['workshop_id']} {delegate['delegate_ref']} {delegate['country']} {delegate['role']}"
            f" ({delegate['attendance'] or 'attendance not recorded'})"
        )
        for line in delegate["lines"]:
            text.append(
                f"    {line['kind']} ({line['pledge_id']}): committed {money(line['committed'])}, spent"
                f" {money(line['spent'])}: {line['note']}"
            )
    totals = found["totals"]
    text += ["", f"Total pledged {money(totals['pledged'])}, spent {money(totals['spent'])}, balance"
             f" {money(totals['balance'])}."]  # fmt: skip
    return text


def statement_pdf(found: dict[str, Any], path: Path, font_dir: Path = FONT_DIR) -> None:
    """The statement as a PDF in DejaVu Sans (a donor's name in any script prints as written); in a core font when
    DejaVu is not installed (Latin-1 only)."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    if (font_dir / "DejaVuSans.ttf").exists():
        pdf.add_font("DejaVu", "", str(font_dir / "DejaVuSans.ttf"))
        pdf.set_font("DejaVu", size=9)
        lines = statement_lines(found)
    else:
        pdf.set_font("Helvetica", size=9)
        lines = [line.encode("latin-1", "replace").decode("latin-1") for line in statement_lines(found)]
    for line in lines:
        pdf.multi_cell(0, 5, line or " ", new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))


def report_donor(
    donor: Annotated[str, typer.Option("--donor", help="Donor id, e.g. australia.")],
    year: Annotated[
        int | None, typer.Option("--year", help="Only the pledges for that year's workshops and pool.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print CSV: a row per cost line, then per pledge.")] = False,
    pdf: Annotated[Path | None, typer.Option("--pdf", help="Write the statement as a PDF to this file.")] = None,
) -> None:
    """The statement a donor receives: each funded delegate (reference, country, role: no names), each cost line
    committed against spent (tickets used or not, allowances paid by attendance, fees and airline credits), and the
    totals against each pledge."""
    found = read("sponsorship", f"/donors/{donor}/statement", {"year": year} if year else None)
    if as_json:
        print(json.dumps(found, indent=2))
    elif as_csv:
        print(statement_csv(found), end="")
    elif pdf is not None:
        statement_pdf(found, pdf)
        console.print(f"Statement for {found['donor']['name']} written to {pdf}.")
    else:
        print_statement(found)


def print_statement(found: dict[str, Any]) -> None:
    donor = found["donor"]
    table = Table(title=f"{donor['name']} ({donor['donor_id']})" + (f", {found['year']}" if found["year"] else ""))
    for column in ("pledge", "for", "pledged", "spent", "not spent", "given back", "balance"):
        table.add_column(column, justify="left" if column in ("pledge", "for") else "right")
    for p in found["pledges"]:
        table.add_row(p["pledge_id"], p["earmarked_for"], money(p["pledged"]), money(p["spent"]),
                      money(p["not_spent"]), money(p["released"]), money(p["balance"]))  # fmt: skip
    console.print(table)
    lines = Table(title="Funded delegates (no names)")
    for column in ("delegate", "country", "role", "attendance", "line", "committed", "spent", "note"):
        lines.add_column(column, justify="right" if column in ("committed", "spent") else "left")
    for d in found["delegates"]:
        for line in d["lines"]:
            lines.add_row(d["delegate_ref"], d["country"], d["role"], d["attendance"] or "", line["kind"],
                          money(line["committed"]), money(line["spent"]), line["note"])  # fmt: skip
    console.print(lines)


# -- the lists staff export for a workshop (with names) --------------------------------------------------------------

OutOption = Annotated[Path | None, typer.Option("--out", help="Write the CSV to this file (default: print it).")]


def write_personal(rows: list[list[str]], out: Path | None) -> None:
    """CSV with the personal-data notice as its first line; the notice is said on the terminal too."""
    buffer = io.StringIO()
    buffer.write(f"# {PERSONAL}\n")
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    errors.print(f"[yellow]{PERSONAL}[/yellow]")
    if out is None:
        print(buffer.getvalue(), end="")
    else:
        out.write_text(buffer.getvalue(), encoding="utf-8")
        console.print(f"{len(rows) - 1} rows written to {out}.")


def report_participants(workshop: WorkshopOption, out: OutOption = None) -> None:
    """The workshop's participant list, WITH NAMES (role staff): reference, names, country, role, attendance."""
    found = read("registration", f"/workshops/{workshop}/participants")
    columns = ["ref", "family_name", "given_name", "country", "role", "language", "sponsorship", "attendance"]
    rows = [columns, *([str(p[c] or "") for c in columns] for p in found["participants"])]
    write_personal(rows, out)


def report_manifest(workshop: WorkshopOption, out: OutOption = None) -> None:
    """The ticket manifest, WITH NAMES (role staff): one row per flight of each valid ticket."""
    names = {p["ref"]: p for p in read("registration", f"/workshops/{workshop}/participants")["participants"]}
    tickets = read("travel", f"/workshops/{workshop}/manifest")["tickets"]
    columns = ["ref", "family_name", "given_name", "booking_ref", "ticket_number", "fare_class", "flight", "origin",
               "destination", "departs", "arrives"]  # fmt: skip
    rows = [columns]
    for ticket in tickets:
        person = names.get(ticket["delegate_ref"], {})
        for segment in ticket["segments"]:
            rows.append(
                [ticket["delegate_ref"], person.get("family_name", ""), person.get("given_name", ""),
                 ticket["booking_ref"], ticket["ticket_number"] or "", ticket["fare_class"] or "", segment["flight"],
                 segment["origin"], segment["destination"], segment["departs"], segment["arrives"]]
            )  # fmt: skip
    write_personal(rows, out)

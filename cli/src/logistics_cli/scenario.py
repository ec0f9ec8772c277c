"""Reading a scenario file (YAML + delegates CSV) into commands, reporting bad entries with their place."""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from shared.contracts import registration, sponsorship
from shared.contracts.envelope import Contract, describe
from shared.contracts.topics import REGISTRATION_COMMANDS, SPONSORSHIP_COMMANDS

CSV_COLUMNS = [
    "ref",
    "workshop",
    "given_name",
    "family_name",
    "email",
    "country",
    "role",
    "language",
    "home_airport",
    "sponsorship",
]
# Optional columns: approval (approved, the default for staff-entered rows, or pending); arrive_on and leave_on
# (YYYY-MM-DD), a delegate's own travel dates (empty: the dates the registration has, at first the policy's);
# nationality (a country code or name), passport_number and date_of_birth (YYYY-MM-DD), for the invitation letter.
OPTIONAL_COLUMNS = ["approval", "arrive_on", "leave_on", "nationality", "passport_number", "date_of_birth"]


class PlacesUnchecked(Exception):
    """Registration could not be asked how it reads the delegates' countries and airports."""


# Asks registration how it reads each delegate's country, home airport and nationality (POST /places/check): one
# answer per entry, {"country", "home_airport", "nationality", "notes"} or {"problem"}.
PlaceChecker = Callable[[list[dict[str, str | None]]], list[dict[str, Any]]]


@dataclass
class Plan:
    today: date | None = None
    commands: list[tuple[str, str, Contract]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # entries refused: nothing of them is published
    notes: list[str] = field(default_factory=list)  # what staff should check: the entries went in

    def count(self, contract: type[Contract]) -> int:
        return sum(1 for _, _, command in self.commands if isinstance(command, contract))


def lines_named(lines: list[int]) -> str:
    """ "row 4", "rows 4 and 9", "rows 4, 9 and 12"."""
    if len(lines) == 1:
        return f"row {lines[0]}"
    return f"rows {', '.join(map(str, lines[:-1]))} and {lines[-1]}"


def read_rows(path: Path, plan: Plan) -> list[tuple[int, dict[str, str]]] | None:
    """The file's rows with their line numbers, values stripped; None (and the error) when columns are missing."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [column for column in CSV_COLUMNS if column not in (reader.fieldnames or [])]
        if missing:
            plan.errors.append(f"{path.name}: missing columns {', '.join(missing)}")
            return None
        rows = []
        for row in reader:
            values = {k: (v or "").strip() for k, v in row.items() if k in CSV_COLUMNS + OPTIONAL_COLUMNS}
            rows.append((reader.line_num, values))
        return rows


def without_repeated_refs(
    path: Path, rows: list[tuple[int, dict[str, str]]], plan: Plan
) -> list[tuple[int, dict[str, str]]]:
    """A ref given twice with different data is refused, every row of it (which one is right is for staff to
    say); a row repeated exactly is imported once."""
    by_ref: dict[str, list[tuple[int, dict[str, str]]]] = {}
    for line, values in rows:
        by_ref.setdefault(values.get("ref", ""), []).append((line, values))
    kept = []
    for line, values in rows:
        same_ref = by_ref[values.get("ref", "")] if values.get("ref") else [(line, values)]
        first_line, first = same_ref[0]
        if any(other != first for _, other in same_ref):
            if line == first_line:
                plan.errors.append(
                    f"{path.name} {lines_named([n for n, _ in same_ref])}: ref {values['ref']} is given"
                    f" {len(same_ref)} times with different data; none of these rows was imported."
                )
            continue
        if line != first_line:
            plan.notes.append(
                f"{path.name} row {line}: the same as row {first_line} (ref {values['ref']}); imported once."
            )
            continue
        kept.append((line, values))
    return kept


def places_read(
    path: Path, rows: list[tuple[int, dict[str, str]]], check_places: PlaceChecker | None, plan: Plan
) -> dict[int, dict[str, Any]]:
    """Registration's reading of each row's country, home airport and nationality, by line (rows without a
    country or an airport are left to the contract's "Field required")."""
    if check_places is None:
        return {}
    asked = {
        line: (values["country"], values["home_airport"], values.get("nationality") or None)
        for line, values in rows
        if values.get("country") and values.get("home_airport")
    }
    distinct = list(dict.fromkeys(asked.values()))
    try:
        answers = check_places([{"country": c, "home_airport": a, "nationality": n} for c, a, n in distinct])
    except PlacesUnchecked as why:
        plan.notes.append(
            f"{path.name}: countries and airports not checked here ({why}); registration checks each delegate"
            " on arrival."
        )
        return {}
    answer_for = dict(zip(distinct, answers, strict=True))
    return {line: answer_for[entry] for line, entry in asked.items()}


def first_row(message: str) -> int:
    """The first row number a message names ("d.csv rows 4 and 9: ..." is 4; a file-wide message is 0)."""
    found = re.search(r" rows? (\d+)", message.split(":", 1)[0])
    return int(found.group(1)) if found else 0


def delegates_from_csv(path: Path, plan: Plan, check_places: PlaceChecker | None = None) -> None:
    """Each row a RegisterDelegate command, or refused with every problem on one line; the file's errors and notes
    in row order."""
    errors_before, notes_before = len(plan.errors), len(plan.notes)
    read_delegates(path, plan, check_places)
    plan.errors[errors_before:] = sorted(plan.errors[errors_before:], key=first_row)
    plan.notes[notes_before:] = sorted(plan.notes[notes_before:], key=first_row)


def read_delegates(path: Path, plan: Plan, check_places: PlaceChecker | None) -> None:
    rows = read_rows(path, plan)
    if rows is None:
        return
    rows = without_repeated_refs(path, rows, plan)
    places = places_read(path, rows, check_places, plan)
    imported: list[tuple[int, registration.RegisterDelegate]] = []
    for line, values in rows:
        where = f"{path.name} row {line}"
        values = {**values, "workshop_id": values.pop("workshop", "")}
        answer = places.get(line, {})
        problems = [answer["problem"]] if "problem" in answer else []
        if answer and not problems:
            values.update({key: answer[key] or "" for key in ("country", "home_airport", "nationality")})
        try:
            command = registration.RegisterDelegate.model_validate({k: v for k, v in values.items() if v != ""})
        except ValidationError as error:
            problems.append(describe(error))
        if problems:
            plan.errors.append(f"{where}: " + "; ".join(p.rstrip(".") for p in problems) + ".")
            continue
        plan.notes += [f"{where}: {note}." for note in answer.get("notes", [])]
        imported.append((line, command))
        plan.commands.append((REGISTRATION_COMMANDS, command.workshop_id, command))
    same_email: dict[str, list[tuple[int, str]]] = {}
    for line, command in imported:
        same_email.setdefault(command.email.casefold(), []).append((line, command.ref))
    for found in same_email.values():
        if len(found) > 1:  # the address is personal data: not in the message
            refs = [ref for _, ref in found]
            plan.notes.append(
                f"{path.name} {lines_named([line for line, _ in found])}: refs {', '.join(refs[:-1])} and {refs[-1]}"
                " have the same e-mail address; all were imported: check they are not one person registered twice."
            )


def _entry(plan: Plan, where: str, contract: type[Contract], values: dict[str, Any]) -> Contract | None:
    try:
        return contract.model_validate(values)
    except ValidationError as error:
        plan.errors.append(f"{where}: {describe(error).rstrip('.')}.")
        return None


def load(path: Path, check_places: PlaceChecker | None = None) -> Plan:
    """The commands a scenario file declares, its refused entries and notes for staff; `check_places` asks
    registration how it reads the delegates' countries and airports (None: they are not checked here)."""
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    plan = Plan(today=document.get("today"))
    for index, item in enumerate(document.get("programmes") or [], start=1):
        command = _entry(plan, f"programmes[{index}]", registration.DefineProgramme, item)
        if command:
            plan.commands.append((REGISTRATION_COMMANDS, f"programme-{item.get('year')}", command))
    for index, item in enumerate(document.get("workshops") or [], start=1):
        values = {**item, "workshop_id": item.get("id"), "as_of": plan.today}
        values.pop("id", None)
        command = _entry(plan, f"workshops[{index}]", registration.ScheduleWorkshop, values)
        if command:
            plan.commands.append((REGISTRATION_COMMANDS, command.workshop_id, command))  # type: ignore[attr-defined]
    for index, item in enumerate(document.get("donors") or [], start=1):
        command = _entry(
            plan,
            f"donors[{index}]",
            sponsorship.RecordDonor,
            {"donor_id": item.get("id"), "name": item.get("name")},
        )
        if command:
            plan.commands.append((SPONSORSHIP_COMMANDS, command.donor_id, command))  # type: ignore[attr-defined]
    for index, item in enumerate(document.get("pledges") or [], start=1):
        values = {
            **item,
            "pledge_id": item.get("id"),
            "donor_id": item.get("donor"),
            "workshop_id": item.get("workshop"),
        }
        for key in ("id", "donor", "workshop"):
            values.pop(key, None)
        command = _entry(plan, f"pledges[{index}]", sponsorship.RecordPledge, values)
        if command:
            # Keyed by donor, like the donor itself: a pledge is never processed before its donor.
            plan.commands.append((SPONSORSHIP_COMMANDS, command.donor_id, command))  # type: ignore[attr-defined]
    for item in document.get("delegates") or []:
        csv_path = (path.parent / item["file"]).resolve()
        if not csv_path.exists():
            plan.errors.append(f"delegates file {item['file']} not found next to {path.name}")
            continue
        delegates_from_csv(csv_path, plan, check_places)
    decisions_from(document.get("decisions") or [], plan)
    return plan


# A decision in a file: `- {move: idm-2006-bangkok, city: Manila, country: PH, airport: MNL}`; `today` defaults to
# the file's. Decisions come after everything else in the file, in their order. `- {allocate: ID, award_type:
# ticket_only}` is sponsorship's allocation (award type full unless given).
DECISIONS: dict[str, type[Contract]] = {
    "move": registration.MoveWorkshop,
    "postpone": registration.PostponeWorkshop,
    "defer": registration.DeferWorkshop,
    "reschedule": registration.RescheduleWorkshop,
    "cancel": registration.CancelWorkshop,
    "confirm": registration.ConfirmWorkshop,
    "allocate": sponsorship.AllocateSponsorships,
}


def decisions_from(items: list[dict[str, Any]], plan: Plan) -> None:
    for index, item in enumerate(items, start=1):
        where = f"decisions[{index}]"
        named = [key for key in DECISIONS if key in item]
        if len(named) != 1:
            plan.errors.append(f"{where}: name exactly one decision ({', '.join(DECISIONS)}) and its workshop.")
            continue
        [decision] = named
        values = {"today": plan.today, **{k: v for k, v in item.items() if k != decision}}
        command = _entry(plan, where, DECISIONS[decision], {**values, "workshop_id": item[decision]})
        if command:
            topic = SPONSORSHIP_COMMANDS if decision == "allocate" else REGISTRATION_COMMANDS
            plan.commands.append((topic, item[decision], command))

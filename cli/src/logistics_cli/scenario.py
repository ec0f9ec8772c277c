"""Reading a scenario file (YAML + delegates CSV) into commands, reporting bad entries with their place."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import airportsdata
import pycountry
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
# (YYYY-MM-DD), a delegate's own travel dates (empty: the dates the registration has, at first the policy's).
OPTIONAL_COLUMNS = ["approval", "arrive_on", "leave_on"]
AIRPORTS = airportsdata.load("IATA")


@dataclass
class Plan:
    today: date | None = None
    commands: list[tuple[str, str, Contract]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def count(self, contract: type[Contract]) -> int:
        return sum(1 for _, _, command in self.commands if isinstance(command, contract))


def _checks(row: dict[str, Any]) -> list[str]:
    problems = []
    airport = (row.get("home_airport") or "").strip()
    if airport and airport not in AIRPORTS:
        problems.append(f'home airport "{airport}" is not a known IATA code')
    country = (row.get("country") or "").strip()
    if country and pycountry.countries.get(alpha_2=country) is None:
        problems.append(f'country "{country}" is not an ISO 3166 alpha-2 code')
    return problems


def delegates_from_csv(path: Path, plan: Plan) -> None:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [column for column in CSV_COLUMNS if column not in (reader.fieldnames or [])]
        if missing:
            plan.errors.append(f"{path.name}: missing columns {', '.join(missing)}")
            return
        for row in reader:
            where = f"{path.name} row {reader.line_num}"
            problems = _checks(row)
            values = {k: (v or "").strip() for k, v in row.items() if k in CSV_COLUMNS + OPTIONAL_COLUMNS}
            values["workshop_id"] = values.pop("workshop")
            try:
                command = registration.RegisterDelegate.model_validate({k: v for k, v in values.items() if v != ""})
            except ValidationError as error:
                problems.append(describe(error))
            if problems:
                plan.errors.append(f"{where}: " + "; ".join(p.rstrip(".") for p in problems) + ".")
                continue
            plan.commands.append((REGISTRATION_COMMANDS, command.workshop_id, command))


def _entry(plan: Plan, where: str, contract: type[Contract], values: dict[str, Any]) -> Contract | None:
    try:
        return contract.model_validate(values)
    except ValidationError as error:
        plan.errors.append(f"{where}: {describe(error).rstrip('.')}.")
        return None


def load(path: Path) -> Plan:
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
        delegates_from_csv(csv_path, plan)
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

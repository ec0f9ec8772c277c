"""`logistics delegate approve|reject|travel-dates|attendance`: staff decide a registration pending approval, set the
days a delegate travels, or record who attended a held workshop (each takes --json).

Keyed by workshop, like the registrations themselves in `logistics apply`: a decision follows its registration.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Annotated

import typer
from shared.contracts import registration

from logistics_cli.common import (
    DelegateOption,
    JsonOption,
    ReasonOption,
    WorkshopOption,
    console,
    errors,
    parse_date,
    send,
    settle,
    submit,
)

delegate_app = typer.Typer(
    help="Registrations: approve or reject one pending approval; a delegate's travel dates.", no_args_is_help=True
)


@delegate_app.command("approve")
def approve(workshop: WorkshopOption, delegate: DelegateOption, as_json: JsonOption = False) -> None:
    """Approve a pending (or earlier rejected) registration: its sponsorship request now counts."""
    send(
        f"Approval of {delegate}'s registration sent",
        registration.ApproveRegistration,
        as_json=as_json,
        workshop_id=workshop,
        ref=delegate,
    )


@delegate_app.command("reject")
def reject(
    workshop: WorkshopOption, delegate: DelegateOption, reason: ReasonOption, as_json: JsonOption = False
) -> None:
    """Reject a pending registration, with the reason: its sponsorship request never counts."""
    send(
        f"Rejection of {delegate}'s registration sent",
        registration.RejectRegistration,
        as_json=as_json,
        workshop_id=workshop,
        ref=delegate,
        reason=reason,
    )


@delegate_app.command("travel-dates")
def travel_dates(
    workshop: WorkshopOption,
    delegate: DelegateOption,
    arrive_on: Annotated[
        str | None, typer.Option("--arrive-on", help="Arrive by this day (YYYY-MM-DD); default: the day before.")
    ] = None,
    leave_on: Annotated[
        str | None, typer.Option("--leave-on", help="Fly home this day (YYYY-MM-DD); default: the day after.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Set the days a delegate travels, in full (an option left out is the policy's day): the registration's revision
    grows; a ticket already issued is not changed but quoted (`logistics travel change show`)."""
    envelope = send(
        f"Travel dates of {delegate} sent",
        registration.SetTravelDates,
        as_json=as_json,
        workshop_id=workshop,
        ref=delegate,
        arrive_on=parse_date(arrive_on, "--arrive-on"),
        leave_on=parse_date(leave_on, "--leave-on"),
    )
    if not as_json:
        settle("registration", envelope)


YES, NO = {"yes", "y", "true", "1", "attended", "present"}, {"no", "n", "false", "0", "no_show", "no-show", "absent"}


def attendance_rows(path: Path, workshop: str) -> tuple[list[registration.RecordAttendance], list[str]]:
    """RecordAttendance commands from a CSV with columns `ref` and `attended` (yes/no, attended/no-show), and one
    sentence per refused row with its line number."""
    found, problems = [], []
    with path.open(newline="", encoding="utf-8") as file:
        reader = csv.DictReader(file)
        missing = {"ref", "attended"} - set(reader.fieldnames or ())
        if missing:
            return [], [f"{path.name}: the columns {', '.join(sorted(missing))} are missing (ref, attended)"]
        for line, row in enumerate(reader, start=2):
            answer = (row.get("attended") or "").strip().casefold()
            if answer not in YES | NO:
                problems.append(f"row {line}: attended is {answer!r}; write yes or no (attended or no-show)")
                continue
            ref = (row.get("ref") or "").strip()
            try:
                found.append(registration.RecordAttendance(workshop_id=workshop, ref=ref, attended=answer in YES))
            except ValueError:
                problems.append(f"row {line}: ref {ref!r} is not a delegate reference")
    return found, problems


@delegate_app.command("attendance")
def attendance(
    workshop: WorkshopOption,
    delegate: Annotated[str | None, typer.Option("--delegate", help="One delegate's reference...")] = None,
    attended: Annotated[
        bool | None, typer.Option("--attended/--no-show", help="...who attended, or was a no-show.")
    ] = None,
    from_csv: Annotated[
        Path | None,
        typer.Option("--csv", exists=True, dir_okay=False, help="...or a CSV with columns ref and attended (yes/no)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Record who attended a held workshop (close it first): a no-show's ticket counts as unused and allowance as not
    paid in the donor's statement. The same again changes nothing; the other answer corrects it."""
    if (from_csv is None) == (delegate is None) or (delegate is not None and attended is None):
        errors.print("[red]refused:[/red] give --delegate REF with --attended or --no-show, or --csv FILE")
        raise typer.Exit(2)
    if delegate is not None:
        envelope = send(
            f"Attendance of {delegate} sent",
            registration.RecordAttendance,
            as_json=as_json,
            workshop_id=workshop,
            ref=delegate,
            attended=attended,
        )
        if not as_json:
            settle("registration", envelope)
        return
    assert from_csv is not None
    rows, problems = attendance_rows(from_csv, workshop)
    for problem in problems:
        errors.print(f"[red]refused[/red] {problem}")
    if rows:
        submit(list(rows))
    console.print(
        f"Sent the attendance of {len(rows)} delegates"
        f" ({sum(row.attended for row in rows)} attended, {sum(not row.attended for row in rows)} no-shows)"
        + (f"; {len(problems)} rows refused (see above)." if problems else ".")
    )
    if problems:
        raise typer.Exit(2)

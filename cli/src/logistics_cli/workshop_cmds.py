"""`logistics workshop ...`: staff decisions about a workshop, each cascading through the four services."""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Annotated, Any

import httpx
import typer
from rich.table import Table
from shared.contracts import registration

from logistics_cli import api_client
from logistics_cli.common import (
    JsonOption,
    ReasonOption,
    TodayOption,
    command,
    console,
    errors,
    parse_date,
    parse_today,
    send,
    settings,
    settle,
)

workshop_app = typer.Typer(help="Workshop decisions: move, postpone, defer, reschedule, cancel, confirm, close.")

WorkshopId = Annotated[str, typer.Argument(help="Workshop id, e.g. idm-2006-bangkok.")]
City = Annotated[str, typer.Option("--city", help="City of the new venue.")]


def code(value: str) -> str:
    """Codes as people type them: "vie " is VIE (registration also reads a retired code as today's)."""
    return value.strip().upper()


Country = Annotated[
    str, typer.Option("--country", help="ISO 3166 alpha-2 country code of the new venue.", callback=code)
]
Airport = Annotated[
    str,
    typer.Option("--airport", help="IATA code of the airport delegates fly to (KIV is read as RMO).", callback=code),
]
Starts = Annotated[str, typer.Option("--starts", help="First day (YYYY-MM-DD).")]
Ends = Annotated[str, typer.Option("--ends", help="Last day (YYYY-MM-DD).")]
WhatIf = Annotated[
    bool,
    typer.Option(
        "--what-if",
        help="Publish nothing: print what the decision would do with today's fares and money (places, tickets,"
        " fees, refunds, credits, money per donor).",
    ),
]


def decide(
    workshop: str,
    what: str,
    contract: type[registration.WorkshopDecision],
    what_if: bool = False,
    as_json: bool = False,
    **values: Any,
) -> None:
    if what_if:
        show_what_if(command(contract, workshop_id=workshop, **values), as_json)
        return
    envelope = send(f"{what} {workshop} requested", contract, workshop_id=workshop, **values)
    settle("registration", envelope)


def show_what_if(decision: Any, as_json: bool) -> None:
    """Ask the API what the decision would do (nothing is published) and print it; exit 2 when it would be refused."""
    body = {"type": decision.TYPE, "payload": decision.model_dump(mode="json")}
    try:
        response = api_client.post(f"{settings().api}/what-if", json=body, timeout=180)
    except httpx.HTTPError as error:
        errors.print(f"[red]The API did not answer at {settings().api}:[/red] {error}")
        raise typer.Exit(1) from None
    if response.status_code in (409, 422):
        errors.print(f"[red]refused:[/red] {response.json().get('detail')}")
        raise typer.Exit(2)
    if response.status_code != 200:
        errors.print(f"[red]No what-if ({response.status_code}):[/red] {response.json().get('detail')}")
        raise typer.Exit(1)
    found = response.json()
    if as_json:
        print(json.dumps(found, indent=2))
    else:
        print_what_if(found)


def money(value: Any) -> str:
    return "" if value is None else f"{Decimal(str(value)):,.2f}"


# What a ticket's cancellation gave back is shown for the tickets a what-if cancels (a rebooking cancels first).
CANCELLED = ("cancelled", "rebooked", "declined")


def print_what_if(found: dict[str, Any]) -> None:
    decision = found["decision"]
    workshop_id = decision["payload"]["workshop_id"]
    console.print(f"[bold]What-if[/bold] {decision['type']} of {workshop_id}: nothing was published.")
    if not found["changes"]:
        console.print("The decision is already in force: it would change nothing.")
        return
    w = found["workshop"]
    console.print(
        f"The workshop would be {w['status']} ({w['change']}): {w['city']} ({w['airport']}), {w['starts']} to"
        f" {w['ends']}, venue version {w['venue_version']}; tickets priced as of {found['travel_today']}"
        f" ({found['currency']})."
    )
    places = found["places"]
    moves: dict[str, int] = {}
    for place in places:
        key = f"{place['before']} -> {place['after']}"
        moves[key] = moves.get(key, 0) + 1
    console.print("Places: " + "; ".join(f"{key}: {n}" for key, n in sorted(moves.items())))
    console.print(table("Places (no names)", ("delegate", "priority", "now", "after", "ticket", "cost now",
                                              "cost after"), [
        (p["delegate_ref"], str(p["priority"]), str(p["before"]), str(p["after"]), p["ticket"] or "",
         money(p["cost_before"]), money(p["cost_after"]))
        for p in places
    ], left=5))  # fmt: skip
    if found["tickets"]:
        rows = []
        for t in found["tickets"]:
            cancelled = t["outcome"] in CANCELLED
            rows.append(
                (
                    t["delegate_ref"],
                    t["booking_ref"] or "",
                    t["outcome"],
                    money(t["fare"]),
                    money(t["new_fare"]),
                    money(t["change_fee"]) if t["outcome"] == "changed" else "",
                    money(t["cancellation_fee"]) if cancelled else "",
                    money(t["refund"]) if cancelled else "",
                    money(t["credit"]) if cancelled else "",
                )
            )
        columns = ("delegate", "booking", "what", "fare", "new fare", "change fee", "cancel fee", "refund", "credit")
        console.print(table("Tickets (today's fares)", columns, rows, left=3))
    donor_columns = ("committed_before", "committed_after", "change_fees", "cancellation_fees", "airline_credits",
                     "released")  # fmt: skip
    console.print(
        table(
            f"Money per donor ({found['currency']})",
            ("donor", "committed now", "committed after", "change fees", "cancellation fees", "credits left unused",
             "released"),
            [(f"{d['name']} ({d['donor_id']})", *(money(d[k]) for k in donor_columns)) for d in found["donors"]],
        )
    )  # fmt: skip
    for pledge in found["pledges_released"]:
        console.print(f"Pledge {pledge['pledge_id']} of {pledge['donor_id']} would be {pledge['status']} (its terms).")
    for note in found["notes"]:
        console.print(f"[yellow]note[/yellow] {note}")


def table(title: str, columns: tuple[str, ...], rows: Sequence[tuple[str, ...]], left: int = 1) -> Table:
    """The first `left` columns (words) on the left, the rest (money) on the right."""
    shown = Table(title=title)
    for index, column in enumerate(columns):
        shown.add_column(column, justify="left" if index < left else "right")
    for row in rows:
        shown.add_row(*row)
    return shown


@workshop_app.command("move")
def move(
    workshop: WorkshopId,
    city: City,
    country: Country,
    airport: Airport,
    starts: Annotated[str | None, typer.Option("--starts", help="New first day (YYYY-MM-DD).")] = None,
    ends: Annotated[str | None, typer.Option("--ends", help="New last day (YYYY-MM-DD).")] = None,
    today: TodayOption = None,
    what_if: WhatIf = False,
    as_json: JsonOption = False,
) -> None:
    """Move the workshop to another venue: tickets are changed or rebooked, delegates told."""
    decide(
        workshop,
        "Move of",
        registration.MoveWorkshop,
        what_if,
        as_json,
        city=city,
        country=country,
        airport=airport,
        starts=parse_date(starts, "--starts"),
        ends=parse_date(ends, "--ends"),
        today=parse_today(today),
    )


@workshop_app.command("postpone")
def postpone(
    workshop: WorkshopId,
    starts: Starts,
    ends: Ends,
    today: TodayOption = None,
    what_if: WhatIf = False,
    as_json: JsonOption = False,
) -> None:
    """Hold the workshop later at the same venue."""
    decide(
        workshop,
        "Postponement of",
        registration.PostponeWorkshop,
        what_if,
        as_json,
        starts=parse_date(starts, "--starts"),
        ends=parse_date(ends, "--ends"),
        today=parse_today(today),
    )


@workshop_app.command("defer")
def defer(
    workshop: WorkshopId,
    to_year: Annotated[int, typer.Option("--to-year", help="The year the workshop is deferred to.")],
    venue_tbd: Annotated[bool, typer.Option("--venue-tbd", help="The venue is to be revisited.")] = False,
    today: TodayOption = None,
    what_if: WhatIf = False,
    as_json: JsonOption = False,
) -> None:
    """Defer the workshop to a later year: tickets cancelled, sponsorships kept as deferred."""
    decide(
        workshop,
        "Deferral of",
        registration.DeferWorkshop,
        what_if,
        as_json,
        to_year=to_year,
        venue_tbd=venue_tbd,
        today=parse_today(today),
    )


@workshop_app.command("reschedule")
def reschedule(
    workshop: WorkshopId,
    city: City,
    country: Country,
    airport: Airport,
    starts: Starts,
    ends: Ends,
    today: TodayOption = None,
    what_if: WhatIf = False,
    as_json: JsonOption = False,
) -> None:
    """Bring a deferred workshop back at a venue and on dates decided now."""
    decide(
        workshop,
        "Rescheduling of",
        registration.RescheduleWorkshop,
        what_if,
        as_json,
        city=city,
        country=country,
        airport=airport,
        starts=parse_date(starts, "--starts"),
        ends=parse_date(ends, "--ends"),
        today=parse_today(today),
    )


@workshop_app.command("cancel")
def cancel(
    workshop: WorkshopId,
    reason: ReasonOption,
    today: TodayOption = None,
    what_if: WhatIf = False,
    as_json: JsonOption = False,
) -> None:
    """Cancel the workshop: everything released, refunds recorded, delegates told."""
    decide(
        workshop,
        "Cancellation of",
        registration.CancelWorkshop,
        what_if,
        as_json,
        reason=reason,
        today=parse_today(today),
    )


@workshop_app.command("confirm")
def confirm(workshop: WorkshopId, today: TodayOption = None) -> None:
    """Confirm that the workshop takes place as scheduled."""
    decide(workshop, "Confirmation of", registration.ConfirmWorkshop, today=parse_today(today))


@workshop_app.command("close")
def close(workshop: WorkshopId, today: TodayOption = None) -> None:
    """After its last day: the workshop was held. Then record attendance (`logistics delegate attendance`) and
    close the books (`logistics report donor`)."""
    decide(workshop, "Closing of", registration.CloseWorkshop, today=parse_today(today))

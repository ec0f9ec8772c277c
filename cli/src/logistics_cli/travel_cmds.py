"""`logistics travel ...`: quote, book and cancel the sponsored delegates' flights; show one delegate's travel;
approve or reject a costed change of a ticket (`logistics travel change ...`).

Book, cancel and the change decisions publish commands; quote and show read the travel service's HTTP API (JSON).
"""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime
from typing import Annotated, Any

import httpx
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text
from shared.contracts import travel

from logistics_cli import api_client
from logistics_cli.common import (
    JsonOption,
    TodayOption,
    WorkshopOption,
    command,
    console,
    errors,
    parse_today,
    send,
    settings,
    settle,
)

travel_app = typer.Typer(help="Travel: quotes, bookings, cancellations, one delegate's tickets.", no_args_is_help=True)
change_app = typer.Typer(
    help="Costed changes after ticketing: a delegate's change quote, approved or rejected.", no_args_is_help=True
)
travel_app.add_typer(change_app, name="change")

OptionalDelegate = Annotated[
    str | None, typer.Option("--delegate", help="Only this delegate (reference, e.g. GVA-017).")
]
ProgressOption = Annotated[
    bool | None,
    typer.Option("--progress/--no-progress", help="Follow the booking with a progress bar (default: on a terminal)."),
]


def get(path: str, params: dict[str, str] | None = None) -> Any:
    """GET from travel; a refusal or an unreachable service becomes a sentence and exit status 1."""
    base = settings().url("travel")
    try:
        response = api_client.get(f"{base}{path}", params=params, timeout=60)
    except httpx.HTTPError as error:
        errors.print(Text(f"The travel service did not answer at {base}: {error}", style="red"))
        raise typer.Exit(1) from None
    if response.status_code in (404, 422):
        errors.print(Text(str(response.json().get("detail", response.text)), style="red"))
        raise typer.Exit(1)
    response.raise_for_status()
    return response.json()


@travel_app.command("book")
def book(
    workshop: WorkshopOption,
    delegate: OptionalDelegate = None,
    today: TodayOption = None,
    progress: ProgressOption = None,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds to follow the progress.")] = 600.0,
) -> None:
    """Book a ticket for every sponsored delegate of the workshop (or one) who has none for its current venue."""
    who = f"{workshop}, delegate {delegate}" if delegate else workshop
    send(
        f"Booking requested for {who}",
        travel.BookWorkshopTravel,
        workshop_id=workshop,
        today=parse_today(today),
        delegate_ref=delegate,
    )
    if progress if progress is not None else sys.stdout.isatty():
        follow(workshop, timeout)


def follow(workshop: str, timeout: float) -> None:
    """Poll travel until every granted delegate's trip is ticketed, declined or failed (or the timeout)."""
    base = settings().url("travel")
    deadline = time.monotonic() + timeout
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[states]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as bar:
        task = bar.add_task(f"Tickets for {workshop}", total=None, states="")
        seen_work = False
        while time.monotonic() < deadline:
            try:
                state = api_client.get(f"{base}/workshops/{workshop}/progress", timeout=10).json()
            except (httpx.HTTPError, ValueError):
                time.sleep(0.5)  # travel restarting: keep following
                continue
            states = state.get("states", {})
            summary = ", ".join(f"{name} {count}" for name, count in sorted(states.items()))
            bar.update(task, total=state.get("granted") or None, completed=state.get("done", 0), states=summary)
            seen_work = seen_work or bool(states)
            if seen_work and state.get("in_flight", 0) == 0:
                break
            time.sleep(0.5)
        else:
            errors.print(f"[yellow]Still booking after {timeout:.0f} s; follow with logistics travel show.[/yellow]")
            return
    declined = states.get("declined", 0) + states.get("failed", 0)
    console.print(
        f"{states.get('ticketed', 0)} ticketed"
        + (f", {declined} declined or failed (see travel show)" if declined else "")
    )


@travel_app.command("cancel")
def cancel(
    workshop: WorkshopOption,
    reason: Annotated[str, typer.Option("--reason", help="Why: recorded with each cancellation.")],
    delegate: OptionalDelegate = None,
) -> None:
    """Cancel the workshop's bookings (or one delegate's): holds released, tickets refunded or credited."""
    who = f"{workshop}, delegate {delegate}" if delegate else workshop
    send(
        f"Cancellation requested for {who}",
        travel.CancelTravel,
        workshop_id=workshop,
        delegate_ref=delegate,
        reason=reason,
    )


@travel_app.command("quote")
def quote(
    workshop: WorkshopOption,
    delegate: OptionalDelegate = None,
    as_json: JsonOption = False,
    publish: Annotated[
        bool,
        typer.Option(
            "--publish",
            help="Price every delegate who requested sponsorship on --today and publish each quote to sponsorship"
            " (travel.fare_quoted): its airfare estimates. Idempotent per delegate, venue version and date.",
        ),
    ] = False,
    today: TodayOption = None,
) -> None:
    """What the provider would sell each sponsored delegate now, within policy (nothing is held or booked); with
    --publish, quotes for sponsorship's estimates, priced by travel's booking worker."""
    if publish:
        if delegate is not None:
            errors.print("[red]refused:[/red] --publish quotes the whole workshop; leave out --delegate")
            raise typer.Exit(2)
        envelope = send(
            f"Fare quotes for sponsorship requested for {workshop}",
            travel.QuoteWorkshop,
            as_json=as_json,
            workshop_id=workshop,
            today=parse_today(today),
        )
        if not as_json:
            settle("travel", envelope)
        return
    if today is not None:
        errors.print("[red]refused:[/red] --today goes with --publish (a read quotes as of travel's booking date)")
        raise typer.Exit(2)
    found = get(f"/workshops/{workshop}/quotes", {"delegate": delegate} if delegate else None)
    if as_json:
        print(json.dumps(found, indent=2, default=str))
        return
    table = Table(title=f"Quotes for {workshop} as of {found['today']}")
    for column in ("delegate", "from", "class", "fare", "days ahead", "outbound", "warning"):
        table.add_column(column)
    for row in found["quotes"]:
        if "error" in row:
            table.add_row(row["delegate_ref"], row["home_airport"], "", "", "", "", Text(row["error"], style="red"))
            continue
        outbound = row["segments"][0]
        table.add_row(
            row["delegate_ref"],
            row["home_airport"],
            row["fare_class"],
            f"{row['price']} {row['currency']}",
            str(row["days_ahead"]),
            f"{outbound['flight']} {outbound['departs'][:16]}",
            Text(row.get("warning") or "", style="yellow"),
        )
    console.print(table)


@travel_app.command("show")
def show(
    delegate: Annotated[str, typer.Option("--delegate", help="Delegate reference.")], as_json: JsonOption = False
) -> None:
    """One delegate's trips (each venue version and state) and tickets."""
    found = get(f"/delegates/{delegate}/travel")
    if as_json:
        print(json.dumps(found, indent=2, default=str))
        return
    traveller = found["traveller"]
    own_dates = [f"{what} {traveller[key]}" for what, key in (("arrives by", "arrive_on"), ("leaves on", "leave_on"))
                 if traveller.get(key)]  # fmt: skip
    console.print(
        f"[bold]{delegate}[/bold] · {traveller['workshop_id']} · from {traveller['home_airport']}"
        + "".join(f" · {own}" for own in own_dates)
        + f" · sponsorship {traveller['sponsorship']}"
    )
    trips = Table(title="Trips")
    for column in ("venue version", "state", "attempt", "fare", "booking", "ticket", "note"):
        trips.add_column(column)
    for trip in found["trips"]:
        fare = f"{trip['fare']} {trip['currency']}" if trip["fare"] is not None else ""
        trips.add_row(
            str(trip["venue_version"]),
            trip["state"],
            str(trip["attempt"]),
            fare,
            trip["booking_ref"] or "",
            trip["ticket_number"] or "",
            trip["warning"] or trip["reason"] or "",
        )
    console.print(trips)
    quote = found.get("change_quote")
    if quote:
        console.print(f"[bold yellow]Change quote[/bold yellow] {describe_quote(quote)}")
    for ticket in found["bookings"]:
        console.print(
            f"{ticket['booking_ref']} (venue version {ticket['venue_version']}): {ticket['status']},"
            f" {ticket['fare']} {ticket['currency']} class {ticket['fare_class'] or '?'}"
            + (
                f", refund {ticket['refund']} credit {ticket['credit']} fee {ticket['fee']}"
                if ticket["status"] == "cancelled"
                else ""
            )
        )
        for leg in ticket["segments"]:
            console.print(
                f"  {leg['flight']} {leg['origin']} {leg['departs'][:16]} → {leg['destination']} {leg['arrives'][:16]}"
            )


DelegateOption = Annotated[str, typer.Option("--delegate", help="Delegate reference, e.g. GVA-017.")]


def _when(value: str) -> str:
    return datetime.fromisoformat(value).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def describe_quote(quote: dict[str, Any]) -> str:
    """One line: what changes, the option chosen, its extra cost, until when, and its status."""
    text = (
        f"{quote['quote_id']} ({quote['reason']}): {quote['status']}"
        + (f", {quote['chosen']} for {quote['extra']} {quote['currency']} extra" if quote.get("chosen") else "")
        + (f", expires {_when(quote['expires_at'])}" if quote.get("expires_at") else "")
    )
    return text + (f" ({quote['decided_reason']})" if quote.get("decided_reason") else "")


def why_not(delegate: str, quote: dict[str, Any] | None, what: str) -> str | None:
    """Why this quote cannot be approved or rejected now (the service checks again), or None."""
    if quote is None:
        return f"delegate {delegate} has no change quote"
    if quote["status"] == "expired":
        return (
            f"change quote {quote['quote_id']} for delegate {delegate} expired on {_when(quote['expires_at'])}:"
            f" re-quote with `logistics travel change quote --delegate {delegate}`"
        )
    if quote["status"] != "pending":
        detail = f" ({quote['decided_reason']})" if quote.get("decided_reason") else ""
        return (
            f"change quote {quote['quote_id']} for delegate {delegate} is {quote['status']}{detail}: nothing to {what}"
        )
    return None


def _decide(delegate: str, what: str) -> dict[str, Any]:
    found = get(f"/delegates/{delegate}/change-quotes")
    latest = found["quotes"][0] if found["quotes"] else None
    reason = why_not(delegate, latest, what)
    if reason is not None:
        errors.print(Text(f"refused: {reason}", style="red"))
        raise typer.Exit(1)
    assert latest is not None
    return dict(latest)


@change_app.command("approve")
def approve_change(delegate: DelegateOption, as_json: JsonOption = False) -> None:
    """Approve the delegate's pending change quote: the chosen option is carried out once sponsorship approves
    its extra cost; the delegate then gets an "itinerary changed" e-mail."""
    quote = _decide(delegate, "approve")
    envelope = send(f"Change {quote['quote_id']} approved", travel.ApproveChange, delegate_ref=delegate)
    if as_json:
        print(json.dumps({"command_id": str(envelope.event_id), "quote": quote}, indent=2, default=str))


@change_app.command("reject")
def reject_change(
    delegate: DelegateOption,
    reason: Annotated[str, typer.Option("--reason", help="Why: recorded with the quote.")],
) -> None:
    """Reject the delegate's pending change quote: the ticket stays as it is."""
    command(travel.RejectChange, delegate_ref=delegate, reason=reason)  # a bad reason is refused first
    quote = _decide(delegate, "reject")
    send(
        f"Change {quote['quote_id']} rejected",
        travel.RejectChange,
        delegate_ref=delegate,
        reason=reason,
    )


@change_app.command("quote")
def quote_change(delegate: DelegateOption) -> None:
    """Price the delegate's change again (after a quote expired, was declined or failed)."""
    send(f"Change quote requested for {delegate}", travel.QuoteChange, delegate_ref=delegate)


@change_app.command("show")
def show_changes(delegate: DelegateOption, as_json: JsonOption = False) -> None:
    """The delegate's change quotes, newest first, with both options priced."""
    found = get(f"/delegates/{delegate}/change-quotes")
    if as_json:
        print(json.dumps(found, indent=2, default=str))
        return
    if not found["quotes"]:
        console.print(f"{delegate}: no change quote")
    for quote in found["quotes"]:
        console.print(describe_quote(quote))
        for option in quote.get("options") or []:
            console.print(
                f"  {option['kind']}: {option['extra']} {option['currency']} extra (new fare {option['new_fare']},"
                f" fee {option['fee']}, fare difference {option['fare_difference']}, lost {option['lost']})"
            )

"""`logistics ops lag|tail|dlq|health`: what operations staff watch, through the API (role ops; replay: admin).

Nothing here shows personal data: the API strips payloads to their safe fields and never reads the contact topic.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import httpx
import typer
from rich.table import Table

from logistics_cli import api_client
from logistics_cli.common import JsonOption, console, errors, settings

ops_app = typer.Typer(help="Operations: consumer lag, topics live, dead letters and their replay, health.",
                      no_args_is_help=True)  # fmt: skip
dlq_app = typer.Typer(help="Dead letters: list, show, replay (admin).", no_args_is_help=True)
ops_app.add_typer(dlq_app, name="dlq")


def answer(response: httpx.Response) -> Any:
    """The API's JSON, or its reason and exit 2 (exit 3 for a missing token or role, by api_client)."""
    if response.status_code >= 400:
        try:
            detail = response.json().get("detail", response.text)
        except ValueError:
            detail = response.text
        errors.print(f"[red]{detail}[/red]")
        raise typer.Exit(2)
    return response.json()


def call(method: str, path: str, **options: Any) -> Any:
    try:
        with api_client.client(timeout=120) as client:
            return answer(client.request(method, f"{settings().api}{path}", **options))
    except httpx.HTTPError as error:
        errors.print(f"[red]The API did not answer at {settings().api}:[/red] {error}")
        raise typer.Exit(1) from None


def when(value: str | None) -> str:
    return (value or "")[:19].replace("T", " ")


@ops_app.command("lag")
def lag(
    show_all: Annotated[bool, typer.Option("--all", help="Every partition, not only those with lag.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Messages each consumer group has still to read, per topic and partition, from Kafka's committed offsets. A
    group with lag that has not moved for the API's OPS_STUCK_AFTER_S is stuck (exit code 1)."""
    report = call("GET", "/ops/lag")
    stuck = [group["group"] for group in report["groups"] if group["stuck"]]
    if as_json:
        print(json.dumps(report, indent=2))
    else:
        table = Table(title=f"Consumer lag at {when(report['at'])} UTC (stuck after {report['stuck_after_s']:g} s)")
        for column in ("group", "topic", "partition", "committed", "end", "lag"):
            table.add_column(column, justify="right" if column in ("partition", "committed", "end", "lag") else "left")
        for group in report["groups"]:
            state = "[red]STUCK[/red]" if group["stuck"] else ("behind" if group["lag"] else "caught up")
            table.add_row(f"[bold]{group['group']}[/bold]", state, "", "", "", str(group["lag"]))
            for row in group["partitions"]:
                if show_all or row["lag"]:
                    committed = "-" if row["committed"] is None else str(row["committed"])
                    table.add_row("", row["topic"], str(row["partition"]), committed, str(row["end"]), str(row["lag"]))
        console.print(table)
    if stuck:
        errors.print(f"[red]Stuck:[/red] {', '.join(stuck)}")
        raise typer.Exit(1)


def print_envelope(item: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(item), flush=True)
        return
    payload = json.dumps(item["payload"], separators=(",", ":")) if item["payload"] is not None else "(not an envelope)"
    by = f" by {item['actor']}" if item.get("actor") else ""
    console.print(
        f"{when(item['at'])} {item['partition']}:{item['offset']} [bold]{item['event_type']}[/bold]"
        f" {item.get('aggregate_key') or ''}{by} {payload}",
        highlight=False,
    )


@ops_app.command("tail")
def tail(
    topic: Annotated[str, typer.Argument(help="A topic, e.g. travel.booking.v1 (never registration.contact.v1).")],
    limit: Annotated[int, typer.Option("--limit", "-n", help="How many of the newest envelopes.")] = 20,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Then print new envelopes as they arrive.")] = False,
    follow_for: Annotated[float, typer.Option("--for", help="Follow for at most this many seconds.")] = 3600.0,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """A topic's newest envelopes, oldest first, without personal data (payloads show only safe fields); with
    --follow, then each new one as it arrives (Ctrl-C stops)."""
    if not follow:
        for item in call("GET", f"/ops/tail/{topic}", params={"limit": limit}):
            print_envelope(item, as_json)
        return
    params: dict[str, Any] = {"limit": limit, "follow": "true", "follow_s": follow_for}
    try:
        with (
            api_client.client(timeout=httpx.Timeout(30, read=None)) as client,
            client.stream("GET", f"{settings().api}/ops/tail/{topic}", params=params) as response,
        ):
            if response.status_code >= 400:
                response.read()
                answer(response)
            for line in response.iter_lines():
                if line.startswith("data: "):
                    print_envelope(json.loads(line.removeprefix("data: ")), as_json)
    except httpx.HTTPError as error:
        errors.print(f"[red]The API did not answer at {settings().api}:[/red] {error}")
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        return


TopicOption = Annotated[str | None, typer.Option("--topic", help="Only those that failed on this topic.")]
ConsumerOption = Annotated[str | None, typer.Option("--consumer", help="Only those this service gave up on.")]
ReasonMatch = Annotated[str | None, typer.Option("--reason", help="Only those whose reason contains this text.")]


@dlq_app.command("list")
def dlq_list(
    topic: TopicOption = None, consumer: ConsumerOption = None, reason: ReasonMatch = None, as_json: JsonOption = False
) -> None:
    """Dead letters, oldest first: topic, consumer, reason, attempts, first and last attempt, replays."""
    params = {key: value for key, value in (("topic", topic), ("consumer", consumer), ("reason", reason)) if value}
    letters = call("GET", "/ops/dlq", params=params)
    if as_json:
        print(json.dumps(letters, indent=2))
        return
    console.print(f"[bold]Dead letters: {len(letters)}[/bold]")
    for letter in letters:
        attempts = f"{letter['attempts']} attempts, " if letter["attempts"] else ""
        tried = f"{attempts}first {when(letter['first_attempt_at'])}, last {when(letter['last_attempt_at'])}"
        replayed = "".join(f"; replayed by {r['by']} {when(r['at'])}" for r in letter["replays"])
        console.print(f"[bold]{letter['id']}[/bold] {letter['consumer']} {letter['event_type']} key {letter['key']}",
                      highlight=False)  # fmt: skip
        console.print(f"    {tried}{replayed}", highlight=False)
        console.print(f"    [red]{letter['reason']}[/red]", highlight=False)


@dlq_app.command("show")
def dlq_show(
    letter_id: Annotated[str, typer.Argument(help="Its id, from `logistics ops dlq list`.")],
    as_json: JsonOption = False,
) -> None:
    """One dead letter: its facts, its envelope without personal data, and what its consumer's inbox says now."""
    letter = call("GET", f"/ops/dlq/{letter_id}")
    if as_json:
        print(json.dumps(letter, indent=2))
        return
    for key in ("id", "topic", "consumer", "event_type", "event_id", "key", "reason", "attempts", "first_attempt_at",
                "last_attempt_at", "dead_lettered_at", "outcome_now"):  # fmt: skip
        console.print(f"[bold]{key}[/bold]: {letter[key]}", highlight=False)
    for replay in letter["replays"]:
        console.print(f"[bold]replayed[/bold] by {replay['by']} at {when(replay['at'])}", highlight=False)
    console.print(f"[bold]payload[/bold]: {json.dumps(letter['envelope']['payload'])}", highlight=False)


@dlq_app.command("replay")
def dlq_replay(
    letter_id: Annotated[str | None, typer.Argument(help="One dead letter's id.")] = None,
    topic: Annotated[str | None, typer.Option("--topic", help="All of this topic's dead letters.")] = None,
    reason: ReasonMatch = None,
    consumer: ConsumerOption = None,
    again: Annotated[bool, typer.Option("--again", help="Also those already replayed once.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Put dead letters back on their topic for the consumer that failed them (role admin; audited): one by id, all
    of a topic, or those whose reason matches. The consumer applies each once; one that fails again is a new dead
    letter."""
    body = {"id": letter_id, "topic": topic, "reason": reason, "consumer": consumer, "again": again}
    result = call("POST", "/ops/dlq/replay", json=body)
    if as_json:
        print(json.dumps(result, indent=2))
        return
    for item in result["replayed"]:
        console.print(f"Replayed {item['id']} ({item['event_type']}) for {item['consumer']}.", highlight=False)
    if result["already_replayed"]:
        console.print(f"Already replayed (--again to replay them too): {', '.join(result['already_replayed'])}")
    if not result["replayed"]:
        console.print("Nothing replayed.")


@ops_app.command("health")
def health(as_json: JsonOption = False) -> None:
    """Each service: up, consuming, last progress, lag, outbox backlog, the mail queue's age (exit 1 if unhealthy)."""
    report = call("GET", "/ops/health")
    if as_json:
        print(json.dumps(report, indent=2))
    else:
        state = "[green]healthy[/green]" if report["healthy"] else "[red]UNHEALTHY[/red]"
        console.print(f"Health at {when(report['at'])} UTC: {state}")
        for s in report["services"]:
            console.print(f"[bold]{s['service']:<14}[/bold] {service_line(s)}", highlight=False)
    if not report["healthy"]:
        raise typer.Exit(1)


def service_line(s: dict[str, Any]) -> str:
    if not s["up"]:
        return f"[red]DOWN[/red]: {s['problem']}"
    parts = ["up"]
    if s["consuming"] is not None:
        consuming = f"consuming {s['assigned_partitions']} partitions"
        parts.append(consuming if s["consuming"] else "[red]not consuming[/red]")
    if s["last_progress_at"]:
        parts.append(f"last progress {when(s['last_progress_at'])}")
    if s["lag"] is not None:
        parts.append(f"lag {s['lag']}")
    parts.append(f"outbox {s['outbox_pending']} (oldest {s['outbox_oldest_pending_s']} s)")
    if s["mail_waiting"] is not None:
        parts.append(f"mail waiting {s['mail_waiting']} (oldest {s['mail_oldest_waiting_s']} s)")
    if s["problem"]:
        parts.append(f"[red]{s['problem']}[/red]")
    return ", ".join(parts)

"""A ticketed delegate's change of travel dates on the real stack (issue 5): quoted like a new home airport, never
changed silently.

Geneva (12-13 July 2006) is booked: every ticket flies home on 14 July, the policy's day. Registration refuses an
arrival after the workshop starts, with its reason. One ticketed delegate asks to leave two days later
(`logistics delegate travel-dates --leave-on 2006-07-16`): travel prices the change, a pending quote with its fee and
expiry appears, and the ticket stays as it was. Staff reject it: still unchanged. Priced again and approved:
sponsorship pays the extra, the ticket is re-issued flying home on 16 July, one "itinerary changed" e-mail goes out
with a higher calendar SEQUENCE, and the consistency report finds nothing wrong.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from tests.end_to_end.test_travel_change_quotes import (
    WORKSHOP,
    get,
    latest_quote,
    provider_tickets,
    travel_events,
    valid_tickets,
)
from tests.harness import System, eventually

LEAVE_ON = "2006-07-16"  # two days after the policy's day, the day after the workshop ends


def flies_home_on(ticket: dict[str, Any]) -> str:
    leaving = next(leg for leg in ticket["segments"] if leg["origin"] == "GVA")
    return str(leaving["departs"][:10])


def lands_on(ticket: dict[str, Any]) -> str:
    landing = next(leg for leg in ticket["segments"] if leg["destination"] == "GVA")
    return str(landing["arrives"][:10])


def registration_answer(system: System, sent: str, timeout: float = 120) -> dict[str, Any]:
    """Registration's answer to a command the CLI printed as JSON (applied or refused, with the reason)."""
    command_id = json.loads(sent)["command_id"]
    answer = eventually(
        lambda: (
            (found := httpx.get(f"{system.url('registration')}/ops/commands/{command_id}", timeout=30).json()).get(
                "outcome"
            )
            not in (None, "pending")
            and found
        ),
        timeout,
        f"registration's answer to command {command_id}",
    )
    return dict(answer)


def money_held_for(system: System, ref: str) -> Decimal:
    [award] = [a for a in system.sponsorships()["awards"] if a["delegate_ref"] == ref]
    return sum((Decimal(str(line["amount"])) for line in award["lines"]), Decimal(0))


def calendar_sequence(message: Any) -> int:
    [ics] = [p.get_payload(decode=True).decode() for p in message.walk() if p.get_content_type() == "text/calendar"]
    [sequence] = {line.split(":", 1)[1].strip() for line in ics.splitlines() if line.startswith("SEQUENCE:")}
    return int(sequence)


def test_a_change_of_dates_is_quoted_rejected_approved_and_never_changed_silently(
    geneva: System, tmp_path: Path
) -> None:
    system = geneva
    assert system.report()["tickets"]["valid"] == 30
    pledge = tmp_path / "pledge.yaml"  # fresh money: the extra must not depend on what the allocation left
    pledge.write_text(
        "pledges:\n  - {id: aus-geneva-changes, donor: australia, workshop: idm-2006-geneva, amount: 60000,"
        " currency: USD, kind: cash}\n",
        encoding="utf-8",
    )
    system.cli("apply", str(pledge))
    system.wait()
    view = get(system, "travel", f"/workshops/{WORKSHOP}/tickets")
    ref = min(b["delegate_ref"] for b in view["bookings"] if b["status"] == "ticketed")
    [before] = valid_tickets(system, ref)
    [order_before] = provider_tickets(system, ref)
    assert lands_on(before) <= "2006-07-11" and flies_home_on(before) == "2006-07-14"
    registered = get(system, "registration", f"/delegates/{ref}")
    assert (registered["arrive_on"], registered["leave_on"]) == (None, None)

    # 0. A bad date is refused by registration with its reason; the registration stays as it was.
    sent = system.cli("delegate", "travel-dates", "--workshop", WORKSHOP, "--delegate", ref,
                      "--arrive-on", "2006-07-13", "--json").stdout  # fmt: skip
    answer = registration_answer(system, sent)
    assert answer["outcome"] == "refused", answer
    assert answer["reason"] == (
        f"delegate {ref}: workshop {WORKSHOP} runs 2006-07-12 to 2006-07-13; arriving on 2006-07-13 is after it starts"
    )
    assert get(system, "registration", f"/delegates/{ref}")["revision"] == registered["revision"]

    # 1. Two days later home: a pending quote with its fee and expiry; the ticket as it was.
    sent = system.cli("delegate", "travel-dates", "--workshop", WORKSHOP, "--delegate", ref,
                      "--leave-on", LEAVE_ON, "--json").stdout  # fmt: skip
    assert registration_answer(system, sent)["outcome"] == "applied"
    system.wait(timeout=300)
    registered_again = get(system, "registration", f"/delegates/{ref}")
    assert registered_again["leave_on"] == LEAVE_ON and registered_again["revision"] == registered["revision"] + 1
    quote = latest_quote(system, ref)
    assert quote["status"] == "pending", quote
    assert quote["reason"] == f"leave on 2006-07-14 -> {LEAVE_ON}"
    assert (quote["from_airport"], quote["to_airport"], quote["leave_on"]) == (
        before["segments"][0]["origin"], before["segments"][0]["origin"], LEAVE_ON)  # fmt: skip
    assert quote["booking_ref"] == before["booking_ref"] and quote["chosen"] in {"change", "rebook"}
    assert datetime.fromisoformat(quote["expires_at"]) > datetime.now(UTC)
    chosen = next(option for option in quote["options"] if option["kind"] == quote["chosen"])
    assert Decimal(chosen["extra"]) == Decimal(quote["extra"]) and Decimal(chosen["fee"]) >= 0
    assert all(Decimal(o["extra"]) >= Decimal(quote["extra"]) for o in quote["options"]), "the cheaper is chosen"
    for option in quote["options"]:
        assert flies_home_on(option) == LEAVE_ON, option
        if option["kind"] == "change":
            assert Decimal(option["extra"]) == Decimal(option["fee"]) + Decimal(option["fare_difference"])
    quoted = [e for e in travel_events(system, "travel.change_quoted") if e["delegate_ref"] == ref]
    assert [(e["quote_id"], e["reason"]) for e in quoted] == [(quote["quote_id"], quote["reason"])]
    assert valid_tickets(system, ref) == [before]
    assert provider_tickets(system, ref) == [order_before]

    # 2. Rejected: nothing changes.
    system.cli("travel", "change", "reject", "--delegate", ref, "--reason", "the side meeting was cancelled")
    system.wait()
    rejected = latest_quote(system, ref)
    assert (rejected["quote_id"], rejected["status"]) == (quote["quote_id"], "rejected")
    assert valid_tickets(system, ref) == [before]
    assert provider_tickets(system, ref) == [order_before]

    # 3. Priced again and approved: sponsorship pays the extra, the ticket flies home on the new day, one e-mail.
    system.cli("travel", "change", "quote", "--delegate", ref)
    system.wait(timeout=300)
    again = latest_quote(system, ref)
    assert again["status"] == "pending" and again["quote_id"] != quote["quote_id"], again
    assert (again["round"], again["reason"]) == (2, quote["reason"])
    held = money_held_for(system, ref)
    system.cli("travel", "change", "approve", "--delegate", ref)
    system.wait(timeout=300)
    applied = latest_quote(system, ref)
    assert (applied["quote_id"], applied["status"]) == (again["quote_id"], "applied"), applied
    [after] = valid_tickets(system, ref)
    assert lands_on(after) <= "2006-07-11" and flies_home_on(after) == LEAVE_ON
    assert after["venue_version"] == before["venue_version"] and after["ticket_number"] != before["ticket_number"]
    [order_after] = provider_tickets(system, ref)
    assert (order_after["order_id"], order_after["ticket_number"]) == (after["order_id"], after["ticket_number"])
    assert flies_home_on(order_after) == LEAVE_ON
    if again["chosen"] == "change":  # the same booking, a new coupon
        assert after["booking_ref"] == before["booking_ref"] and len(order_after["exchanges"]) == 1
    assert money_held_for(system, ref) == held + Decimal(again["extra"]), "sponsorship pays the extra"
    issued = [e for e in travel_events(system, "travel.ticket_issued") if e["delegate_ref"] == ref]
    assert issued[-1]["itinerary_version"] == 2 and flies_home_on(issued[-1]) == LEAVE_ON
    traveller = get(system, "travel", f"/delegates/{ref}/travel")
    assert traveller["traveller"]["leave_on"] == LEAVE_ON and traveller["change_quote"] is None
    emails = get(system, "notifications", f"/delegates/{ref}/emails")
    assert [e["status"] for e in emails if e["kind"] == "itinerary_changed"] == ["sent"], emails
    mine = [m for m in system.mail() if m["X-Logistics-Delegate"] == ref]
    [first] = [m for m in mine if m["X-Logistics-Kind"] == "itinerary"]
    [changed] = [m for m in mine if m["X-Logistics-Kind"] == "itinerary_changed"]
    assert calendar_sequence(changed) > calendar_sequence(first)
    report = system.report()
    assert report["violations"] == [], report["violations"]

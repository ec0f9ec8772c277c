"""Costed changes after ticketing on the real stack (issue 5): a ticketed delegate's new home airport is quoted,
never changed silently.

Geneva is booked. One ticketed delegate is registered again from another airport: travel prices the change (the
provider's change offer against cancel-and-rebook), stores a pending quote with its extra cost and expiry and
publishes travel.change_quoted; the ticket stays as it was. Staff reject it: still unchanged. The delegate moves
again; staff approve: sponsorship approves the extra cost, the ticket is changed (or rebooked) at the provider,
the delegate holds exactly one valid ticket, from the new airport, the provider's records agree, one
"itinerary changed" e-mail goes out and the consistency report finds nothing wrong. A third move's quote left
to expire cannot be approved: the refusal names its expiry.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.harness import ROOT, System, eventually, read_all

WORKSHOP = "idm-2006-geneva"
DELEGATES = ROOT / "deploy" / "scenarios" / "geneva-2006-delegates.csv"
AIRPORTS = ("ACC", "LOS", "ABJ", "NBO", "DKR")  # in West and East Africa: a policy itinerary to Geneva exists
OFFER_SECONDS = 180  # offers and change offers stay open this long: the expiry is reached within the test


def get(system: System, service: str, path: str) -> Any:
    response = httpx.get(f"{system.url(service)}{path}", timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def valid_tickets(system: System, ref: str) -> list[dict[str, Any]]:
    return [b for b in get(system, "travel", f"/delegates/{ref}/travel")["bookings"] if b["status"] == "ticketed"]


def provider_tickets(system: System, ref: str) -> list[dict[str, Any]]:
    orders = get(system, "gds", "/admin/orders")["orders"]
    return [o for o in orders if o["passenger_ref"] == ref and o["status"] == "ticketed"]


def latest_quote(system: System, ref: str) -> dict[str, Any]:
    quotes = get(system, "travel", f"/delegates/{ref}/change-quotes")["quotes"]
    assert quotes, f"no change quote for {ref}"
    return dict(quotes[0])


def travel_events(system: System, event_type: str) -> list[dict[str, Any]]:
    from shared.contracts.topics import TRAVEL_BOOKING, qualified

    records = asyncio.run(read_all(system.kafka, [qualified(TRAVEL_BOOKING, system.namespace)]))
    envelopes = [json.loads(record.value) for record in records]
    return [e["payload"] for e in envelopes if e["event_type"] == event_type]


def register_from(system: System, tmp_path: Path, ref: str, airport: str, *, pledge: bool = False) -> None:
    """Apply the delegate's Geneva row again with another home airport (registration revision + 1)."""
    with DELEGATES.open(newline="", encoding="utf-8") as source:
        reader = csv.DictReader(source)
        row = next(r for r in reader if r["ref"] == ref)
        columns = reader.fieldnames
    assert columns is not None
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerow({**row, "home_airport": airport})
    (tmp_path / f"{ref}-{airport}.csv").write_text(out.getvalue(), encoding="utf-8")
    lines = [f"delegates:\n  - file: {ref}-{airport}.csv\n"]
    if pledge:
        # Fresh money first: the change's extra cost must not depend on what the allocation happened to leave.
        lines.insert(
            0,
            "pledges:\n  - {id: aus-geneva-changes, donor: australia, workshop: idm-2006-geneva, amount: 60000,"
            " currency: USD, kind: cash}\n",
        )
    apply_file = tmp_path / f"{ref}-{airport}.yaml"
    apply_file.write_text("".join(lines), encoding="utf-8")
    system.cli("apply", str(apply_file))
    system.wait(timeout=300)


@pytest.mark.parametrize("geneva", [{"gds_offer_seconds": OFFER_SECONDS}], indirect=True)
def test_a_new_home_airport_is_quoted_rejected_approved_and_never_changed_silently(
    geneva: System, tmp_path: Path
) -> None:
    system = geneva
    assert system.report()["tickets"]["valid"] == 30
    view = get(system, "travel", f"/workshops/{WORKSHOP}/tickets")
    ref = min(b["delegate_ref"] for b in view["bookings"] if b["status"] == "ticketed")
    [before] = valid_tickets(system, ref)
    home = before["segments"][0]["origin"]
    first, second, third = [airport for airport in AIRPORTS if airport != home][:3]
    [order_before] = provider_tickets(system, ref)
    assert order_before["order_id"] == before["order_id"]

    # 1. A new airport: a pending quote with its cost and expiry; the ticket as it was.
    register_from(system, tmp_path, ref, first, pledge=True)
    quote = latest_quote(system, ref)
    assert quote["status"] == "pending", quote
    assert quote["reason"] == f"home airport {home} -> {first}"
    assert quote["booking_ref"] == before["booking_ref"] and quote["chosen"] in {"change", "rebook"}
    assert float(quote["extra"]) >= 0 and quote["expires_at"]
    assert datetime.fromisoformat(quote["expires_at"]) > datetime.now(UTC)
    chosen = next(option for option in quote["options"] if option["kind"] == quote["chosen"])
    assert float(chosen["extra"]) == float(quote["extra"])
    assert all(float(o["extra"]) >= float(quote["extra"]) for o in quote["options"]), "the cheaper option is chosen"
    for option in quote["options"]:  # each option's cost adds up, by the fare rules
        if option["kind"] == "change":
            assert Decimal(option["extra"]) == Decimal(option["fee"]) + Decimal(option["fare_difference"])
        else:
            paid = Decimal(str(before["fare"]))
            assert Decimal(option["extra"]) == Decimal(option["lost"]) + Decimal(option["new_fare"]) - paid
    assert chosen["segments"][0]["origin"] == first
    quoted = [e for e in travel_events(system, "travel.change_quoted") if e["delegate_ref"] == ref]
    assert [e["quote_id"] for e in quoted] == [quote["quote_id"]]
    shown = system.cli("travel", "show", "--delegate", ref).stdout
    assert quote["quote_id"] in " ".join(shown.split())
    assert valid_tickets(system, ref) == [before]
    assert provider_tickets(system, ref) == [order_before]

    # 2. Rejected: nothing changes.
    system.cli("travel", "change", "reject", "--delegate", ref, "--reason", "the delegate keeps the old flight")
    system.wait()
    rejected = latest_quote(system, ref)
    assert (rejected["quote_id"], rejected["status"]) == (quote["quote_id"], "rejected")
    assert valid_tickets(system, ref) == [before]
    assert provider_tickets(system, ref) == [order_before]

    # 3. Another move, approved: one valid ticket from the new airport, the provider agreeing, one e-mail.
    register_from(system, tmp_path, ref, second)
    again = latest_quote(system, ref)
    assert again["status"] == "pending" and again["quote_id"] != quote["quote_id"], again
    assert again["reason"] == f"home airport {home} -> {second}"
    system.cli("travel", "change", "approve", "--delegate", ref)
    system.wait(timeout=300)
    applied = latest_quote(system, ref)
    assert (applied["quote_id"], applied["status"]) == (again["quote_id"], "applied"), applied
    [after] = valid_tickets(system, ref)
    assert after["segments"][0]["origin"] == second and after["segments"][-1]["destination"] == second
    flies_to = [leg["destination"] for leg in after["segments"]]  # non-stop or through hubs
    assert "GVA" in flies_to[:-1] and after["venue_version"] == before["venue_version"]
    [order_after] = provider_tickets(system, ref)
    assert order_after["order_id"] == after["order_id"]
    assert order_after["ticket_number"] == after["ticket_number"] != before["ticket_number"]
    assert order_after["segments"][0]["origin"] == second
    if again["chosen"] == "change":  # changed at the provider: the same order and booking, a new coupon
        assert after["booking_ref"] == before["booking_ref"] and order_after["order_id"] == order_before["order_id"]
        assert len(order_after["exchanges"]) == 1
    else:  # cancelled (refund or credit recorded) and booked again
        old = next(o for o in get(system, "gds", "/admin/orders")["orders"] if o["order_id"] == before["order_id"])
        assert old["status"] == "cancelled"
    traveller = get(system, "travel", f"/delegates/{ref}/travel")
    assert traveller["traveller"]["home_airport"] == second and traveller["change_quote"] is None
    issued = [e for e in travel_events(system, "travel.ticket_issued") if e["delegate_ref"] == ref]
    assert issued[-1]["itinerary_version"] == 2 and issued[-1]["segments"][0]["origin"] == second
    emails = get(system, "notifications", f"/delegates/{ref}/emails")
    changed = [e for e in emails if e["kind"] == "itinerary_changed"]
    assert len(changed) == 1 and changed[0]["status"] == "sent", emails
    report = system.report()
    assert report["violations"] == [], report["violations"]

    # 4. A third move, left to expire: approving it is refused with its expiry, and nothing changes.
    register_from(system, tmp_path, ref, third)
    late = eventually(
        lambda: (q := latest_quote(system, ref))["reason"] == f"home airport {second} -> {third}" and q,
        60,
        "the third move quoted",
    )  # until then the latest quote is the second move's, applied
    assert late["status"] == "pending", late
    # The provider's clock passes the quote's expiry (its change offer's); travel hears of it at its next call there.
    expires = datetime.fromisoformat(late["expires_at"])
    ahead = (expires - datetime.now(UTC)).total_seconds() + 5
    httpx.post(f"{system.url('gds')}/admin/clock", json={"seconds": ahead}, timeout=30).raise_for_status()
    eventually(
        lambda: get(system, "travel", "/ops/status")["provider"]["clock_skew_s"] >= ahead - 2,
        30,
        "travel reading the provider's clock",
    )
    refused = system.cli("travel", "change", "approve", "--delegate", ref, check=False)
    said = " ".join((refused.stdout + refused.stderr).split())
    assert refused.returncode == 1, said
    assert f"change quote {late['quote_id']} for delegate {ref} expired on" in said, said
    assert f"re-quote with `logistics travel change quote --delegate {ref}`" in said, said
    system.wait()
    assert latest_quote(system, ref)["status"] == "expired"
    assert valid_tickets(system, ref) == [after]
    assert provider_tickets(system, ref) == [order_after]

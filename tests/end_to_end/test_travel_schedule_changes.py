"""The airline changes booked flights (the simulated GDS's schedule-change feed, polled by travel).

A small delay keeps the policy: the ticket is re-issued once with a higher itinerary version (same booking
reference). A delay that lands delegates on the workshop's first day, or makes them miss a connection at a hub,
breaks the policy: the ticket is cancelled at the provider and the delegate booked again (ticketed if
sponsorship approves the new fare, else declined).
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from datetime import datetime
from typing import Any

import httpx

from tests.harness import System, eventually, read_all

WORKSHOP = "idm-2006-geneva"


def travel_events(system: System, event_type: str) -> list[dict[str, Any]]:
    from shared.contracts.topics import TRAVEL_BOOKING, qualified

    topic = qualified(TRAVEL_BOOKING, system.namespace)
    records = asyncio.run(read_all(system.kafka, [topic]))
    envelopes = [json.loads(record.value) for record in records]
    return [e["payload"] for e in envelopes if e["event_type"] == event_type]


def tickets(system: System) -> list[dict[str, Any]]:
    view = httpx.get(f"{system.url('travel')}/workshops/{WORKSHOP}/tickets", timeout=30).json()
    return [b for b in view["bookings"] if b["status"] == "ticketed"]


def outbound(system: System, order_id: str) -> list[dict[str, Any]]:
    """The legs to Geneva (one, or several through hubs)."""
    order = httpx.get(f"{system.url('gds')}/orders/{order_id}", timeout=30).json()
    legs = []
    for leg in order["segments"]:
        legs.append(dict(leg))
        if leg["destination"] == "GVA":
            return legs
    raise AssertionError(f"order {order_id} never reaches GVA")


def minutes_between(arriving: dict[str, Any], leaving: dict[str, Any]) -> int:
    wait = datetime.fromisoformat(leaving["departs"]) - datetime.fromisoformat(arriving["arrives"])
    return int(wait.total_seconds() // 60)


def announce(system: System, leg: dict[str, Any], minutes: int) -> list[str]:
    change = {"flight": leg["flight"], "departure_date": leg["departs"][:10], "delay_minutes": minutes}
    response = httpx.post(f"{system.url('gds')}/admin/schedule-change", json=change, timeout=30)
    assert response.status_code == 200, response.text
    return list(response.json()["order_ids"])


def test_schedule_changes_reissue_or_rebook(geneva: System) -> None:
    system = geneva
    assert system.report()["tickets"]["valid"] == 30
    booked = tickets(system)
    journeys = {b["order_id"]: outbound(system, b["order_id"]) for b in booked}
    legs = {order: journey[-1] for order, journey in journeys.items()}  # the flights landing in Geneva
    # Two different flights into Geneva: the one landing earliest delayed 40 minutes (still the day before), another
    # by a day (now landing on 12 July, the first day).
    by_flight = {leg["flight"]: order for order, leg in legs.items()}
    first, second = sorted(by_flight.values(), key=lambda order: legs[order]["arrives"][11:16])[:2]
    assert legs[first]["arrives"][11:13] < "23"
    delayed = announce(system, legs[first], 40)
    broken = announce(system, legs[second], 24 * 60)
    # A third delegate's first leg, to a hub, delayed until the connection there is 30 minutes: missed.
    missed = next(
        order
        for order, journey in sorted(journeys.items())
        if len(journey) > 1 and order not in {*delayed, *broken} and minutes_between(journey[0], journey[1]) < 600
    )
    hub_leg, onward = journeys[missed][:2]
    assert announce(system, hub_leg, minutes_between(hub_leg, onward) - 30) == [missed]
    broken.append(missed)
    announced = httpx.get(f"{system.url('gds')}/schedule-changes", timeout=30).json()["last_sequence"]
    eventually(  # travel reads the airline's feed every 5 s
        lambda: (
            httpx.get(f"{system.url('travel')}/ops/status", timeout=30).json()["provider"]["schedule_changes_applied"]
            >= announced
        ),
        60,
        "travel applying the schedule changes",
    )
    system.wait(timeout=300)

    issued = travel_events(system, "travel.ticket_issued")
    reissued = [e for e in issued if e.get("itinerary_version", 1) == 2]
    delayed_refs = {b["delegate_ref"] for b in booked if b["order_id"] in delayed}
    assert {e["delegate_ref"] for e in reissued} == delayed_refs and len(reissued) == len(delayed_refs)
    for event in reissued:
        assert event["booking_ref"] in {b["booking_ref"] for b in booked}
        landing = next(leg for leg in event["segments"] if leg["destination"] == "GVA")
        assert landing["arrives"][:10] == "2006-07-11"

    broken_refs = {b["delegate_ref"] for b in booked if b["order_id"] in broken}
    cancelled = travel_events(system, "travel.ticket_cancelled")
    assert Counter(e["delegate_ref"] for e in cancelled) == Counter(broken_refs)
    orders = httpx.get(f"{system.url('gds')}/admin/orders", timeout=30).json()["orders"]
    assert all(o["status"] == "cancelled" for o in orders if o["order_id"] in broken)
    after = tickets(system)
    assert len({b["delegate_ref"] for b in after}) == len(after), "never two valid tickets for one delegate"
    for ticket in after:
        if ticket["delegate_ref"] in broken_refs:
            assert ticket["order_id"] not in broken
    states = httpx.get(f"{system.url('travel')}/workshops/{WORKSHOP}/progress", timeout=30).json()["states"]
    assert set(states) <= {"ticketed", "declined"} and sum(states.values()) == 30, json.dumps(states)

    # Every delegate whose ticket changed is told once, with the new flights: "itinerary changed", e-mail
    # version 2 (after the first itinerary), calendar SEQUENCE 2(2-1) so calendars replace the old flights.
    rebooked = {b["delegate_ref"] for b in after} & broken_refs
    changed = [m for m in system.mail() if m["X-Logistics-Kind"] == "itinerary_changed"]
    assert Counter(m["X-Logistics-Delegate"] for m in changed) == Counter(delayed_refs | rebooked)
    for message in changed:
        assert message["X-Logistics-Version"] == "2"
        [ics] = [p.get_payload(decode=True).decode() for p in message.walk() if p.get_content_type() == "text/calendar"]
        assert "SEQUENCE:2" in ics
    assert system.report()["violations"] == []

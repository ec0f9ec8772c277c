"""The simulated GDS as its own process on loopback, driven over real HTTP, and the client against it."""

from __future__ import annotations

import asyncio
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from travel.adapters.fare_provider import GdsProvider
from travel.adapters.gds_client import (
    FareNoLongerAvailable,
    GdsClient,
    GdsOrder,
    HoldExpired,
    OfferExpired,
    SoldOut,
    idempotency_key,
)
from travel.domain import booking
from travel.domain.booking import split_directions

DEPARTS, RETURNS = date(2006, 7, 11), date(2006, 7, 14)
EARLY = date(2006, 4, 20)  # 82 days ahead
WORKSHOP = "idm-2006-geneva"

pytestmark = pytest.mark.slow  # starts simulator processes


def search(origin: str = "DKR", today: date = EARLY, departs: date = DEPARTS) -> dict[str, str]:
    return {
        "origin": origin,
        "destination": "GVA",
        "departure_date": departs.isoformat(),
        "return_date": RETURNS.isoformat(),
        "today": today.isoformat(),
    }


@dataclass
class RunningSimulator:
    url: str
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def start_simulator(tmp_path: Path) -> Iterator[Callable[..., RunningSimulator]]:
    """Start `python -m gds` on a free loopback port; stop it after the test."""
    started: list[RunningSimulator] = []

    def start(*, seed: int = 1, fault_rate: float = 0.0, **options: Any) -> RunningSimulator:
        port = free_port()
        command = [sys.executable, "-m", "gds", "--port", str(port), "--seed", str(seed)]
        command += ["--fault-rate", str(fault_rate)]
        for name, value in options.items():
            command += [f"--{name.replace('_', '-')}", str(value)]
        log = tmp_path / f"simulator-{port}.log"
        with log.open("wb") as output:
            process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
        running = RunningSimulator(f"http://127.0.0.1:{port}", process)
        started.append(running)
        deadline = time.monotonic() + 20
        while True:
            assert process.poll() is None, f"simulator exited: {log.read_text()}"
            try:
                if httpx.get(f"{running.url}/health", timeout=1).status_code == 200:
                    return running
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"simulator not ready after 20s: {log.read_text()}"
            time.sleep(0.05)

    yield start
    for running in started:
        running.stop()


async def offers(http: httpx.AsyncClient, **kwargs: Any) -> list[dict[str, Any]]:
    response = await http.post("/offers", json=search(**kwargs))
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["offers"]
    return found


async def hold(http: httpx.AsyncClient, offer_id: str, key: str, passenger: str = "GVA-001") -> httpx.Response:
    return await http.post(
        "/orders", json={"offer_id": offer_id, "passenger_ref": passenger}, headers={"Idempotency-Key": key}
    )


async def ticket(http: httpx.AsyncClient, order_id: str, key: str) -> httpx.Response:
    return await http.post(f"/orders/{order_id}/ticket", headers={"Idempotency-Key": key})


async def admin_orders(http: httpx.AsyncClient) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = (await http.get("/admin/orders")).json()["orders"]
    return found


def cheapest(found: list[dict[str, Any]]) -> Decimal:
    return min(Decimal(offer["price"]["amount"]) for offer in found)


async def test_prices_follow_the_advance_purchase_curve(start_simulator: Callable[..., RunningSimulator]) -> None:
    simulator = start_simulator()
    async with httpx.AsyncClient(base_url=simulator.url) as http:
        prices = {
            days: cheapest(await offers(http, today=DEPARTS - timedelta(days=days))) for days in (150, 60, 30, 14, 5)
        }

    assert prices[150] == prices[60]
    assert prices[60] < prices[30] < prices[14] < prices[5]
    assert Decimal("1.35") < prices[14] / prices[60] < Decimal("1.90")  # between the bends at 21 and 7 days
    assert abs(prices[5] / prices[60] - Decimal("2.40")) < Decimal("0.01")


async def test_offers_carry_class_seats_expiry_and_the_itinerary(
    start_simulator: Callable[..., RunningSimulator],
) -> None:
    simulator = start_simulator()
    async with httpx.AsyncClient(base_url=simulator.url) as http:
        found = await offers(http)
        unknown = await http.post("/offers", json={**search(), "origin": "XQX"})

    assert {offer["fare_class"] for offer in found} == {"V", "M", "Y"}
    assert all(offer["seats_left"] > 0 and offer["expires_at"] for offer in found)
    segments = found[0]["segments"]
    outbound, back = split_directions(tuple(segments), "GVA")
    assert (outbound[0]["origin"], outbound[-1]["destination"], back[0]["origin"], back[-1]["destination"]) == (
        "DKR",
        "GVA",
        "GVA",
        "DKR",
    )
    assert outbound[0]["departs"].startswith("2006-07-11") and back[0]["departs"].startswith("2006-07-14")
    assert found[0]["seats_left"] == min(found[0]["seats_by_leg"]) and len(found[0]["seats_by_leg"]) == len(segments)
    assert unknown.status_code == 422 and "XQX" in unknown.json()["error"]["message"]


async def test_the_same_idempotency_key_never_makes_a_second_order_or_ticket(
    start_simulator: Callable[..., RunningSimulator],
) -> None:
    simulator = start_simulator()
    async with httpx.AsyncClient(base_url=simulator.url) as http:
        offer_id = (await offers(http))[0]["offer_id"]
        first, again = await hold(http, offer_id, "hold-1"), await hold(http, offer_id, "hold-1")
        order_id = first.json()["order_id"]
        issued, reissued = await ticket(http, order_id, "ticket-1"), await ticket(http, order_id, "ticket-1")
        other_key = await ticket(http, order_id, "ticket-2")
        reused = await hold(http, offer_id, "hold-1", passenger="GVA-002")
        missing = await http.post("/orders", json={"offer_id": offer_id, "passenger_ref": "GVA-001"})
        found = (await http.get("/orders", params={"idempotency_key": "hold-1"})).json()["orders"]
        orders = await admin_orders(http)

    assert first.status_code == 201 and again.status_code == 201
    assert again.json()["order_id"] == order_id and again.headers["Idempotent-Replayed"] == "true"
    assert issued.status_code == 200 and reissued.status_code == 200
    assert reissued.json()["ticket_number"] == issued.json()["ticket_number"] is not None
    assert other_key.status_code == 409 and other_key.json()["error"]["code"] == "already_ticketed"
    assert reused.status_code == 422 and missing.status_code == 400
    assert [order["order_id"] for order in found] == [order_id]
    assert len(orders) == 1 and orders[0]["status"] == "ticketed"


async def test_a_hold_past_its_deadline_cannot_be_ticketed(start_simulator: Callable[..., RunningSimulator]) -> None:
    simulator = start_simulator(hold_seconds=60)
    async with httpx.AsyncClient(base_url=simulator.url) as http:
        order_id = (await hold(http, (await offers(http))[0]["offer_id"], "hold-1")).json()["order_id"]
        await http.post("/admin/clock", json={"seconds": 61})
        late = await ticket(http, order_id, "ticket-1")
        order = (await http.get(f"/orders/{order_id}")).json()

    assert late.status_code == 409
    assert late.json()["error"]["code"] == "hold_expired" and "expired" in late.json()["error"]["message"]
    assert order["status"] == "expired" and order["ticket_number"] is None


async def test_seats_run_out_and_come_back_when_a_hold_is_cancelled(
    start_simulator: Callable[..., RunningSimulator],
) -> None:
    simulator = start_simulator(seed=4)
    async with httpx.AsyncClient(base_url=simulator.url) as http:
        saver = next(offer for offer in await offers(http) if offer["fare_class"] == "V")
        seats = saver["seats_left"]
        held = [await hold(http, saver["offer_id"], f"hold-{n}", f"GVA-{n:03}") for n in range(seats)]
        one_too_many = await hold(http, saver["offer_id"], "hold-extra", "GVA-999")
        after = [offer for offer in await offers(http) if offer["offer_id"] == saver["offer_id"]]
        cancelled = await http.post(
            f"/orders/{held[0].json()['order_id']}/cancel", headers={"Idempotency-Key": "cancel-0"}
        )
        back = [offer for offer in await offers(http) if offer["offer_id"] == saver["offer_id"]]

    assert seats == min(saver["seats_by_leg"]) and 4 <= seats <= 9 * 8  # a flight from or to a hub: 8 times more
    assert all(response.status_code == 201 for response in held)
    assert one_too_many.status_code == 409 and one_too_many.json()["error"]["code"] == "sold_out"
    assert after == []
    assert cancelled.json()["cancellation"]["outcome"] == "void"
    assert [offer["seats_left"] for offer in back] == [1]


async def test_a_seat_scale_multiplies_every_fare_class(start_simulator: Callable[..., RunningSimulator]) -> None:
    plain, scaled = start_simulator(seed=4), start_simulator(seed=4, seat_scale=3)
    async with httpx.AsyncClient(base_url=plain.url) as one, httpx.AsyncClient(base_url=scaled.url) as three:
        seats = {offer["offer_id"]: offer["seats_left"] for offer in await offers(one)}
        tripled = {offer["offer_id"]: offer["seats_left"] for offer in await offers(three)}

    assert seats and tripled == {offer: 3 * left for offer, left in seats.items()}


def test_a_seat_scale_below_one_is_refused() -> None:
    ran = subprocess.run([sys.executable, "-m", "gds", "--seat-scale", "0"], capture_output=True, text=True)

    assert ran.returncode == 2 and "--seat-scale must be at least 1" in ran.stderr


async def test_cancellation_refunds_or_credits_by_fare_class(start_simulator: Callable[..., RunningSimulator]) -> None:
    simulator = start_simulator()
    results = {}
    async with httpx.AsyncClient(base_url=simulator.url) as http:
        found = await offers(http)
        for fare_class in ("V", "M", "Y"):
            offer = next(o for o in found if o["fare_class"] == fare_class)
            order_id = (await hold(http, offer["offer_id"], f"hold-{fare_class}")).json()["order_id"]
            await ticket(http, order_id, f"ticket-{fare_class}")
            cancel = await http.post(f"/orders/{order_id}/cancel", headers={"Idempotency-Key": f"cancel-{fare_class}"})
            results[fare_class] = (Decimal(offer["price"]["amount"]), cancel.json()["cancellation"])
        again = await http.post(f"/orders/{order_id}/cancel", headers={"Idempotency-Key": "cancel-twice"})

    paid, saver = results["V"]
    assert saver["outcome"] == "credit" and Decimal(saver["amount"]["amount"]) == paid - 100
    paid, flex = results["M"]
    assert flex["outcome"] == "refund" and Decimal(flex["amount"]["amount"]) == paid - 50
    paid, full = results["Y"]
    assert full["outcome"] == "refund" and Decimal(full["amount"]["amount"]) == paid
    assert Decimal(full["fee"]["amount"]) == 0
    assert again.status_code == 409 and again.json()["error"]["code"] == "not_cancellable"


async def fault_pattern(url: str) -> list[int]:
    async with httpx.AsyncClient(base_url=url) as http:
        return [
            (await http.post("/offers", json=search(today=DEPARTS - timedelta(days=n)))).status_code
            for n in range(1, 201)
        ]


async def test_faults_come_at_about_the_configured_rate_and_repeat_for_a_seed(
    start_simulator: Callable[..., RunningSimulator],
) -> None:
    first = await fault_pattern(start_simulator(seed=11, fault_rate=0.3).url)
    same_seed = await fault_pattern(start_simulator(seed=11, fault_rate=0.3).url)
    other_seed = await fault_pattern(start_simulator(seed=12, fault_rate=0.3).url)

    assert set(first) == {200, 503}
    assert 0.2 < first.count(503) / len(first) < 0.4
    assert same_seed == first
    assert other_seed != first


async def test_a_timeout_after_acceptance_has_still_made_the_order(
    start_simulator: Callable[..., RunningSimulator], tmp_path: Path
) -> None:
    state = tmp_path / "gds.json"
    calm = start_simulator(seed=3, state=state)
    async with httpx.AsyncClient(base_url=calm.url) as http:
        offer_id = (await offers(http))[0]["offer_id"]
    calm.stop()
    failing = start_simulator(seed=3, state=state, fault_rate=1.0, fault_delay=1.5)  # every call fails
    outcomes: dict[str, str] = {}
    async with httpx.AsyncClient(base_url=failing.url, timeout=0.3) as http:
        for n in range(12):
            try:
                outcomes[f"hold-{n}"] = str((await hold(http, offer_id, f"hold-{n}", f"GVA-{n:03}")).status_code)
            except httpx.ReadTimeout:
                outcomes[f"hold-{n}"] = "timeout"
        orders = await admin_orders(http)

    made = {order["idempotency_keys"]["hold"] for order in orders}
    assert set(outcomes.values()) == {"503", "timeout"}
    assert made == {key for key, outcome in outcomes.items() if outcome == "timeout"}


async def test_thirty_delegates_end_with_exactly_one_ticket_each_through_faults(
    start_simulator: Callable[..., RunningSimulator],
) -> None:
    simulator = start_simulator(seed=5, fault_rate=0.2, fault_delay=2.0)  # a delayed fault outlasts the timeout
    homes = ["DKR", "LIM", "BKK", "NBO", "DEL", "JNB"]
    delegates = {f"GVA-{n:03}": homes[n % len(homes)] for n in range(1, 31)}

    async def book(client: GdsClient, delegate_ref: str, home: str) -> GdsOrder:
        for attempt in range(1, 8):
            found = await client.search_offers(home, "GVA", DEPARTS, RETURNS, EARLY)
            try:
                order = await client.hold(
                    found[0].offer_id, delegate_ref, idempotency_key(delegate_ref, WORKSHOP, 1, "hold", attempt)
                )
                if order.status != "held":
                    continue
                return await client.ticket(
                    order.order_id, idempotency_key(delegate_ref, WORKSHOP, 1, "ticket", attempt)
                )
            except (FareNoLongerAvailable, HoldExpired, OfferExpired, SoldOut):
                continue
        raise AssertionError(f"{delegate_ref}: no ticket after 7 attempts")

    # Thirty searches at once on a loaded machine can take most of a second: the timeout leaves them that.
    async with GdsClient(simulator.url, timeout=0.9, attempts=20, backoff=0.02) as client:
        tickets = await asyncio.gather(*(book(client, ref, home) for ref, home in delegates.items()))
    async with httpx.AsyncClient(base_url=simulator.url) as http:
        orders = await admin_orders(http)
        stats = (await http.get("/admin/stats")).json()

    ticketed = [order for order in orders if order["status"] == "ticketed"]
    assert Counter(order["passenger_ref"] for order in ticketed) == Counter(list(delegates))
    assert {(t.passenger_ref, t.ticket_number) for t in tickets} == {
        (order["passenger_ref"], order["ticket_number"]) for order in ticketed
    }
    assert {order["status"] for order in orders} <= {"ticketed", "released"}  # no hold left dangling
    assert all(stats["faults"][kind] > 0 for kind in ("server_error", "accepted_timeout", "fare_unavailable"))


async def test_a_restarted_simulator_keeps_its_orders(
    start_simulator: Callable[..., RunningSimulator], tmp_path: Path
) -> None:
    state = tmp_path / "gds.json"
    first = start_simulator(seed=2, state=state)
    async with httpx.AsyncClient(base_url=first.url) as http:
        order_id = (await hold(http, (await offers(http))[0]["offer_id"], "hold-1")).json()["order_id"]
        number = (await ticket(http, order_id, "ticket-1")).json()["ticket_number"]
    first.stop()
    second = start_simulator(seed=2, state=state)
    async with httpx.AsyncClient(base_url=second.url) as http:
        order = (await http.get(f"/orders/{order_id}")).json()
        replayed = await ticket(http, order_id, "ticket-1")
        orders = await admin_orders(http)

    assert order["status"] == "ticketed" and order["ticket_number"] == number
    assert replayed.json()["ticket_number"] == number and len(orders) == 1


async def test_schedule_changes_are_announced_for_booked_flights(
    start_simulator: Callable[..., RunningSimulator],
) -> None:
    simulator = start_simulator()
    async with httpx.AsyncClient(base_url=simulator.url) as http:
        order_id = (await hold(http, (await offers(http))[0]["offer_id"], "hold-1")).json()["order_id"]
        outbound = (await ticket(http, order_id, "ticket-1")).json()["segments"][0]
        change = {"flight": outbound["flight"], "departure_date": "2006-07-11", "delay_minutes": 180}
        announced = await http.post("/admin/schedule-change", json=change)
        unbooked = await http.post("/admin/schedule-change", json={**change, "flight": "SG1"})
        order = (await http.get(f"/orders/{order_id}")).json()
    async with GdsClient(simulator.url) as client:
        feed, later = await client.schedule_changes(since=0), await client.schedule_changes(since=1)

    assert announced.status_code == 200 and unbooked.status_code == 404
    assert [(c.sequence, c.flight, c.order_ids) for c in feed] == [(1, outbound["flight"], (order_id,))]
    assert later == []
    assert order["segments"][0]["departs"] == outbound["departs"].replace("T07:00", "T10:00")
    assert order["schedule_changes"] == [1]


async def test_offer_round_trip_latency(start_simulator: Callable[..., RunningSimulator]) -> None:
    simulator = start_simulator()
    timings = []
    async with httpx.AsyncClient(base_url=simulator.url) as http:
        for n in range(200):
            started = time.perf_counter()
            response = await http.post("/offers", json=search(today=DEPARTS - timedelta(days=1 + n % 150)))
            timings.append(time.perf_counter() - started)
            assert response.status_code == 200
    timings.sort()
    p50, p99 = statistics.median(timings), timings[int(len(timings) * 0.99) - 1]
    print(f"offer round trip over loopback: p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms")
    assert p99 < 1.0


async def ticketed_order(http: httpx.AsyncClient, fare_class: str = "V") -> dict[str, Any]:
    offer_id = next(o["offer_id"] for o in await offers(http) if o["fare_class"] == fare_class)
    order_id = (await hold(http, offer_id, f"hold-{fare_class}")).json()["order_id"]
    order: dict[str, Any] = (await ticket(http, order_id, f"ticket-{fare_class}")).json()
    return order


async def test_a_ticket_changes_to_another_origin_once_per_key_keeping_its_booking(
    start_simulator: Callable[..., RunningSimulator],
) -> None:
    simulator = start_simulator()
    async with httpx.AsyncClient(base_url=simulator.url) as http:
        order = await ticketed_order(http)
        priced = await http.post(f"/orders/{order['order_id']}/change-offers", json=search(origin="ACC"))
        change = priced.json()["offers"][0]
        body, key = {"change_offer_id": change["change_offer_id"]}, {"Idempotency-Key": "change-1"}
        first = await http.post(f"/orders/{order['order_id']}/changes", json=body, headers=key)
        again = await http.post(f"/orders/{order['order_id']}/changes", json=body, headers=key)
        found = (await http.get("/orders", params={"idempotency_key": "change-1"})).json()["orders"]
        orders = await admin_orders(http)

    assert priced.status_code == 200
    paid, new_price = Decimal(order["price"]["amount"]), Decimal(change["price"]["amount"])
    assert Decimal(change["change_fee"]["amount"]) == 75  # economy saver
    assert Decimal(change["fare_difference"]["amount"]) == max(new_price - paid, Decimal(0))
    assert Decimal(change["total_due"]["amount"]) == 75 + Decimal(change["fare_difference"]["amount"])
    assert change["expires_at"] and change["segments"][0]["origin"] == "ACC"
    cancellation = priced.json()["cancellation"]
    assert cancellation["outcome"] == "credit" and Decimal(cancellation["fee"]["amount"]) == 100
    assert first.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    changed = first.json()
    assert (changed["order_id"], changed["booking_reference"]) == (order["order_id"], order["booking_reference"])
    assert changed["ticket_number"] != order["ticket_number"] == changed["exchanges"][0]["previous_ticket_number"]
    assert changed["segments"][0]["origin"] == "ACC" and changed["price"]["amount"] == change["price"]["amount"]
    assert again.json()["ticket_number"] == changed["ticket_number"] and len(changed["exchanges"]) == 1
    assert [o["order_id"] for o in found] == [order["order_id"]] and len(orders) == 1


async def test_a_change_offer_expires_and_only_ticketed_orders_change(
    start_simulator: Callable[..., RunningSimulator],
) -> None:
    simulator = start_simulator(offer_seconds=60)
    async with httpx.AsyncClient(base_url=simulator.url) as http:
        order = await ticketed_order(http)
        change = (await http.post(f"/orders/{order['order_id']}/change-offers", json=search(origin="ACC"))).json()
        await http.post("/admin/clock", json={"seconds": 61})
        late = await http.post(
            f"/orders/{order['order_id']}/changes",
            json={"change_offer_id": change["offers"][0]["change_offer_id"]},
            headers={"Idempotency-Key": "change-late"},
        )
        held_id = (await hold(http, (await offers(http))[0]["offer_id"], "hold-2", "GVA-002")).json()["order_id"]
        not_ticketed = await http.post(f"/orders/{held_id}/change-offers", json=search(origin="ACC"))
        unchanged = (await http.get(f"/orders/{order['order_id']}")).json()

    assert late.status_code == 410 and late.json()["error"]["code"] == "offer_expired"
    assert not_ticketed.status_code == 409 and not_ticketed.json()["error"]["code"] == "not_changeable"
    assert unchanged["ticket_number"] == order["ticket_number"] and unchanged["segments"] == order["segments"]


async def test_the_client_changes_once_through_faults_and_resolves_by_key(
    start_simulator: Callable[..., RunningSimulator],
) -> None:
    simulator = start_simulator(seed=7, fault_rate=0.5, fault_delay=1.0)
    async with GdsClient(simulator.url, timeout=0.4, attempts=12, backoff=0.02) as client:
        found = await client.search_offers("DKR", "GVA", DEPARTS, RETURNS, EARLY)
        order = await client.hold(found[0].offer_id, "GVA-001", "hold-x")
        order = await client.ticket(order.order_id, "ticket-x")
        priced = await client.change_offers(order.order_id, "ACC", "GVA", DEPARTS, RETURNS, EARLY)
        changed = await client.change(order.order_id, priced.offers[0].change_offer_id, "change-x")
        resolved = await client.resolve("change", "change-x")
    async with httpx.AsyncClient(base_url=simulator.url) as http:
        [stored] = await admin_orders(http)

    assert changed.ticket_number != order.ticket_number and changed.segments[0].origin == "ACC"
    assert resolved is not None and resolved.ticket_number == changed.ticket_number
    assert len(stored["exchanges"]) == 1 and stored["ticket_number"] == changed.ticket_number


async def test_lima_geneva_is_offered_only_as_connections_each_leg_with_its_flight_seats_and_connection(
    start_simulator: Callable[..., RunningSimulator],
) -> None:
    simulator = start_simulator()
    async with httpx.AsyncClient(base_url=simulator.url) as http:
        found = await offers(http, origin="LIM", departs=DEPARTS - timedelta(days=1))

    assert found and {offer["stops"] for offer in found} == {1, 2, 3}, "no non-stop Lima-Geneva"
    for offer in found:
        outbound, back = split_directions(tuple(offer["segments"]), "GVA")
        assert [leg["destination"] for leg in outbound[:-1]] == offer["via"]
        assert [leg["origin"] for leg in back[1:]] == offer["via"][::-1], "home the same way"
        for legs, direction in ((outbound, "outbound"), (back, "return")):
            waits = offer["connections"][direction]
            assert [wait["airport"] for wait in waits] == [leg["destination"] for leg in legs[:-1]]
            assert all(wait["minutes"] >= 60 for wait in waits)
        assert len(offer["seats_by_leg"]) == len(offer["segments"]) and offer["seats_left"] > 0
        assert len({leg["flight"] for leg in offer["segments"]}) == len(offer["segments"])
        assert outbound[0]["departs"].endswith("-05:00") and outbound[-1]["arrives"].endswith("+02:00")
    saver = {o["stops"]: Decimal(o["price"]["amount"]) for o in found if o["fare_class"] == "V"}
    assert saver[3] < saver[1] == saver[2], "one or two stops: the same fare; three: cheaper"


async def test_a_connection_is_held_ticketed_cancelled_and_rescheduled_leg_by_leg(
    start_simulator: Callable[..., RunningSimulator],
) -> None:
    simulator = start_simulator()
    async with httpx.AsyncClient(base_url=simulator.url) as http:
        found = await offers(http, origin="LIM", departs=DEPARTS - timedelta(days=1))
        two_stops = next(o for o in found if o["stops"] == 2 and o["fare_class"] == "V")
        order = (await hold(http, two_stops["offer_id"], "hold-1")).json()
        sharing = {  # other offers on any of the held legs: one seat fewer on that leg
            o["offer_id"]: o for o in found if o["fare_class"] == "V" and o["offer_id"] != two_stops["offer_id"]
        }
        again = {o["offer_id"]: o for o in await offers(http, origin="LIM", departs=DEPARTS - timedelta(days=1))}
        ticketed = (await ticket(http, order["order_id"], "ticket-1")).json()
        middle = ticketed["segments"][1]
        change = {"flight": middle["flight"], "departure_date": middle["departs"][:10], "delay_minutes": 45}
        announced = (await http.post("/admin/schedule-change", json=change)).json()
        rescheduled = (await http.get(f"/orders/{order['order_id']}")).json()
        cancelled = (await http.post(f"/orders/{order['order_id']}/cancel", headers={"Idempotency-Key": "c-1"})).json()
        after = {o["offer_id"]: o for o in await offers(http, origin="LIM", departs=DEPARTS - timedelta(days=1))}

    held_legs = {(leg["flight"], leg["departs"]) for leg in order["segments"]}
    assert order["status"] == "held" and order["segments"] == two_stops["segments"]
    assert again[two_stops["offer_id"]]["seats_by_leg"] == [n - 1 for n in two_stops["seats_by_leg"]]
    for offer_id, offer in sharing.items():
        expected = [
            n - ((leg["flight"], leg["departs"]) in held_legs)
            for n, leg in zip(offer["seats_by_leg"], offer["segments"], strict=True)
        ]
        assert again[offer_id]["seats_by_leg"] == expected, "seats are counted per leg"
    assert ticketed["status"] == "ticketed" and len(ticketed["segments"]) == 6
    assert announced["order_ids"] == [order["order_id"]]
    moved = [(a["departs"] != b["departs"]) for a, b in zip(ticketed["segments"], rescheduled["segments"], strict=True)]
    assert moved == [False, True, False, False, False, False], "only the announced leg moves"
    assert cancelled["status"] == "cancelled" and cancelled["cancellation"]["outcome"] == "credit"
    assert after[two_stops["offer_id"]]["seats_by_leg"] == two_stops["seats_by_leg"]


async def test_travel_chooses_the_cheapest_itinerary_with_two_stops_at_most_from_the_simulator(
    start_simulator: Callable[..., RunningSimulator],
) -> None:
    simulator = start_simulator()
    starts, ends = DEPARTS + timedelta(days=1), RETURNS - timedelta(days=1)
    async with GdsClient(simulator.url) as client:
        provider = GdsProvider(client)
        found = await provider.search("LIM", "GVA", DEPARTS - timedelta(days=1), RETURNS, EARLY)
    chosen = booking.choose(found, "LIM", "GVA", starts, ends)
    refusals = {offer.offer_id: booking.within_policy(offer, "LIM", "GVA", starts, ends) for offer in found}

    assert chosen is not None
    assert min(found, key=lambda offer: offer.price).offer_id != chosen.offer_id, "the cheapest has three stops"
    assert refusals[min(found, key=lambda offer: offer.price).offer_id] == "more than 2 stops"
    assert chosen.price == min(offer.price for offer in found if refusals[offer.offer_id] is None)
    outbound, back = split_directions(chosen.segments, "GVA")
    assert 2 <= len(outbound) <= 3 and len(back) == len(outbound)
    assert outbound[-1]["arrives"][:10] == (starts - timedelta(days=1)).isoformat(), "arrives the day before"
    assert back[0]["departs"][:10] == RETURNS.isoformat(), "leaves the day after"


async def test_each_order_states_its_fare_conditions_and_a_cancellation_keeps_to_them(
    start_simulator: Callable[..., RunningSimulator],
) -> None:
    simulator = start_simulator()
    found: dict[str, Any] = {}
    async with GdsClient(simulator.url) as client:
        provider = GdsProvider(client)
        offers_ = await provider.search("LIM", "GVA", DEPARTS - timedelta(days=1), RETURNS, EARLY)
        for fare_class in ("V", "M", "Y"):
            offer = next(o for o in offers_ if o.fare_class == fare_class)
            held = await provider.hold(offer.offer_id, f"GVA-{fare_class}", f"hold-{fare_class}")
            ticketed = await provider.ticket(held.order_id, f"ticket-{fare_class}")
            cancelled = await provider.cancel(held.order_id, f"cancel-{fare_class}")
            found[fare_class] = (ticketed, cancelled)

    for fare_class, (ticketed, cancelled) in found.items():
        terms = ticketed.conditions
        assert terms is not None and terms.fare_class == fare_class and terms.currency == "USD"
        assert terms.fare_class_name and terms.fare_class_name.startswith("economy")
        assert cancelled.cancellation is not None
        outcome, amount, fee = cancelled.cancellation
        assert outcome == ("refund" if terms.refundable else "credit")
        assert fee == terms.cancellation_fee and amount == ticketed.price - terms.cancellation_fee
    saver, flex, full = (found[code][0].conditions for code in ("V", "M", "Y"))
    assert saver and flex and full
    assert (saver.refundable, saver.change_fee, saver.cancellation_fee) == (False, 75, 100)
    assert (flex.refundable, flex.change_fee, flex.cancellation_fee) == (True, 25, 50)
    assert (full.refundable, full.change_fee, full.cancellation_fee) == (True, 0, 0)

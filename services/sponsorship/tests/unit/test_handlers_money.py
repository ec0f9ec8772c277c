"""I1 through the handlers: whatever sequence of allocations, pledge changes, held fares, tickets issued and
cancelled, withdrawals and venue changes sponsorship reads, no pledge ever carries more than its amount.

Travel's side is played as travel plays it: a hold for a delegate at the workshop's current venue version, a
ticket only for a hold sponsorship approved, a cancellation only of a ticket issued, whose refund, credit and fee
add up to its fare."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shared.contracts import sponsorship
from shared.messaging.consumer import Refused

from ..driver import (
    PLACE,
    Sponsorship,
    W,
    delegate,
    fare_held,
    pledge,
    ticket_cancelled,
    ticket_issued,
    workshop,
)

D = Decimal
# Manila has no subsistence rate until the step "rate" sets one: re-decisions wait for it.
VENUES = [("Vienna", "AT", "VIE"), ("Bangkok", "TH", "BKK"), ("Geneva", "CH", "GVA"), ("Manila", "PH", "MNL")]
OPERATIONS = (
    *("allocate", "book", "hold", "issue", "settle", "cancel", "withdraw", "pledge"),
    *("move", "postpone", "defer", "rate"),
)
steps = st.lists(
    st.tuples(st.sampled_from(OPERATIONS), st.integers(0, 99), st.integers(0, 99), st.integers(0, 99)),
    min_size=3,
    max_size=20,
)


class Travel:
    """What travel knows: the holds it placed and the tickets it issued."""

    def __init__(self, service: Sponsorship, delegates: list[str]) -> None:
        self.service = service
        self.delegates = delegates
        self.holds = 0
        self.ticketed: set[str] = set()  # holds already ticketed
        self.revision, self.venue_version, self.starts = 1, 1, date(2006, 7, 12)
        self.deferred = False

    def current(self) -> int:
        return self.service.repo.workshops[W].venue_version

    def unbooked(self) -> list[str]:
        repo, current = self.service.repo, self.current()
        booked = {t["delegate_ref"] for t in repo.tickets.values() if t["status"] == "issued"
                  and t["venue_version"] == current}  # fmt: skip
        return [ref for ref in self.delegates if ref in repo.awards_ and repo.status(ref) == "granted"
                and ref not in booked]  # fmt: skip

    async def hold(self, ref: str, fare: int) -> None:
        self.holds += 1
        await self.service.send(fare_held(ref, f"hold-{self.holds}", fare, venue_version=self.current()))

    async def issue(self, which: Callable[[dict[str, Any]], bool], pick: int = 0) -> None:
        """Ticket a hold sponsorship approved, for the current venue version, not yet ticketed."""
        approved = [
            h
            for h in self.service.repo.fare_holds.values()
            if h["approved"] and h["hold_id"] not in self.ticketed and h["venue_version"] == self.current() and which(h)
        ]
        if approved:
            hold = approved[pick % len(approved)]
            self.ticketed.add(hold["hold_id"])
            booking = f"BK-{hold['hold_id']}"
            await self.service.send(
                ticket_issued(hold["delegate_ref"], booking, hold["fare"], venue_version=hold["venue_version"])
            )

    async def cancel(self, ticket: dict[str, Any], b: int, c: int, rebooking: bool | None) -> None:
        """The airline keeps a fee (b% of the fare) and gives a credit (c% of the rest); it refunds the rest."""
        fare = D(ticket["fare"])
        fee = (fare * b // 100).quantize(D(1))
        credit = ((fare - fee) * c // 100).quantize(D(1))
        cancelled = ticket_cancelled(
            ticket["delegate_ref"],
            ticket["booking_ref"],
            venue_version=ticket["venue_version"],
            fee=int(fee),
            credit=int(credit),
            refund=int(fare - fee - credit),
            rebooking=rebooking,
        )
        await self.service.send(cancelled)

    async def step(self, operation: str, a: int, b: int, c: int) -> None:
        ref = self.delegates[a % len(self.delegates)]
        repo = self.service.repo
        if operation == "allocate":
            try:
                await self.service.allocate()
            except Refused as refusal:  # deferred, or Manila without a rate
                assert self.deferred or "no rate for Manila" in refusal.reason, refusal.reason
        elif operation == "rate":
            rate = sponsorship.SetSubsistenceRate(
                city="Manila", currency="USD", rate_per_night=D(100 + b), effective_from=date(2006, 1, 1)
            )
            await self.service.send(rate)
        elif operation == "book":  # travel books every granted delegate without a ticket for this venue version
            for number, ref in enumerate(self.unbooked()):
                await self.hold(ref, 1500 + 40 * ((b + 37 * number) % 100))
                await self.issue(lambda hold, ref=ref: hold["delegate_ref"] == ref)
        elif operation == "hold":
            await self.hold(ref, 300 + 60 * b)
        elif operation == "issue":
            await self.issue(lambda hold: True, b)
        elif operation == "settle":  # travel cancels tickets for older venue versions once the delegates rebooked
            stale = [
                t for t in repo.tickets.values() if t["status"] == "issued" and t["venue_version"] < self.current()
            ]
            for ticket in stale:
                await self.cancel(ticket, b, c, rebooking=True)
        elif operation == "cancel":
            issued = [t for t in repo.tickets.values() if t["status"] == "issued"]
            if issued:
                await self.cancel(issued[a % len(issued)], b, c, rebooking=(None, True, False)[c % 3])
        elif operation == "withdraw" and ref in repo.awards_:
            await self.service.send(sponsorship.WithdrawSponsorship(delegate_ref=ref, reason="cannot travel"))
        elif operation == "pledge":
            try:
                await self.service.send(pledge(PLACE * b // 20))
            except Refused:
                pass  # a drop below what is committed: refused, as it must be
        elif operation in ("move", "postpone", "defer"):
            self.revision += 1
            self.venue_version += 1
            if operation == "defer":  # defer, or reschedule a deferred workshop
                self.deferred = not self.deferred
            city, country, airport = VENUES[b % len(VENUES)] if operation == "move" else ("Geneva", "CH", "GVA")
            if operation == "postpone" or (operation == "defer" and not self.deferred):
                self.starts = self.starts + timedelta(days=1 if operation == "postpone" else 240)
            news = workshop(
                city=city,
                country=country,
                airport=airport,
                starts=self.starts,
                ends=self.starts + timedelta(days=1),
                revision=self.revision,
                venue_version=self.venue_version,
                year=2007 if self.deferred or self.starts.year == 2007 else 2006,
                status="deferred" if self.deferred else "postponed" if operation == "postpone" else "scheduled",
            )
            await self.service.send(news)


async def play(money: int, pool: int, homes: list[str], script: list[tuple[str, int, int, int]]) -> None:
    service = Sponsorship()
    refs = [f"DEL-{n}" for n in range(len(homes))]
    await service.send(
        workshop(),
        sponsorship.RecordDonor(donor_id="donor", name="Donor"),
        pledge(money),
        *([pledge(pool, pledge_id="pool", workshop_id=None, year=2006)] if pool else []),
        pledge(2000, pledge_id="strict", on_deferral="release"),
        *(
            delegate(ref, home_airport=home, country="SN" if home == "DKR" else "KE")
            for ref, home in zip(refs, homes, strict=True)
        ),
    )
    await service.allocate()
    travel = Travel(service, refs)
    for number, (operation, a, b, c) in enumerate(script):
        await travel.step(operation, a, b, c)
        assert service.repo.overspent() == [], f"after step {number} {operation}: {script[: number + 1]}"
    for award in service.repo.awards_.values():
        assert award["total"] >= 0


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    money=st.integers(0, 5).map(lambda places: int(PLACE) * places) | st.integers(0, 20000),
    pool=st.sampled_from([0, 0, 1500, 5000]),
    homes=st.lists(st.sampled_from(["NBO", "DKR", "LIM"]), min_size=1, max_size=5),
    script=steps,
)
def test_no_sequence_of_fares_tickets_cancellations_withdrawals_and_moves_overspends_a_pledge(
    money: int, pool: int, homes: list[str], script: list[tuple[str, int, int, int]]
) -> None:
    asyncio.run(play(money, pool, homes, script))

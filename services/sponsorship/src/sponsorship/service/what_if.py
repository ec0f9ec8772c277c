"""A workshop decision rehearsed before staff take it (issue 18): who keeps a place and who goes to the waitlist,
what each ticket then costs, and the money per pledge and donor, with today's fares and money.

The rehearsal runs sponsorship's own use cases, the very ones the decision would run (the re-decision at the new
venue's estimated costs, then the price check, ticketing and cancellation of each ticket as travel priced them), on
a repository whose writes are all discarded (`Rehearsal`: a transaction rolled back). So the what-if cannot drift
from what the decision does. One difference remains: after the decision travel changes, rebooks and cancels tickets
side by side, the rehearsal in priority order; when money runs short, which fare is declined may differ.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import structlog
from shared.contracts import registration as registration_events
from shared.contracts import travel as travel_events
from shared.contracts.envelope import Contract, envelope_for

from sponsorship.domain import what_if as rules
from sponsorship.domain import workshop_status
from sponsorship.service import fares, tickets, workshop_decisions
from sponsorship.service.costing import ReferenceTables
from sponsorship.service.ports import AwardRow, Repository, WorkshopFacts

# A repository whose writes are discarded when the block ends (never committed).
Rehearsal = Callable[[], AbstractAsyncContextManager[Repository]]
ZERO = Decimal(0)
# Promotions can follow money given back; each round books the places they granted, a few rounds at most.
BOOKING_ROUNDS = 5


class CannotRehearse(Exception):
    """The decision cannot be rehearsed here: the sentence says why."""


@dataclass(frozen=True)
class Picture:
    """The workshop's places and lines at one moment of the rehearsal."""

    awards: dict[str, AwardRow]
    lines: list[rules.Line]


async def picture(repo: Repository, workshop_id: str) -> Picture:
    return Picture(await repo.awards(workshop_id), await repo.workshop_lines(workshop_id))


async def what_if(
    rehearsal: Rehearsal,
    tables: ReferenceTables,
    after: registration_events.WorkshopEvent,
    travel: travel_events.TravelOutlook,
    now: datetime,
) -> dict[str, Any]:
    """The decision that would leave the workshop as `after`, rehearsed: places decided again, then each ticket
    settled as travel priced it in `travel` (changed, rebooked, cancelled; new tickets for places granted without
    one once booking has started), in priority order. Nothing is kept."""
    with structlog.contextvars.bound_contextvars(what_if=True):  # the rehearsal's log lines say what they are
        async with rehearsal() as repo:
            workshop = await repo.workshop(after.workshop_id)
            if workshop is None:
                raise CannotRehearse(f"workshop {after.workshop_id} is not known to sponsorship yet")
            before = await picture(repo, workshop.workshop_id)
            pledges_before = {p: await repo.pledge(p) for p in await pledges_of(repo, workshop, before)}
            decision = envelope_for(after, aggregate_key=after.workshop_id, occurred_at=now)
            await workshop_decisions.when_workshop_decided_review_places(repo, decision, after, tables)
            decided = await picture(repo, workshop.workshop_id)
            settling = Settlement(repo, tables, after, travel, now)
            await settling.run(decided.awards)
            settled = await picture(repo, workshop.workshop_id)
            scope = await pledges_of(repo, workshop, before, settled)
            pledges_after = {p: await repo.pledge(p) for p in scope}
            donor_names = await repo.donor_names()
            waiting = await repo.rate_wait(workshop.workshop_id)
            facts = await repo.workshop(workshop.workshop_id)
    assert facts is not None
    donors = {p: str((pledges_after[p] or pledges_before.get(p) or {}).get("donor_id", "")) for p in scope}
    change_fees = settling.change_fees(settled.lines)
    money = rules.pledge_money(before.lines, settled.lines, donors, change_fees)
    notes = list(settling.notes)
    declined = sum(1 for outcome in settling.outcome.values() if outcome == "declined")
    if declined:
        notes.append(
            f"{declined} fares would cost more than the money left: those places stay granted without a ticket (staff"
            " are told). Tickets are settled here in priority order; after the decision travel books them side by"
            " side, so which ones are declined may differ (and, with promotions, now and then how many)"
        )
    if waiting is not None:
        notes.append(
            f"places wait for a subsistence rate for {waiting.city} ({waiting.currency}, on {waiting.needed_on}):"
            " nothing is decided again until staff add one"
        )
    released_pledges = [
        {"pledge_id": p, "donor_id": donors[p], "status": (pledges_after[p] or {}).get("status")}
        for p in scope
        if (pledges_before.get(p) or {}).get("status") != (pledges_after[p] or {}).get("status")
    ]
    return {
        "workshop_id": after.workshop_id,
        "change": after.CHANGE,
        "status": after.status,
        "venue_version": after.venue_version,
        "currency": facts.currency,
        "travel_today": travel.today.isoformat(),
        "places": places(before, decided, settled, settling),
        "tickets": settling.report,
        "pledges": [{**money_json(m), "pledge_id": m.pledge_id, "donor_id": m.donor_id} for m in money],
        "donors": [
            {**money_json(d), "donor_id": d.donor_id, "name": donor_names.get(d.donor_id, d.donor_id)}
            for d in rules.donor_money(money)
        ],
        "pledges_released": released_pledges,
        "notes": notes,
    }


async def pledges_of(repo: Repository, workshop: WorkshopFacts, *pictures: Picture) -> list[str]:
    """The pledges funding the workshop (its own and its year's pool) and any its lines name."""
    funding = [
        p["pledge_id"]
        for p in await repo.pledges_of_year(workshop.year)
        if p["workshop_id"] == workshop.workshop_id or (p["workshop_id"] is None and p["year"] == workshop.year)
    ]
    named = {line.pledge_id for shown in pictures for line in shown.lines}
    return sorted({*funding, *named})


def money_json(money: rules.PledgeMoney | rules.DonorMoney) -> dict[str, str]:
    names = ("committed_before", "committed_after", "cancellation_fees", "airline_credits", "change_fees", "released")
    return {name: str(getattr(money, name)) for name in names}


def cost(lines: list[rules.Line], delegate_ref: str) -> Decimal:
    return sum((x.amount for x in lines if x.delegate_ref == delegate_ref and x.kind in rules.COST_KINDS), ZERO)


def places(before: Picture, decided: Picture, settled: Picture, settling: Settlement) -> list[dict[str, Any]]:
    """Each place before the decision, once sponsorship has decided again, and once its ticket has settled; in
    priority order."""
    shown = []
    for ref in {*before.awards, *settled.awards}:
        was, now, end = before.awards.get(ref), decided.awards.get(ref), settled.awards.get(ref)
        known = end or was
        assert known is not None
        shown.append(
            {
                "delegate_ref": ref,
                "priority": known.priority,
                "award_type": known.award_type,
                "before": was.status if was else None,
                "decided": now.status if now else None,
                "after": end.status if end else None,
                "cost_before": str(cost(before.lines, ref)),
                "cost_after": str(cost(settled.lines, ref)),
                "ticket": settling.outcome.get(ref),
            }
        )
    return sorted(shown, key=lambda place: (place["priority"] or 10**6, place["delegate_ref"]))


class Settlement:
    """Travel's part of the cascade, as travel priced it: each ticket's step given to sponsorship's own handlers as
    the events travel would publish (fare held, ticket issued, ticket cancelled)."""

    def __init__(
        self,
        repo: Repository,
        tables: ReferenceTables,
        after: registration_events.WorkshopEvent,
        travel: travel_events.TravelOutlook,
        now: datetime,
    ) -> None:
        self.repo, self.tables, self.after, self.travel, self.now = repo, tables, after, travel, now
        self.outlooks = {o.delegate_ref: o for o in travel.tickets}
        self.outcome: dict[str, str] = {}  # what became of each delegate's ticket
        self.report: list[dict[str, Any]] = []
        self.notes: list[str] = []
        self.changed: dict[str, str] = {}  # delegate -> booking changed at the provider
        self.holds = 0

    async def run(self, awards: dict[str, AwardRow]) -> None:
        active = self.after.status not in workshop_status.INACTIVE
        ordered = sorted(self.outlooks.values(), key=lambda o: (awards[o.delegate_ref].priority
                         if o.delegate_ref in awards else 10**6, o.delegate_ref))  # fmt: skip
        tickets = [o for o in ordered if o.fate != "new"]
        steps = {o.delegate_ref: self.step(o, awards) for o in tickets}
        for outlook in tickets:  # places lost, or the workshop deferred or cancelled: money back first
            if steps[outlook.delegate_ref] == rules.CANCEL:
                await self.cancel(outlook, "what-if: ticket given back")
                self.done(outlook, "cancelled")
        for outlook in tickets:
            step = steps[outlook.delegate_ref]
            if step == rules.CHANGE:
                await self.change(outlook)
            elif step == rules.REBOOK:
                await self.rebook(outlook)
            elif step == rules.KEEP:
                self.done(outlook, "kept")
            elif step == rules.UNPRICED:
                self.done(outlook, "unpriced")
                self.notes.append(f"delegate {outlook.delegate_ref}'s ticket could not be priced: {outlook.error}")
        if active and self.travel.booking_started:
            await self.book_new_places()

    def step(self, outlook: travel_events.TicketOutlook, awards: dict[str, AwardRow]) -> str:
        award = awards.get(outlook.delegate_ref)
        granted = award is not None and award.status == "granted"
        step = rules.ticket_step(outlook.fate, outlook.path, granted)
        # Travel could not say what the ticket costs to follow or to cancel: nothing is guessed for it.
        if outlook.error and (
            step in (rules.CHANGE, rules.REBOOK) or (step == rules.CANCEL and not outlook.cancellation)
        ):
            return rules.UNPRICED
        return step

    def done(self, outlook: travel_events.TicketOutlook, outcome: str) -> None:
        self.outcome[outlook.delegate_ref] = outcome
        self.report.append({**outlook.model_dump(mode="json"), "outcome": outcome})

    async def send(self, event: Contract, handler: Callable[..., Any]) -> None:
        envelope = envelope_for(event, aggregate_key=getattr(event, "delegate_ref", "what-if"), occurred_at=self.now)
        await handler(self.repo, envelope, event, self.tables)

    async def cancel(self, outlook: travel_events.TicketOutlook, reason: str, *, rebooking: bool = False) -> None:
        assert outlook.booking_ref is not None
        known = await self.repo.ticket(outlook.booking_ref)
        event = travel_events.TicketCancelled(
            workshop_id=self.after.workshop_id,
            delegate_ref=outlook.delegate_ref,
            venue_version=known["venue_version"] if known else self.after.venue_version,
            booking_ref=outlook.booking_ref,
            reason=reason,
            refund=outlook.refund,
            credit=outlook.credit,
            fee=outlook.cancellation_fee,
            currency=outlook.currency,
            rebooking=rebooking,
        )
        await self.send(event, tickets.when_ticket_cancelled_release_the_refund)

    async def held(self, outlook: travel_events.TicketOutlook, fare: Decimal, replaces: str | None = None) -> bool:
        """Sponsorship's price check of the fare travel would hold; whether it approves it."""
        self.holds += 1
        hold_id = f"what-if-{self.holds}-{outlook.delegate_ref}"
        event = travel_events.FareHeld(
            workshop_id=self.after.workshop_id,
            delegate_ref=outlook.delegate_ref,
            venue_version=self.after.venue_version,
            hold_id=hold_id,
            fare=fare,
            currency=outlook.currency,
            ticketing_deadline=self.now + timedelta(hours=1),
            replaces_booking_ref=replaces,
        )
        await self.send(event, fares.when_fare_held_charge_actual_fare)
        answer = await self.repo.fare_hold(hold_id)
        return bool(answer and answer["approved"])

    async def issued(self, outlook: travel_events.TicketOutlook, booking_ref: str, fare: Decimal, version: int) -> None:
        event = travel_events.TicketIssued(
            workshop_id=self.after.workshop_id,
            delegate_ref=outlook.delegate_ref,
            venue_version=self.after.venue_version,
            booking_ref=booking_ref,
            fare=fare,
            currency=outlook.currency,
            booked_on=self.travel.today,
            days_ahead=0,
            segments=[],
            itinerary_version=version,
        )
        await self.send(event, tickets.when_ticket_issued_mark_its_money)

    async def change(self, outlook: travel_events.TicketOutlook) -> None:
        """Changed at the provider: sponsorship is asked for the ticket's whole cost; declined, travel gives the
        older ticket back."""
        assert outlook.booking_ref and outlook.fare is not None and outlook.extra is not None
        assert outlook.new_fare is not None
        if await self.held(outlook, outlook.fare + outlook.extra, replaces=outlook.booking_ref):
            await self.issued(outlook, outlook.booking_ref, outlook.new_fare, 2)
            self.changed[outlook.delegate_ref] = outlook.booking_ref
            self.done(outlook, "changed")
            return
        await self.cancel(outlook, "what-if: the change's fare was declined")
        self.done(outlook, "declined")

    async def rebook(self, outlook: travel_events.TicketOutlook) -> None:
        """Cancelled (its refund and credit kept for the next ticket) and bought anew."""
        assert outlook.new_fare is not None
        await self.cancel(outlook, "what-if: cancelled and rebooked", rebooking=True)
        if await self.held(outlook, outlook.new_fare):
            await self.issued(outlook, f"WHATIF-{outlook.delegate_ref}", outlook.new_fare, 1)
            self.done(outlook, "rebooked")
            return
        self.done(outlook, "declined")

    async def book_new_places(self) -> None:
        """Places granted without a ticket for the new venue (promoted, re-confirmed) are booked at today's fare."""
        for _ in range(BOOKING_ROUNDS):
            awards = await self.repo.awards(self.after.workshop_id)
            holders = await self.repo.ticket_holders(self.after.workshop_id, self.after.venue_version)
            due = sorted(
                (
                    award
                    for ref, award in awards.items()
                    if award.status == "granted" and ref not in holders and self.outcome.get(ref) not in
                    {"declined", "booked", "unpriced", "kept"}
                ),
                key=lambda award: award.priority,
            )  # fmt: skip
            if not due:
                return
            for award in due:
                outlook = self.outlooks.get(award.delegate_ref)
                fare = outlook.fresh_fare if outlook else None
                if outlook is None or fare is None:
                    self.outcome[award.delegate_ref] = "unpriced"
                    self.notes.append(f"delegate {award.delegate_ref} would be granted a place with no fare priced")
                    continue
                if await self.held(outlook, fare):
                    await self.issued(outlook, f"WHATIF-{award.delegate_ref}", fare, 1)
                    self.done(outlook.model_copy(update={"new_fare": fare}), "booked")
                else:
                    self.done(outlook.model_copy(update={"new_fare": fare}), "declined")

    def change_fees(self, lines: list[rules.Line]) -> dict[str, Decimal]:
        """Per pledge, the change fees paid within the changed tickets' cost (the pledges that pay each ticket)."""
        fees: dict[str, Decimal] = {}
        for ref, booking_ref in self.changed.items():
            fee = self.outlooks[ref].change_fee or ZERO
            paying = [x for x in lines if (x.delegate_ref, x.booking_ref, x.kind) == (ref, booking_ref, "airfare")]
            for pledge_id, share in rules.split(fee, paying).items():
                fees[pledge_id] = fees.get(pledge_id, ZERO) + share
        return fees

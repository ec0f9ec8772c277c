"""In-memory fakes of sponsorship's ports (service/ports.py), for use-case tests that run in milliseconds.

`FakeRepository` keeps the tables of the PostgreSQL adapter (adapters/postgres.py) as dictionaries and lists and
answers each query as that adapter's SQL does, locking aside (one test, one transaction at a time). Where the SQL
itself decides something the handlers rely on, the method says so ("SQL rule"): those rules must stay in step
with the adapter. The CHECK and foreign-key constraints that would make PostgreSQL refuse a write are asserted.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, fields, replace
from datetime import UTC, date, datetime
from decimal import ROUND_DOWN, Decimal
from typing import Any, ClassVar

from shared.contracts.envelope import Envelope
from sponsorship.domain import what_if
from sponsorship.domain.allocation import Charge, Fund, Rules
from sponsorship.domain.costs import AirfareEstimate, FareQuote, SubsistenceRate, SubsistenceTable
from sponsorship.domain.eligibility import EligibilityList, EligibleCountry
from sponsorship.domain.requests import Registration
from sponsorship.service.costing import ReferenceTables
from sponsorship.service.ports import AwardRow, RateWait, RequestRow, WorkshopFacts

PLEDGE_COLUMNS = (
    *("pledge_id", "donor_id", "workshop_id", "year", "amount", "currency", "kind", "status"),
    *("covers", "rate", "on_deferral", "pledged_on", "award_type"),
)
AWARD_STATUSES = {"granted", "waitlisted", "refused", "withdrawn", "deferred", "cancelled"}
# The kinds an award's total counts (a cancelled ticket's fee and airline credit are spent, not part of the award).
AWARD_KINDS = {"airfare", "subsistence", "terminal"}
CENT = Decimal("0.01")


@dataclass
class Line:
    """A row of award_lines: what one award commits against one pledge (the money I1 is about)."""

    delegate_ref: str
    kind: str
    pledge_id: str
    amount: Decimal
    currency: str
    booking_ref: str | None = None


class FakeAirports:
    """Coordinates of the airports the tests fly from and to (airportsdata's, rounded as it has them)."""

    COORDINATES: ClassVar[dict[str, tuple[float, float]]] = {
        "GVA": (46.2381, 6.10895),
        "VIE": (48.1103, 16.5697),
        "BKK": (13.6811, 100.747),
        "MNL": (14.5086, 121.02),
        "NBO": (-1.31924, 36.9278),
        "DKR": (14.7397, -17.4902),
        "LIM": (-12.0219, -77.1143),
    }

    def coordinates(self, code: str) -> tuple[float, float] | None:
        return self.COORDINATES.get(code)


ELIGIBLE = EligibilityList(
    "OECD DAC List of ODA Recipients (test copy)",
    date(2006, 1, 1),
    {code: EligibleCountry(code, code, "developing") for code in ("KE", "SN", "PE", "TH", "PH")},
)
# Manila has no rate: a full award there cannot be costed until staff set one.
SUBSISTENCE = SubsistenceTable(
    [
        SubsistenceRate("Geneva", "USD", Decimal("350"), date(2006, 1, 1), "test table"),
        SubsistenceRate("Bangkok", "USD", Decimal("172"), date(2006, 1, 1), "test table"),
        SubsistenceRate("Vienna", "USD", Decimal("200"), date(2006, 1, 1), "test table"),
    ]
)
TABLES = ReferenceTables(
    airports=FakeAirports(),
    eligibility=ELIGIBLE,
    subsistence=SUBSISTENCE,
    currencies=frozenset({"USD", "EUR", "CHF", "THB", "AUD"}),
)


def cents(amount: Decimal | int) -> Decimal:
    """As PostgreSQL keeps money (numeric(14, 2)): what the handlers read back has two decimals."""
    return Decimal(amount).quantize(CENT)


def in_budget(amount: Decimal, currency: str, rate: Decimal | None, budget: str) -> Decimal:
    """As the adapter's SQL converts: `CASE WHEN currency = budget THEN amount ELSE trunc(amount * rate, 2) END`."""
    if currency == budget:
        return Decimal(amount)
    assert rate is not None
    return (amount * rate).quantize(CENT, rounding=ROUND_DOWN)


class FakeRepository:
    """Sponsorship's repository in memory; `published` records each `publish(topic, envelope)` call."""

    def __init__(self) -> None:
        self.workshops: dict[str, WorkshopFacts] = {}
        self.donors: dict[str, str] = {}
        self.pledges: dict[str, dict[str, Any]] = {}
        self.requests: dict[str, dict[str, Any]] = {}
        self.awards_: dict[str, dict[str, Any]] = {}
        self.award_lines: list[Line] = []
        self.releases: list[dict[str, Any]] = []
        self.eligibility_overrides: dict[str, tuple[str, datetime]] = {}
        self.allocation_rules: dict[str, Rules] = {}
        self.staff_rates: dict[tuple[str, str, date], tuple[Decimal, str | None, datetime]] = {}
        self.quotes: dict[tuple[str, str, int], FareQuote] = {}
        self.fare_holds: dict[str, dict[str, Any]] = {}
        self.tickets: dict[str, dict[str, Any]] = {}
        self.airline_credits: dict[tuple[str, str], dict[str, Any]] = {}
        self.shortfalls: dict[tuple[str, str], dict[str, Any]] = {}
        self.subsistence_waits: dict[str, RateWait] = {}
        self.attendance: dict[str, tuple[str, bool, datetime]] = {}
        self.notices: dict[tuple[str, str], dict[str, Any]] = {}
        self.published: list[tuple[str, Envelope]] = []
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)  # the service's clock

    # Workshops, donors, pledges.

    async def workshop(self, workshop_id: str, *, lock: bool = False) -> WorkshopFacts | None:
        return self.workshops.get(workshop_id)

    async def save_workshop(self, workshop: WorkshopFacts) -> None:
        self.workshops[workshop.workshop_id] = workshop

    async def donor_names(self) -> dict[str, str]:
        return dict(self.donors)

    async def save_donor(self, donor_id: str, name: str) -> bool:
        changed = self.donors.get(donor_id) != name
        self.donors[donor_id] = name
        return changed

    async def pledge(self, pledge_id: str) -> dict[str, Any] | None:
        found = self.pledges.get(pledge_id)
        return dict(found) if found else None

    async def committed(self, pledge_id: str) -> Decimal:
        return sum((line.amount for line in self.award_lines if line.pledge_id == pledge_id), Decimal(0))

    async def save_pledge(self, pledge: dict[str, Any]) -> None:
        row = {column: pledge[column] for column in PLEDGE_COLUMNS}
        self.pledges[pledge["pledge_id"]] = {**row, "amount": cents(row["amount"])}

    async def release_pledges_on_deferral(self, workshop_id: str) -> list[dict[str, Any]]:
        """SQL rule: the donor's terms (`on_deferral = 'release'`) withdraw a pledge when its workshop is deferred."""
        released = []
        for pledge in self.pledges.values():
            if pledge["workshop_id"] == workshop_id and pledge["on_deferral"] == "release":
                if pledge["status"] != "withdrawn":
                    pledge["status"] = "withdrawn"
                    released.append(dict(pledge))
        return released

    async def funded_workshops(self, workshop_id: str | None, year: int | None) -> list[WorkshopFacts]:
        """The pledge's own workshop, or, for a pool pledge, every workshop of its year; in id order."""
        found = [
            w
            for w in self.workshops.values()
            if w.workshop_id == workshop_id or (workshop_id is None and w.year == year)
        ]
        return sorted(found, key=lambda w: w.workshop_id)

    def _scope(self, workshop: WorkshopFacts) -> list[dict[str, Any]]:
        """Cash pledges for the workshop or its year's pool that convert to its budget's currency."""
        return [
            p
            for p in self.pledges.values()
            if (p["workshop_id"] == workshop.workshop_id or (p["workshop_id"] is None and p["year"] == workshop.year))
            and p["kind"] == "cash"
            and (p["currency"] == workshop.currency or p["rate"] is not None)
        ]

    async def funds(self, workshop: WorkshopFacts) -> tuple[list[Fund], dict[str, str]]:
        """SQL rule: spendable money is confirmed or received cash, converted at the pledge's rate, less everything
        charged to the pledge (any workshop, any kind); earmarked means it names a workshop. In pledge id order."""
        funds, donors = [], {}
        for p in sorted(self._scope(workshop), key=lambda p: p["pledge_id"]):
            if p["status"] not in ("confirmed", "received"):
                continue
            amount = in_budget(p["amount"], p["currency"], p["rate"], workshop.currency)
            remaining = amount - await self.committed(p["pledge_id"])
            funds.append(
                Fund(p["pledge_id"], p["workshop_id"] is not None, remaining, p["award_type"] == "ticket_only")
            )
            donors[p["pledge_id"]] = p["donor_id"]
        return funds, donors

    async def unconfirmed(self, workshop: WorkshopFacts) -> Decimal:
        """SQL rule: cash pledged but not yet confirmed (status 'pledged'), in the budget's currency."""
        return sum(
            (
                in_budget(p["amount"], p["currency"], p["rate"], workshop.currency)
                for p in self._scope(workshop)
                if p["status"] == "pledged"
            ),
            Decimal(0),
        )

    async def every_workshop(self) -> list[WorkshopFacts]:
        return sorted(self.workshops.values(), key=lambda w: (w.starts, w.workshop_id))

    async def save_notice(self, workshop_id: str, notice: str, on: date, event: dict[str, Any]) -> bool:
        """Once per workshop and notice (primary key): True when new."""
        if (workshop_id, notice) in self.notices:
            return False
        self.notices[(workshop_id, notice)] = event
        return True

    async def save_attendance(self, delegate_ref: str, workshop_id: str, attended: bool, at: datetime) -> None:
        self.attendance[delegate_ref] = (workshop_id, attended, at)

    async def workshop_lines(self, workshop_id: str) -> list[what_if.Line]:
        """The lines of the workshop's awards, per delegate, the reserve before tickets, earmarked pledges first."""
        found = [line for line in self.award_lines if self.awards_[line.delegate_ref]["workshop_id"] == workshop_id]
        found.sort(key=lambda x: (x.delegate_ref, x.booking_ref is not None, x.booking_ref or "",
                                  self.pledges[x.pledge_id]["workshop_id"] is None, x.pledge_id, x.kind))  # fmt: skip
        return [what_if.Line(x.delegate_ref, x.kind, x.pledge_id, x.amount, x.booking_ref) for x in found]

    async def workshops_of_year(self, year: int) -> list[WorkshopFacts]:
        return sorted((w for w in self.workshops.values() if w.year == year), key=lambda w: (w.starts, w.workshop_id))

    async def pledges_of_year(self, year: int) -> list[dict[str, Any]]:
        of_year = {w.workshop_id for w in self.workshops.values() if w.year == year}
        found = [p for p in self.pledges.values() if p["year"] == year or p["workshop_id"] in of_year]
        return [dict(p) for p in sorted(found, key=lambda p: p["pledge_id"])]

    # Requests (copies of registration's delegates) and staff's rules.

    async def request_revision(self, delegate_ref: str) -> int | None:
        found = self.requests.get(delegate_ref)
        return int(found["revision"]) if found else None

    async def save_request(self, request: dict[str, Any], requested_at: datetime) -> None:
        """SQL rule: an updated registration keeps the first request's time (its place in the order of requests)."""
        existing = self.requests.get(request["delegate_ref"])
        if existing is None:
            self.requests[request["delegate_ref"]] = {**request, "requested_at": requested_at, "asked_at": None}
        else:
            existing.update(request)

    async def registration(self, delegate_ref: str) -> Registration | None:
        found = self.requests.get(delegate_ref)
        if found is None:
            return None
        requested = found["requested"] or found["asked_at"] is not None
        return Registration(delegate_ref, found["workshop_id"], found["approval"], requested)

    async def record_request(self, delegate_ref: str, asked_at: datetime) -> None:
        """SQL rule: a request by staff command takes its place in the order of requests at the command's time."""
        if delegate_ref in self.requests:
            self.requests[delegate_ref].update(asked_at=asked_at, requested_at=asked_at)

    async def open_requests(self, workshop_id: str) -> list[RequestRow]:
        """SQL rule: a request counts when asked for (with the registration or by command) and the registration is
        approved; oldest first, then by ref."""
        rows = [
            r
            for r in self.requests.values()
            if r["workshop_id"] == workshop_id
            and (r["requested"] or r["asked_at"] is not None)
            and r["approval"] == "approved"
        ]
        rows.sort(key=lambda r: (r["requested_at"], r["delegate_ref"]))
        return [
            RequestRow(r["delegate_ref"], r["role"], r["home_airport"], r["requested_at"], r["country"]) for r in rows
        ]

    async def overrides(self, workshop_id: str) -> set[str]:
        """The overrides of delegates whose request is for this workshop."""
        return {
            ref
            for ref in self.eligibility_overrides
            if ref in self.requests and self.requests[ref]["workshop_id"] == workshop_id
        }

    async def save_override(self, delegate_ref: str, reason: str, recorded_at: datetime) -> None:
        known = self.eligibility_overrides.get(delegate_ref)
        if known is None or known[0] != reason:
            self.eligibility_overrides[delegate_ref] = (reason, recorded_at)

    async def rules(self, workshop_id: str) -> Rules:
        return self.allocation_rules.get(workshop_id, Rules())

    async def save_rules(self, workshop_id: str, rules: Rules) -> None:
        assert rules.max_per_country is None or rules.max_per_country > 0  # CHECK (max_per_country > 0)
        self.allocation_rules[workshop_id] = rules

    async def subsistence_rates(self) -> list[SubsistenceRate]:
        ordered = sorted(self.staff_rates.items(), key=lambda item: (item[0][2], item[1][2]))
        return [
            SubsistenceRate(city, currency, rate, on, source) for (city, currency, on), (rate, source, _) in ordered
        ]

    async def save_subsistence_rate(self, rate: SubsistenceRate, source: str | None, at: datetime) -> bool:
        key = (rate.city, rate.currency, rate.effective_from)
        known = self.staff_rates.get(key)
        if known is not None and (known[0], known[1]) == (rate.rate_per_night, source):
            return False
        self.staff_rates[key] = (rate.rate_per_night, source, at)
        return True

    async def save_rate_wait(self, wait: RateWait) -> None:
        """One wait per workshop: a second one updates city, currency and day and adds its statuses (the first
        one's time stays)."""
        known = self.subsistence_waits.get(wait.workshop_id)
        if known is not None:
            wait = replace(wait, statuses=known.statuses | wait.statuses, since=known.since)
        self.subsistence_waits[wait.workshop_id] = wait

    async def rate_wait(self, workshop_id: str) -> RateWait | None:
        return self.subsistence_waits.get(workshop_id)

    async def rate_waits(self) -> list[RateWait]:
        return sorted(self.subsistence_waits.values(), key=lambda wait: wait.since)

    async def end_rate_wait(self, workshop_id: str) -> None:
        self.subsistence_waits.pop(workshop_id, None)

    async def fare_quotes(self, workshop_id: str, venue_version: int) -> dict[str, FareQuote]:
        return {ref: q for (ref, w, v), q in self.quotes.items() if (w, v) == (workshop_id, venue_version)}

    async def save_fare_quote(self, workshop_id: str, delegate_ref: str, quote: FareQuote) -> bool:
        """SQL rule: a quote replaces the one kept only if it is as recent or more (`quoted_on`)."""
        key = (delegate_ref, workshop_id, quote.venue_version)
        known = self.quotes.get(key)
        if known is not None and known.quoted_on > quote.quoted_on:
            return False
        self.quotes[key] = quote
        return True

    # Awards and the money they hold.

    def _award_row(self, row: dict[str, Any]) -> AwardRow:
        return AwardRow(**{f.name: row[f.name] for f in fields(AwardRow)})

    async def awards(self, workshop_id: str) -> dict[str, AwardRow]:
        return {ref: self._award_row(a) for ref, a in self.awards_.items() if a["workshop_id"] == workshop_id}

    async def has_waitlisted(self, workshop_id: str) -> bool:
        return any(a["workshop_id"] == workshop_id and a["status"] == "waitlisted" for a in self.awards_.values())

    async def award(self, delegate_ref: str) -> AwardRow | None:
        found = self.awards_.get(delegate_ref)
        return self._award_row(found) if found else None

    def _release(self, delegate_ref: str, why: str) -> Decimal:
        """SQL rule: an award's money goes back except the lines paid for an issued ticket (`booking_ref IS NULL`),
        which wait for its cancellation; recorded as released per pledge."""
        gone = [line for line in self.award_lines if line.delegate_ref == delegate_ref and line.booking_ref is None]
        self.award_lines = [
            line for line in self.award_lines if not (line.delegate_ref == delegate_ref and line.booking_ref is None)
        ]
        per_pledge: dict[str, Decimal] = {}
        for line in gone:
            per_pledge[line.pledge_id] = per_pledge.get(line.pledge_id, Decimal(0)) + line.amount
        award = self.awards_.get(delegate_ref)
        if award is not None:
            for pledge_id, amount in per_pledge.items():
                self._record_release(delegate_ref, award["workshop_id"], pledge_id, amount, award["currency"], why)
        return sum(per_pledge.values(), Decimal(0))

    async def withdraw_award(self, delegate_ref: str, version: int, reason: str) -> Decimal:
        return await self.end_award(delegate_ref, "withdrawn", version, reason)

    async def end_award(self, delegate_ref: str, status: str, version: int, reason: str | None) -> Decimal:
        assert status in AWARD_STATUSES
        released = self._release(delegate_ref, status)
        if delegate_ref in self.awards_:
            self.awards_[delegate_ref].update(
                status=status, award_version=version, position=None, reason=reason, total=Decimal(0)
            )
        return released

    async def release_reserves(self, delegate_refs: list[str]) -> None:
        for ref in delegate_refs:
            self._release(ref, "re-decided")

    async def save_award(
        self,
        workshop: WorkshopFacts,
        ref: str,
        status: str,
        priority: int,
        version: int,
        position: int | None,
        charges: tuple[Charge, ...],
        reason: str | None = None,
        award_type: str = "full",
        estimate: AirfareEstimate | None = None,
    ) -> None:
        """Upsert the award (an estimate left out keeps the one recorded), then replace its reserve (the lines not
        paid for a ticket) by `charges`."""
        assert status in AWARD_STATUSES and award_type in ("full", "ticket_only")
        known = self.awards_.get(ref, {})
        self.awards_[ref] = {
            "delegate_ref": ref,
            "workshop_id": known.get("workshop_id", workshop.workshop_id),
            "status": status,
            "priority": priority,
            "award_version": version,
            "position": position,
            "total": cents(sum((c.amount for c in charges), Decimal(0))),
            "currency": known.get("currency", workshop.currency),
            "reason": reason,
            "award_type": award_type,
            "airfare_estimate": estimate.amount if estimate else known.get("airfare_estimate"),
            "estimate_source": estimate.source if estimate else known.get("estimate_source"),
            "estimate_quoted_on": estimate.quoted_on if estimate else known.get("estimate_quoted_on"),
        }
        self.award_lines = [x for x in self.award_lines if not (x.delegate_ref == ref and x.booking_ref is None)]
        for charge in charges:
            self._add_line(Line(ref, charge.kind, charge.pledge_id, charge.amount, workshop.currency))

    def _add_line(self, line: Line) -> None:
        assert line.amount > 0, f"CHECK (amount > 0) refuses {line}"
        line.amount = cents(line.amount)
        assert line.delegate_ref in self.awards_, f"no award for {line.delegate_ref} (foreign key)"
        assert line.pledge_id in self.pledges, f"no pledge {line.pledge_id} (foreign key)"
        self.award_lines.append(line)

    async def lines(self, delegate_ref: str, booking_ref: str | None, kind: str) -> tuple[Charge, ...]:
        """SQL rule: earmarked pledges' lines first, then the pool's, each by pledge id (repricing gives back from
        the end: the pool's money before the earmark's)."""
        found = [
            line
            for line in self.award_lines
            if (line.delegate_ref, line.kind, line.booking_ref) == (delegate_ref, kind, booking_ref)
        ]
        found.sort(key=lambda line: (self.pledges[line.pledge_id]["workshop_id"] is None, line.pledge_id))
        return tuple(Charge(line.kind, line.pledge_id, line.amount) for line in found)

    async def replace_lines(
        self,
        delegate_ref: str,
        booking_ref: str | None,
        kinds: tuple[str, ...],
        charges: tuple[Charge, ...],
        currency: str,
    ) -> None:
        """Replace the lines of these kinds (for this ticket, or the reserve); SQL rule: the award's total is then
        what its airfare, subsistence and terminal lines hold (a fee or an airline credit is not part of it)."""
        self.award_lines = [
            line
            for line in self.award_lines
            if not (line.delegate_ref == delegate_ref and line.kind in kinds and line.booking_ref == booking_ref)
        ]
        for charge in charges:
            if charge.amount > 0:
                self._add_line(Line(delegate_ref, charge.kind, charge.pledge_id, charge.amount, currency, booking_ref))
        if delegate_ref in self.awards_:
            self.awards_[delegate_ref]["total"] = sum(
                (
                    line.amount
                    for line in self.award_lines
                    if line.delegate_ref == delegate_ref and line.kind in AWARD_KINDS
                ),
                Decimal(0),
            )

    async def tag_reserve(self, delegate_ref: str, booking_ref: str) -> Decimal:
        tagged = Decimal(0)
        for line in self.award_lines:
            if (line.delegate_ref, line.kind, line.booking_ref) == (delegate_ref, "airfare", None):
                line.booking_ref = booking_ref
                tagged += line.amount
        return tagged

    def _record_release(
        self, delegate_ref: str, workshop_id: str, pledge_id: str, amount: Decimal, currency: str, why: str
    ) -> None:
        assert amount > 0, "CHECK (amount > 0) on releases"
        self.releases.append(
            {"delegate_ref": delegate_ref, "workshop_id": workshop_id, "pledge_id": pledge_id, "amount": cents(amount),
             "currency": currency, "why": why}
        )  # fmt: skip

    async def record_released(
        self, delegate_ref: str, workshop_id: str, charges: tuple[Charge, ...], currency: str, why: str
    ) -> None:
        for charge in charges:
            if charge.amount > 0:
                self._record_release(delegate_ref, workshop_id, charge.pledge_id, charge.amount, currency, why)

    # Travel's fares and tickets.

    async def fare_hold(self, hold_id: str) -> dict[str, Any] | None:
        found = self.fare_holds.get(hold_id)
        return dict(found) if found else None

    async def save_fare_hold(self, hold: dict[str, Any]) -> None:
        self.fare_holds.setdefault(hold["hold_id"], {**hold, "fare": cents(hold["fare"])})  # ON CONFLICT DO NOTHING

    async def ticket(self, booking_ref: str) -> dict[str, Any] | None:
        found = self.tickets.get(booking_ref)
        return dict(found) if found else None

    async def save_ticket(self, ticket: dict[str, Any]) -> None:
        """Upsert of the columns given; refund, credit and fee default to 0 and are kept when left out."""
        assert ticket["status"] in ("issued", "cancelled")
        known = self.tickets.get(ticket["booking_ref"], {"refund": Decimal(0), "credit": Decimal(0), "fee": Decimal(0)})
        money = {k: cents(v) for k, v in ticket.items() if k in ("fare", "refund", "credit", "fee")}
        self.tickets[ticket["booking_ref"]] = {**known, **ticket, **money}

    async def save_credits(self, booking_ref: str, credits: tuple[Charge, ...], currency: str) -> None:
        for credit in credits:
            assert credit.amount > 0, "CHECK (amount > 0) on airline_credits"
            pledge = self.pledges.get(credit.pledge_id)
            if pledge is not None:  # INSERT ... SELECT FROM pledges: a credit names the donor who paid
                self.airline_credits.setdefault(
                    (booking_ref, credit.pledge_id),
                    {"donor_id": pledge["donor_id"], "amount": cents(credit.amount), "currency": currency},
                )

    async def ticket_holders(self, workshop_id: str, venue_version: int) -> set[str]:
        return {
            t["delegate_ref"]
            for t in self.tickets.values()
            if (t["workshop_id"], t["venue_version"], t["status"]) == (workshop_id, venue_version, "issued")
        }

    async def holds_current_ticket(self, delegate_ref: str, venue_version: int, besides: str) -> bool:
        """SQL rule: an issued ticket for this venue version or a newer one counts as current."""
        return any(
            t["delegate_ref"] == delegate_ref
            and t["status"] == "issued"
            and t["venue_version"] >= venue_version
            and t["booking_ref"] != besides
            for t in self.tickets.values()
        )

    def _ticket_lines(self, venue_version: int) -> list[Line]:
        """SQL rule: the airfare lines of issued tickets for venue versions older than this one (tickets travel will
        cancel, whose money pays towards the next ticket)."""
        return [
            line
            for line in self.award_lines
            if line.kind == "airfare"
            and line.booking_ref in self.tickets
            and self.tickets[line.booking_ref]["status"] == "issued"
            and self.tickets[line.booking_ref]["venue_version"] < venue_version
        ]

    async def older_tickets(self, delegate_ref: str, venue_version: int) -> dict[str, tuple[Charge, ...]]:
        found = [line for line in self._ticket_lines(venue_version) if line.delegate_ref == delegate_ref]
        found.sort(key=lambda x: (x.booking_ref or "", self.pledges[x.pledge_id]["workshop_id"] is None, x.pledge_id))
        tickets: dict[str, tuple[Charge, ...]] = {}
        for line in found:
            assert line.booking_ref is not None
            tickets[line.booking_ref] = (
                *tickets.get(line.booking_ref, ()),
                Charge(line.kind, line.pledge_id, line.amount),
            )
        return tickets

    async def tickets_coming_back(self, workshop_id: str, venue_version: int) -> dict[str, Decimal]:
        coming: dict[str, Decimal] = {}
        for line in self._ticket_lines(venue_version):
            assert line.booking_ref is not None
            if self.tickets[line.booking_ref]["workshop_id"] == workshop_id:
                coming[line.delegate_ref] = coming.get(line.delegate_ref, Decimal(0)) + line.amount
        return coming

    # Shortfalls and the outbox.

    async def save_shortfall(self, workshop_id: str, situation: str, detected_on: date, event: dict[str, Any]) -> bool:
        """Once per workshop and situation (primary key): True when new."""
        if (workshop_id, situation) in self.shortfalls:
            return False
        self.shortfalls[(workshop_id, situation)] = event
        return True

    async def publish(self, topic: str, envelope: Envelope) -> None:
        self.published.append((topic, envelope))

    def now(self) -> datetime:
        return self.clock()

    @asynccontextmanager
    async def rehearsal(self) -> AsyncIterator[FakeRepository]:
        """A copy to write to, dropped at the end (as the adapter's transaction rolled back)."""
        yield copy.deepcopy(self)

    # What tests read.

    def committed_to(self, pledge_id: str) -> Decimal:
        """Everything the pledge carries (what I1 bounds)."""
        return sum((line.amount for line in self.award_lines if line.pledge_id == pledge_id), Decimal(0))

    def overspent(self) -> list[str]:
        """I1: pledges carrying more than their amount in the currency of the lines charged to them."""
        over = []
        for pledge_id, pledge in self.pledges.items():
            charged = [line for line in self.award_lines if line.pledge_id == pledge_id]
            if charged:
                amount = in_budget(pledge["amount"], pledge["currency"], pledge["rate"], charged[0].currency)
                if self.committed_to(pledge_id) > amount:
                    over.append(f"{pledge_id}: {self.committed_to(pledge_id)} of {amount}")
        return over

    def status(self, delegate_ref: str) -> str:
        return str(self.awards_[delegate_ref]["status"])

    def statuses(self) -> dict[str, str]:
        return {ref: award["status"] for ref, award in self.awards_.items()}

    def events(self, event_type: str) -> list[dict[str, Any]]:
        """Payloads published of this type ("sponsorship.<name>"), oldest first."""
        return [e.payload for _, e in self.published if e.event_type == event_type]

    def held(self, delegate_ref: str, booking_ref: str | None = None, kind: str | None = None) -> Decimal:
        """What the delegate's lines hold (for one ticket, or the reserve with booking_ref None; of one kind)."""
        return sum(
            (
                line.amount
                for line in self.award_lines
                if line.delegate_ref == delegate_ref
                and line.booking_ref == booking_ref
                and (kind is None or line.kind == kind)
            ),
            Decimal(0),
        )

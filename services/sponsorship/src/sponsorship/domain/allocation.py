"""Who gets a sponsored place: speakers first, then officials in order of request, while money lasts.

Earmarked pledges are spent before the year's pool; no pledge is ever committed beyond its amount (I1). A
ticket-only pledge pays airfare only, and pays it first (the money that may pay anything is kept for the
rest). An award is full (airfare, subsistence allowance, terminal expenses) or ticket-only (airfare only).
Priority is strict: once a request cannot be funded, every later request waits behind it. A workshop may
cap the grants per country: a request whose country has reached the cap waits, without blocking others.
A request from a country not on the eligibility list is refused, unless staff overrode that for it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sponsorship.domain.eligibility import EligibilityList

ROLE_RANK = {"speaker": 0, "official": 1, "observer": 2}
FULL, TICKET_ONLY = "full", "ticket_only"
AWARD_TYPES = (FULL, TICKET_ONLY)
# What a ticket-only pledge may pay for: the ticket (and, once it is cancelled, the fee the airline keeps).
TICKET_KINDS = frozenset({"airfare", "ticket_fee"})


@dataclass(frozen=True)
class Request:
    delegate_ref: str
    role: str
    requested_at: datetime
    cost_lines: tuple[tuple[str, Decimal], ...]
    country: str = ""

    @property
    def total(self) -> Decimal:
        return sum((amount for _, amount in self.cost_lines), Decimal(0))


@dataclass
class Fund:
    """A pledge as the allocator sees it: what is left of it."""

    pledge_id: str
    earmarked: bool
    remaining: Decimal
    tickets_only: bool = False

    def pays(self, kind: str) -> bool:
        return not self.tickets_only or kind in TICKET_KINDS


def spending_order(funds: list[Fund]) -> list[Fund]:
    """Ticket-only pledges first (they pay nothing else), then earmarked before the pool, then by id."""
    return sorted(funds, key=lambda f: (not f.tickets_only, not f.earmarked, f.pledge_id))


@dataclass(frozen=True)
class Charge:
    kind: str
    pledge_id: str
    amount: Decimal


@dataclass(frozen=True)
class Decision:
    delegate_ref: str
    status: str  # granted | waitlisted | refused
    priority: int
    position: int | None = None
    charges: tuple[Charge, ...] = field(default_factory=tuple)
    reason: str | None = None


@dataclass(frozen=True)
class Rules:
    """A workshop's allocation rules, set by staff."""

    max_per_country: int | None = None
    minimum_sponsored: int | None = None


def priority_order(requests: list[Request]) -> list[Request]:
    return sorted(requests, key=lambda r: (ROLE_RANK.get(r.role, 9), r.requested_at, r.delegate_ref))


def charge(request: Request, funds: list[Fund]) -> tuple[Charge, ...] | None:
    """Charge each cost line to the funds that may pay it, in spending order, splitting a line where needed; None
    (and nothing spent) when a line cannot be paid in full."""
    ordered = spending_order(funds)
    if request.total > sum((f.remaining for f in ordered), Decimal(0)):
        return None
    left = {fund.pledge_id: fund.remaining for fund in ordered}
    charges: list[Charge] = []
    for kind, amount in request.cost_lines:
        due = amount
        for fund in ordered:
            if due == 0:
                break
            part = min(due, left[fund.pledge_id]) if fund.pays(kind) else Decimal(0)
            if part > 0:
                left[fund.pledge_id] -= part
                due -= part
                charges.append(Charge(kind, fund.pledge_id, part))
        if due > 0:
            return None
    for fund in ordered:
        fund.remaining = left[fund.pledge_id]
    return tuple(charges)


def screen(
    requests: list[Request], eligible: EligibilityList, overridden: Collection[str]
) -> tuple[list[Request], list[Decision]]:
    """Split requests into those that may be considered and refusals (priority 0: they hold no place)."""
    considered: list[Request] = []
    refused: list[Decision] = []
    for request in requests:
        reason = eligible.refusal(request.country, overridden=request.delegate_ref in overridden)
        if reason is None:
            considered.append(request)
        else:
            refused.append(Decision(request.delegate_ref, "refused", 0, reason=reason))
    return considered, refused


def allocate(
    pending: list[Request],
    funds: list[Fund],
    already_granted: int = 0,
    *,
    rules: Rules | None = None,
    granted_per_country: Mapping[str, int] | None = None,
) -> list[Decision]:
    """Decide every pending request (not yet granted), in priority order. `funds` are spent in place.

    `granted_per_country` counts the grants made before this allocation, for the per-country cap.
    """
    cap = rules.max_per_country if rules else None
    granted = Counter(granted_per_country or {})
    decisions: list[Decision] = []
    waiting = 0
    blocked = False  # money ran out for an earlier request: everyone after it waits
    for index, request in enumerate(priority_order(pending), start=already_granted + 1):
        capped = cap is not None and granted[request.country] >= cap
        charges = None if blocked or capped else charge(request, funds)
        if charges is None:
            blocked = blocked or not capped
            waiting += 1
            decisions.append(Decision(request.delegate_ref, "waitlisted", index, position=waiting))
        else:
            granted[request.country] += 1
            decisions.append(Decision(request.delegate_ref, "granted", index, charges=charges))
    return decisions

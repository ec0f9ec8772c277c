"""Who gets a sponsored place: speakers first, then officials in order of request, while money lasts.

Earmarked pledges are spent before the year's pool; no pledge is ever committed beyond its amount (I1).
Priority is strict: once a request cannot be funded, every later request waits behind it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

ROLE_RANK = {"speaker": 0, "official": 1, "observer": 2}


@dataclass(frozen=True)
class Request:
    delegate_ref: str
    role: str
    requested_at: datetime
    cost_lines: tuple[tuple[str, Decimal], ...]

    @property
    def total(self) -> Decimal:
        return sum((amount for _, amount in self.cost_lines), Decimal(0))


@dataclass
class Fund:
    """A pledge as the allocator sees it: what is left of it."""

    pledge_id: str
    earmarked: bool
    remaining: Decimal


@dataclass(frozen=True)
class Charge:
    kind: str
    pledge_id: str
    amount: Decimal


@dataclass(frozen=True)
class Decision:
    delegate_ref: str
    status: str  # granted | waitlisted
    priority: int
    position: int | None = None
    charges: tuple[Charge, ...] = field(default_factory=tuple)


def priority_order(requests: list[Request]) -> list[Request]:
    return sorted(requests, key=lambda r: (ROLE_RANK.get(r.role, 9), r.requested_at, r.delegate_ref))


def charge(request: Request, funds: list[Fund]) -> tuple[Charge, ...] | None:
    """Charge each cost line to the funds in order (earmarked first), splitting a line where needed."""
    ordered = sorted(funds, key=lambda f: (not f.earmarked, f.pledge_id))
    if request.total > sum((f.remaining for f in ordered), Decimal(0)):
        return None
    charges: list[Charge] = []
    for kind, amount in request.cost_lines:
        due = amount
        for fund in ordered:
            if due == 0:
                break
            part = min(due, fund.remaining)
            if part > 0:
                fund.remaining -= part
                due -= part
                charges.append(Charge(kind, fund.pledge_id, part))
    return tuple(charges)


def allocate(pending: list[Request], funds: list[Fund], already_granted: int = 0) -> list[Decision]:
    """Decide every pending request (not yet granted), in priority order. `funds` are spent in place."""
    decisions: list[Decision] = []
    waiting = 0
    for index, request in enumerate(priority_order(pending), start=already_granted + 1):
        charges = None if waiting else charge(request, funds)
        if charges is None:
            waiting += 1
            decisions.append(Decision(request.delegate_ref, "waitlisted", index, position=waiting))
        else:
            decisions.append(Decision(request.delegate_ref, "granted", index, charges=charges))
    return decisions

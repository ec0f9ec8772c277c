"""What a workshop decision would do to places and money, read before staff take it (issue 18). No I/O.

The re-decision itself is sponsorship's own (allocation, costs, ticketing, rehearsed by the service); these rules
say what travel then does to each ticket and what the money on each pledge becomes: committed before and after,
change fees, cancellation fees and airline credits left spent, and what goes back to the pledge.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

# What happens to a delegate's ticket after the decision (travel's outlook, and whether the place is kept).
KEEP, CHANGE, REBOOK, CANCEL, BOOK, NONE, UNPRICED = "keep", "change", "rebook", "cancel", "book", "none", "unpriced"
# The kinds of line that are an award's cost (what "committed" counts); the others are spent on cancelled tickets.
COST_KINDS = frozenset({"airfare", "subsistence", "terminal"})
ZERO = Decimal(0)


def ticket_step(fate: str, path: str | None, granted: bool) -> str:
    """What travel does to a delegate's ticket: the decision's fate for it (keep, follow, cancel, new) and whether
    the place is still granted once sponsorship has decided again. A place lost (waitlisted after a move) loses its
    ticket; a place kept follows the new venue by the priced path (change or rebook); a place granted without a
    ticket gets one once booking has started."""
    if fate == "new":
        return BOOK if granted else NONE
    if fate == KEEP:
        return KEEP
    if fate == CANCEL or not granted:
        return CANCEL
    return path if path in (CHANGE, REBOOK) else UNPRICED


@dataclass(frozen=True)
class Line:
    """A line of the workshop's awards on a pledge (award_lines): its kind, and the ticket that paid, if any."""

    delegate_ref: str
    kind: str
    pledge_id: str
    amount: Decimal
    booking_ref: str | None = None


@dataclass(frozen=True)
class PledgeMoney:
    """One pledge's money in the workshop before and after the decision has settled (in the budget's currency):
    committed to places, newly spent on cancellations (fees, airline credits that may expire unused), the change
    fees paid within changed tickets, and what goes back to the pledge (negative: more drawn from it)."""

    pledge_id: str
    donor_id: str
    committed_before: Decimal
    committed_after: Decimal
    cancellation_fees: Decimal
    airline_credits: Decimal
    change_fees: Decimal

    @property
    def released(self) -> Decimal:
        return self.committed_before - self.committed_after - self.cancellation_fees - self.airline_credits


def _sum(lines: Iterable[Line], pledge_id: str, kinds: Iterable[str]) -> Decimal:
    wanted = frozenset(kinds)
    return sum((line.amount for line in lines if line.pledge_id == pledge_id and line.kind in wanted), ZERO)


def split(amount: Decimal, lines: Iterable[Line]) -> dict[str, Decimal]:
    """`amount` attributed to the pledges of `lines`, first lines first (as a cancelled ticket's fee stays on the
    pledges that paid for it first)."""
    shares: dict[str, Decimal] = {}
    for line in lines:
        part = min(amount, line.amount)
        if part > 0:
            shares[line.pledge_id] = shares.get(line.pledge_id, ZERO) + part
            amount -= part
    return shares


def pledge_money(
    before: Iterable[Line],
    after: Iterable[Line],
    donors: Mapping[str, str],
    change_fees: Mapping[str, Decimal] | None = None,
) -> list[PledgeMoney]:
    """Per pledge (of `donors`: pledge id to donor id), what the workshop's lines held before and hold after.
    `change_fees`: per pledge, the change fees inside changed tickets' cost."""
    before, after = list(before), list(after)
    sunk = ("ticket_fee", "airline_credit")
    return [
        PledgeMoney(
            pledge_id=pledge_id,
            donor_id=donor_id,
            committed_before=_sum(before, pledge_id, COST_KINDS),
            committed_after=_sum(after, pledge_id, COST_KINDS),
            cancellation_fees=_sum(after, pledge_id, sunk[:1]) - _sum(before, pledge_id, sunk[:1]),
            airline_credits=_sum(after, pledge_id, sunk[1:]) - _sum(before, pledge_id, sunk[1:]),
            change_fees=(change_fees or {}).get(pledge_id, ZERO),
        )
        for pledge_id, donor_id in sorted(donors.items())
    ]


@dataclass(frozen=True)
class DonorMoney:
    donor_id: str
    committed_before: Decimal
    committed_after: Decimal
    cancellation_fees: Decimal
    airline_credits: Decimal
    change_fees: Decimal
    released: Decimal


def donor_money(pledges: Iterable[PledgeMoney]) -> list[DonorMoney]:
    """The pledges' money added up per donor."""
    totals: dict[str, list[Decimal]] = {}
    for pledge in pledges:
        row = totals.setdefault(pledge.donor_id, [ZERO] * 6)
        for index, value in enumerate(
            (
                pledge.committed_before,
                pledge.committed_after,
                pledge.cancellation_fees,
                pledge.airline_credits,
                pledge.change_fees,
                pledge.released,
            )
        ):
            row[index] += value
    return [DonorMoney(donor, *values) for donor, values in sorted(totals.items())]

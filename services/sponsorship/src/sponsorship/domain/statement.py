"""The books of a donor's money, closed the way a finance officer closes them (issue 18). No I/O.

Each line a pledge carries for a funded delegate is reconciled: committed (what the pledge holds for it) against
spent (what was actually paid out). A ticket issued is spent, used or not (a no-show's ticket is unused, and says
so); a cancelled ticket's fee and an airline credit are spent (the credit may never be used); the allowance and
terminal expenses are paid to a delegate who attended a held workshop, not to a no-show, and not before attendance
is recorded; an airfare reserve that never became a ticket is not spent. What is committed and not spent at a held
workshop goes back to the pledge. A statement names delegates by reference, country and role: never by name.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

ZERO = Decimal(0)
ALLOWANCES = frozenset({"subsistence", "terminal"})
ATTENDED, NO_SHOW = "attended", "no_show"


@dataclass(frozen=True)
class Place:
    """A funded delegate as a donor's statement names them, and what the books need to know of the workshop."""

    delegate_ref: str
    workshop_id: str
    country: str
    role: str
    award_status: str
    workshop_status: str
    attendance: str | None = None  # attended | no_show | None (not recorded)


@dataclass(frozen=True)
class Reconciled:
    """One line of a pledge for one delegate: committed, spent, and why they differ, for people."""

    delegate_ref: str
    pledge_id: str
    kind: str
    committed: Decimal
    spent: Decimal
    note: str

    @property
    def not_spent(self) -> Decimal:
        return self.committed - self.spent


def reconcile(kind: str, amount: Decimal, ticketed: bool, place: Place, pledge_id: str = "") -> Reconciled:
    """A line of `kind` holding `amount` (`ticketed`: paid for an issued ticket), reconciled for `place`."""
    held = place.workshop_status == "held"

    def line(spent: Decimal, note: str) -> Reconciled:
        return Reconciled(place.delegate_ref, pledge_id, kind, amount, spent, note)

    if kind == "ticket_fee":
        return line(amount, "cancellation fee kept by the airline")
    if kind == "airline_credit":
        return line(amount, "airline credit from a cancelled ticket (lost unless the airline honours it)")
    if kind == "airfare":
        if not ticketed:
            return line(ZERO, "no ticket issued: not spent" if held else "reserved for a ticket not yet issued")
        if place.attendance == NO_SHOW:
            return line(amount, "ticket issued, unused: no-show")
        return line(amount, "ticket used" if place.attendance == ATTENDED else "ticket issued")
    if kind in ALLOWANCES:
        if not held:
            return line(ZERO, "to be paid at the workshop")
        if place.attendance == ATTENDED:
            return line(amount, "paid: attended")
        if place.attendance == NO_SHOW:
            return line(ZERO, "not paid: no-show")
        return line(ZERO, "attendance not recorded yet: not paid")
    return line(ZERO, f"unknown kind {kind}")


@dataclass(frozen=True)
class PledgeTotals:
    """A pledge against what it paid: pledged (in the budget's currency), committed now, spent, committed but not
    spent, given back so far (released), and the balance (pledged less spent)."""

    pledge_id: str
    pledged: Decimal
    committed: Decimal
    spent: Decimal
    not_spent: Decimal
    released: Decimal

    @property
    def balance(self) -> Decimal:
        return self.pledged - self.spent


def totals(pledge_id: str, pledged: Decimal, lines: Iterable[Reconciled], released: Decimal) -> PledgeTotals:
    mine = [line for line in lines if line.pledge_id == pledge_id]
    committed = sum((line.committed for line in mine), ZERO)
    spent = sum((line.spent for line in mine), ZERO)
    return PledgeTotals(pledge_id, pledged, committed, spent, committed - spent, released)

"""What a held, issued or cancelled ticket does to the money charged to the pledges (I1 at ticketing).

An award reserves an airfare (first the estimate) on named pledges. When travel holds a fare, the
reserve is repriced to the actual fare: a dearer fare draws the difference from the workshop's funds
(ticket-only pledges, then earmarked ones, first) or is declined when the money is not there; a cheaper
one releases the difference, pool money before earmarked money. When the ticket is cancelled, the fee and
any airline credit stay spent on the pledges that paid for it and the refund is freed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from sponsorship.domain.allocation import Charge, Fund, spending_order

AIRFARE = "airfare"
TICKET_FEE = "ticket_fee"
AIRLINE_CREDIT = "airline_credit"
SUNK = (TICKET_FEE, AIRLINE_CREDIT)


def total(charges: tuple[Charge, ...] | list[Charge]) -> Decimal:
    return sum((charge.amount for charge in charges), Decimal(0))


def reprice(reserve: tuple[Charge, ...], target: Decimal, funds: list[Fund]) -> tuple[Charge, ...] | None:
    """The airfare charges after repricing `reserve` to `target`, or None when the funds cannot pay the difference.

    `funds` hold what is left of each pledge besides `reserve`; the difference drawn is taken from them in place.
    Released money is taken off the last charges first, so the pool is freed before earmarked money.
    """
    if target < 0:
        raise ValueError("a fare cannot be negative")
    current = total(reserve)
    if target <= current:
        release = current - target
        kept: list[Charge] = []
        for charge in reversed(reserve):
            cut = min(release, charge.amount)
            release -= cut
            if charge.amount - cut > 0:
                kept.append(Charge(AIRFARE, charge.pledge_id, charge.amount - cut))
        return tuple(merge(reversed(kept)))
    due = target - current
    ordered = spending_order(funds)  # every pledge may pay a fare: ticket-only ones first
    if due > sum((max(fund.remaining, Decimal(0)) for fund in ordered), Decimal(0)):
        return None
    drawn: list[Charge] = []
    for fund in ordered:
        if due == 0:
            break
        part = min(due, fund.remaining)
        if part > 0:
            fund.remaining -= part
            due -= part
            drawn.append(Charge(AIRFARE, fund.pledge_id, part))
    return tuple(merge([Charge(AIRFARE, c.pledge_id, c.amount) for c in (*reserve, *drawn)]))


def merge(charges: Iterable[Charge]) -> list[Charge]:
    """One charge per (kind, pledge), in first-seen order."""
    amounts: dict[tuple[str, str], Decimal] = {}
    for charge in charges:
        key = (charge.kind, charge.pledge_id)
        amounts[key] = amounts.get(key, Decimal(0)) + charge.amount
    return [Charge(kind, pledge_id, amount) for (kind, pledge_id), amount in amounts.items() if amount > 0]


def difference(before: tuple[Charge, ...], after: tuple[Charge, ...]) -> tuple[Charge, ...]:
    """What each pledge carries in `before` beyond `after` (the money a repricing gave back), per pledge."""
    left = {charge.pledge_id: charge.amount for charge in merge(after)}
    given_back = [Charge(AIRFARE, c.pledge_id, c.amount - left.get(c.pledge_id, Decimal(0))) for c in merge(before)]
    return tuple(charge for charge in given_back if charge.amount > 0)


def as_airfare(charge: Charge) -> Charge:
    return Charge(AIRFARE, charge.pledge_id, charge.amount)


def less_airfare(lines: tuple[tuple[str, Decimal], ...], coming: Decimal) -> tuple[tuple[str, Decimal], ...]:
    """Estimated cost lines less the airfare money a delegate's old ticket will bring back (never below 0)."""
    return tuple((kind, max(amount - coming, Decimal(0)) if kind == AIRFARE else amount) for kind, amount in lines)


def without_airfare(lines: tuple[tuple[str, Decimal], ...]) -> tuple[tuple[str, Decimal], ...]:
    """Estimated cost lines of a delegate who already holds a ticket for the venue: its airfare is paid (the
    ticket's line holds it), nothing more is reserved for it."""
    return tuple((kind, amount) for kind, amount in lines if kind != AIRFARE)


@dataclass(frozen=True)
class Cancellation:
    """A cancelled ticket's money: what stays spent (fee, airline credit) and what is freed, per pledge."""

    sunk: tuple[Charge, ...]
    freed: tuple[Charge, ...]


def cancel_ticket(
    ticket: tuple[Charge, ...], fee: Decimal, credit: Decimal, refund: Decimal | None = None
) -> Cancellation:
    """Split a ticket's charges: the fee, then the credit, stay on the pledges that paid (first charges first);
    the rest is freed. Fee and credit never exceed what the ticket cost. When the airline's `refund` is known,
    no more than it is freed: what the ticket cost beyond the refund and the credit (a change fee paid along
    the way, say) stays spent with the fee."""
    if fee < 0 or credit < 0 or (refund is not None and refund < 0):
        raise ValueError("fee, credit and refund cannot be negative")
    if refund is not None:
        fee = max(fee, total(ticket) - refund - credit)
    wanted = [(TICKET_FEE, fee), (AIRLINE_CREDIT, credit)]
    sunk: list[Charge] = []
    freed: list[Charge] = []
    for charge in ticket:
        left = charge.amount
        for index, (kind, amount) in enumerate(wanted):
            part = min(left, amount)
            if part > 0:
                sunk.append(Charge(kind, charge.pledge_id, part))
                left -= part
                wanted[index] = (kind, amount - part)
        if left > 0:
            freed.append(Charge(AIRFARE, charge.pledge_id, left))
    return Cancellation(tuple(sunk), tuple(freed))


def refusal_to_reduce(pledge_id: str, committed: Decimal, spendable_after: Decimal, currency: str) -> str | None:
    """Why a pledge cannot drop to `spendable_after` (withdrawn, unconfirmed, smaller), or None if it can."""
    if spendable_after >= committed:
        return None
    return (
        f"pledge {pledge_id}: {committed} {currency} is already committed to awards; the pledge cannot drop below that"
    )

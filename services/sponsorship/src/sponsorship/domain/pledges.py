"""What makes a pledge acceptable, and what it is worth to a workshop's budget.

A pledge in another currency than the workshop's is converted at the rate recorded on the pledge (no live FX).
In-kind pledges (a venue, hospitality) have an estimated value that is never cash for travel. Only confirmed
and received cash is spent on sponsored places.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, Decimal

# Beyond this, in any currency, a figure is a typing mistake rather than a pledge.
ABSURD = Decimal("100000000")
SPENDABLE = ("confirmed", "received")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Pledge:
    pledge_id: str
    donor_id: str
    amount: Decimal
    currency: str
    kind: str = "cash"
    status: str = "confirmed"
    workshop_id: str | None = None
    year: int | None = None
    covers: str | None = None
    rate: Decimal | None = None
    on_deferral: str = "carry_over"
    pledged_on: date | None = None
    award_type: str = "full"  # full: pays any cost line; ticket_only: airfare only


def refusal(
    pledge: Pledge,
    *,
    donors: Collection[str],
    currencies: Collection[str],
    workshop_status: str | None = None,
    budget_currency: str | None = None,
) -> str | None:
    """Why the pledge is refused, as a sentence for staff, or None when it may be recorded.

    `workshop_status` and `budget_currency` describe the workshop it is earmarked for (or the currency of the
    workshops of its year), when known.
    """
    where = f"pledge {pledge.pledge_id}"
    if pledge.donor_id not in donors:
        return f"{where}: donor {pledge.donor_id} is not known (record the donor first)"
    if pledge.amount < 0:
        return f"{where}: the amount {pledge.amount} is negative"
    if pledge.amount >= ABSURD:
        return f"{where}: the amount {pledge.amount:,} {pledge.currency} is not plausible for a pledge"
    if pledge.currency not in currencies:
        return f"{where}: currency {pledge.currency} is not an ISO 4217 currency"
    if pledge.kind == "in_kind" and not pledge.covers:
        return f"{where}: an in-kind pledge says what it covers (for example covers: venue)"
    if pledge.kind == "in_kind" and pledge.award_type != "full":
        return f"{where}: an in-kind pledge pays no tickets; ticket_only is for cash pledges"
    if pledge.kind == "cash" and pledge.covers:
        return f"{where}: a cash pledge covers nothing in kind; record the {pledge.covers} offer as kind in_kind"
    if workshop_status in ("deferred", "cancelled") and pledge.status != "withdrawn":
        return f"{where}: workshop {pledge.workshop_id} is {workshop_status}; no pledge is taken for it"
    if budget_currency is not None:
        if pledge.currency != budget_currency and pledge.rate is None:
            return (
                f"{where}: the pledge is in {pledge.currency} and the budget in {budget_currency};"
                f" record the rate (so many {budget_currency} per {pledge.currency})"
            )
        if pledge.currency == budget_currency and pledge.rate not in (None, Decimal(1)):
            return f"{where}: a rate only applies to a pledge in another currency than the budget's"
    return None


def in_budget_currency(amount: Decimal, currency: str, rate: Decimal | None, budget_currency: str) -> Decimal | None:
    """The amount in the budget's currency at the pledge's recorded rate, down to the cent (never more money
    than the donor gave), or None when it cannot be converted (no rate recorded)."""
    if currency == budget_currency:
        return amount
    if rate is None:
        return None
    return (amount * rate).quantize(CENT, rounding=ROUND_DOWN)


def spendable(pledge: Pledge, budget_currency: str) -> Decimal:
    """What the pledge can pay for sponsored places of a workshop in `budget_currency`."""
    if pledge.kind != "cash" or pledge.status not in SPENDABLE:
        return Decimal(0)
    return in_budget_currency(pledge.amount, pledge.currency, pledge.rate, budget_currency) or Decimal(0)

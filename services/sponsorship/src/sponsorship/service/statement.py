"""A donor's statement (issue 18): each funded delegate (reference, country, role: no names), each cost line
committed against spent, and the totals against each pledge; from the rows sponsorship keeps."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from sponsorship.domain import pledges, statement
from sponsorship.domain.statement import Place

ZERO = Decimal(0)


def donor_statement(
    donor: Mapping[str, Any],
    pledge_rows: Iterable[Mapping[str, Any]],
    lines: Iterable[Mapping[str, Any]],
    places: Mapping[str, Place],
    workshops: Mapping[str, Mapping[str, Any]],
    released: Mapping[tuple[str, str], Decimal],
    year: int | None,
) -> dict[str, Any]:
    """`lines`: the donor's pledges' award lines (delegate_ref, kind, pledge_id, amount, booking_ref); `released`:
    money given back per (pledge, why). Amounts in each workshop's currency; a pledge in another currency is
    converted at the rate recorded on it."""
    reconciled = [
        statement.reconcile(
            line["kind"],
            Decimal(line["amount"]),
            line["booking_ref"] is not None,
            places[line["delegate_ref"]],
            line["pledge_id"],
        )
        for line in lines
    ]
    shown_pledges = []
    for row in pledge_rows:
        own = workshops.get(row["workshop_id"] or "")
        currency = str(own["currency"]) if own else next((str(w["currency"]) for w in workshops.values()), "")
        currency = currency or str(row["currency"])
        pledged = pledges.in_budget_currency(Decimal(row["amount"]), row["currency"], row["rate"], currency)
        gone = {why: amount for (pledge_id, why), amount in released.items() if pledge_id == row["pledge_id"]}
        totals = statement.totals(row["pledge_id"], pledged or ZERO, reconciled, sum(gone.values(), ZERO))
        shown_pledges.append(
            {
                "pledge_id": row["pledge_id"],
                "earmarked_for": row["workshop_id"] or f"the {row['year']} pool",
                "kind": row["kind"],
                "status": row["status"],
                "amount": str(row["amount"]),
                "pledge_currency": row["currency"],
                "currency": currency,
                "pledged": str(totals.pledged),
                "committed": str(totals.committed),
                "spent": str(totals.spent),
                "not_spent": str(totals.not_spent),
                "released": str(totals.released),
                "released_by_reason": {why: str(amount) for why, amount in sorted(gone.items())},
                "balance": str(totals.balance),
            }
        )
    delegates: dict[str, dict[str, Any]] = {}
    for line in reconciled:
        place = places[line.delegate_ref]
        shown = delegates.setdefault(
            line.delegate_ref,
            {
                "delegate_ref": place.delegate_ref,
                "workshop_id": place.workshop_id,
                "country": place.country,
                "role": place.role,
                "award": place.award_status,
                "attendance": place.attendance,
                "lines": [],
            },
        )
        shown["lines"].append(
            {
                "pledge_id": line.pledge_id,
                "kind": line.kind,
                "committed": str(line.committed),
                "spent": str(line.spent),
                "not_spent": str(line.not_spent),
                "note": line.note,
            }
        )
    return {
        "donor": {"donor_id": donor["donor_id"], "name": donor["name"]},
        "year": year,
        "workshops": [dict(w) for w in workshops.values()],
        "pledges": shown_pledges,
        "delegates": sorted(delegates.values(), key=lambda d: (d["workshop_id"], d["delegate_ref"])),
        "totals": {
            name: str(sum((Decimal(p[name]) for p in shown_pledges), ZERO))
            for name in ("pledged", "committed", "spent", "not_spent", "released", "balance")
        },
    }

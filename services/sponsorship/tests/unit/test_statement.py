"""Closing the books (issue 18): each line a donor's pledge carries, committed against spent, by what the delegate
did (attended, no-show, not yet recorded) and what the ticket became; the totals against each pledge."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from shared.contracts import registration, sponsorship
from shared.messaging.consumer import Refused
from sponsorship.domain.statement import Place, reconcile, totals
from sponsorship.service.statement import donor_statement

from ..driver import AIRFARE, PLACE, fare_held, geneva, ticket_issued, workshop

D = Decimal


def place(attendance: str | None = None, workshop_status: str = "held") -> Place:
    return Place("GVA-017", "w", "KE", "speaker", "granted", workshop_status, attendance)


@pytest.mark.parametrize(
    ("kind", "ticketed", "attendance", "status", "spent", "note"),
    [
        ("airfare", True, "attended", "held", 900, "ticket used"),
        ("airfare", True, "no_show", "held", 900, "ticket issued, unused: no-show"),
        ("airfare", True, None, "scheduled", 900, "ticket issued"),
        ("airfare", False, None, "held", 0, "no ticket issued: not spent"),
        ("airfare", False, None, "scheduled", 0, "reserved for a ticket not yet issued"),
        ("subsistence", False, "attended", "held", 900, "paid: attended"),
        ("terminal", False, "no_show", "held", 0, "not paid: no-show"),
        ("subsistence", False, None, "held", 0, "attendance not recorded yet: not paid"),
        ("subsistence", False, None, "scheduled", 0, "to be paid at the workshop"),
        ("ticket_fee", True, None, "held", 900, "cancellation fee kept by the airline"),
        ("airline_credit", True, "no_show", "held", 900, "airline credit"),
    ],
)
def test_each_line_is_spent_or_not_by_what_the_ticket_became_and_whether_the_delegate_came(
    kind: str, ticketed: bool, attendance: str | None, status: str, spent: int, note: str
) -> None:
    line = reconcile(kind, D(900), ticketed, place(attendance, status), "p")

    assert (line.committed, line.spent, line.not_spent) == (D(900), D(spent), D(900 - spent))
    assert line.note.startswith(note)


def test_a_pledge_against_what_it_paid() -> None:
    lines = [
        reconcile("airfare", D(1000), True, place("no_show"), "p"),
        reconcile("subsistence", D(600), False, place("no_show"), "p"),
        reconcile("airfare", D(500), True, place("attended"), "q"),
    ]

    found = totals("p", D(5000), lines, released=D(250))

    assert (found.pledged, found.committed, found.spent, found.not_spent, found.released, found.balance) == (
        D(5000),
        D(1600),
        D(1000),
        D(600),
        D(250),
        D(4000),
    )


def test_a_statement_names_each_delegate_by_reference_country_and_role_with_the_totals_per_pledge() -> None:
    places = {
        "A": Place("A", "w", "KE", "speaker", "granted", "held", "attended"),
        "B": Place("B", "w", "SN", "official", "granted", "held", "no_show"),
    }
    lines = [
        {"delegate_ref": "A", "kind": "airfare", "pledge_id": "p", "amount": D(2000), "booking_ref": "T1"},
        {"delegate_ref": "A", "kind": "subsistence", "pledge_id": "p", "amount": D(1050), "booking_ref": None},
        {"delegate_ref": "B", "kind": "airfare", "pledge_id": "p", "amount": D(1500), "booking_ref": "T2"},
        {"delegate_ref": "B", "kind": "subsistence", "pledge_id": "p", "amount": D(1050), "booking_ref": None},
    ]
    pledge = {"pledge_id": "p", "workshop_id": "w", "year": None, "amount": D(10000), "currency": "AUD",
              "rate": D("0.75"), "kind": "cash", "status": "confirmed"}  # fmt: skip

    found = donor_statement(
        {"donor_id": "aus", "name": "Government of Australia"},
        [pledge],
        lines,
        places,
        {"w": {"workshop_id": "w", "currency": "USD", "status": "held"}},
        {("p", "ticket refund"): D(300)},
        2006,
    )

    assert [(d["delegate_ref"], d["country"], d["role"], d["attendance"]) for d in found["delegates"]] == [
        ("A", "KE", "speaker", "attended"),
        ("B", "SN", "official", "no_show"),
    ]
    [shown] = found["pledges"]
    # AUD 10,000 at 0.75: USD 7,500; spent both tickets and A's allowance; B's allowance comes back.
    assert {k: shown[k] for k in ("currency", "pledged", "committed", "spent", "not_spent", "released", "balance")} == {
        "currency": "USD",
        "pledged": "7500.00",
        "committed": "5600",
        "spent": "4550",
        "not_spent": "1050",
        "released": "300",
        "balance": "2950.00",
    }
    assert found["totals"]["spent"] == "4550"


async def test_attendance_is_kept_and_a_held_workshop_allocates_nothing() -> None:
    service = await geneva(2 * PLACE, delegates=2)
    await service.send(fare_held("DEL-01", "H1", AIRFARE), ticket_issued("DEL-01", "T1", AIRFARE))
    held = workshop(revision=2, status="held", change="held", as_of=date(2006, 7, 14))

    await service.send(
        held, registration.AttendanceRecorded(workshop_id=held.workshop_id, ref="DEL-01", attended=False)
    )

    assert service.repo.attendance["DEL-01"][:2] == (held.workshop_id, False)
    assert service.granted() == ["DEL-01", "DEL-02"] and service.committed() == 2 * PLACE  # nothing re-decided
    with pytest.raises(Refused, match="is held: nothing to allocate"):
        await service.send(sponsorship.AllocateSponsorships(workshop_id=held.workshop_id))

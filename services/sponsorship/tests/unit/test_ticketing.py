"""Actual fares, tickets and cancellations against the pledges (sponsorship.domain.ticketing), and I1 across them."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sponsorship.domain import ticketing
from sponsorship.domain.allocation import Charge, Fund, Request, allocate

D = Decimal


def airfare(*items: tuple[str, str]) -> tuple[Charge, ...]:
    return tuple(Charge("airfare", pledge, D(amount)) for pledge, amount in items)


# Repricing the airfare reserve to the held fare.


def test_a_dearer_fare_draws_the_difference_earmarked_money_first() -> None:
    funds = [Fund("pool", False, D("1000")), Fund("earmark", True, D("50"))]

    repriced = ticketing.reprice(airfare(("earmark", "800")), D("900"), funds)

    assert repriced == airfare(("earmark", "850"), ("pool", "50"))
    assert [f.remaining for f in funds] == [D("950"), D("0")]


def test_a_dearer_fare_the_money_cannot_cover_is_refused_and_takes_nothing() -> None:
    funds = [Fund("pool", False, D("99.99"))]

    assert ticketing.reprice(airfare(("pool", "800")), D("900"), funds) is None
    assert funds[0].remaining == D("99.99")


def test_a_cheaper_fare_releases_the_difference_from_the_pool_before_earmarked_money() -> None:
    funds = [Fund("earmark", True, D("0")), Fund("pool", False, D("0"))]

    repriced = ticketing.reprice(airfare(("earmark", "500"), ("pool", "300")), D("600"), funds)

    assert repriced == airfare(("earmark", "500"), ("pool", "100"))
    assert [f.remaining for f in funds] == [D("0"), D("0")]  # funds are only drawn from, never credited here


def test_the_same_fare_changes_nothing_and_an_empty_reserve_draws_the_whole_fare() -> None:
    assert ticketing.reprice(airfare(("p", "800")), D("800"), []) == airfare(("p", "800"))
    assert ticketing.reprice((), D("640"), [Fund("p", True, D("700"))]) == airfare(("p", "640"))
    assert ticketing.reprice(airfare(("p", "800")), D("0"), []) == ()


def test_a_negative_fare_is_an_error() -> None:
    with pytest.raises(ValueError, match="negative"):
        ticketing.reprice((), D("-1"), [])


# Cancelling a ticket.


def test_a_cancelled_ticket_keeps_the_fee_and_the_credit_and_frees_the_rest() -> None:
    split = ticketing.cancel_ticket(airfare(("earmark", "500"), ("pool", "400")), fee=D("150"), credit=D("400"))

    assert split.sunk == (
        Charge("ticket_fee", "earmark", D("150")),
        Charge("airline_credit", "earmark", D("350")),
        Charge("airline_credit", "pool", D("50")),
    )
    assert split.freed == airfare(("pool", "350"))


def test_fee_and_credit_never_keep_more_than_the_ticket_cost() -> None:
    split = ticketing.cancel_ticket(airfare(("p", "300")), fee=D("200"), credit=D("200"))

    assert split.sunk == (Charge("ticket_fee", "p", D("200")), Charge("airline_credit", "p", D("100")))
    assert split.freed == ()


def test_no_more_than_the_refund_is_freed_after_a_change_fee_was_paid() -> None:
    """A 1,000 ticket changed for 75 (fee) + 50 (dearer fare), then cancelled: the airline refunds the new fare's
    1,050 less its 100 fee; the change fee it kept stays spent, never freed again."""
    ticket = airfare(("p", "1000"), ("p", "125"))
    split = ticketing.cancel_ticket(ticket, fee=D("100"), credit=D(0), refund=D("950"))

    assert ticketing.total(split.freed) == D("950")
    assert ticketing.total(split.sunk) == D("175")
    assert ticketing.total(ticketing.cancel_ticket(ticket, D("100"), D(0)).freed) == D("1025")  # without the refund


def test_a_full_refund_frees_everything() -> None:
    split = ticketing.cancel_ticket(airfare(("p", "300")), D(0), D(0))

    assert split == ticketing.Cancellation((), airfare(("p", "300")))


def test_a_pledge_cannot_drop_below_what_is_committed() -> None:
    assert ticketing.refusal_to_reduce("p", D("100"), D("100"), "USD") is None
    reason = ticketing.refusal_to_reduce("p", D("100"), D("0"), "USD")
    assert reason is not None and "100 USD is already committed" in reason


# I1 over sequences: allocate, a fare held at another price (approved or declined), ticket issued, ticket
# cancelled with a refund, fee and credit, sponsorship withdrawn, pledge withdrawn or increased.

T0 = datetime(2006, 4, 1, 9, 0, tzinfo=UTC)
small_money = st.integers(min_value=0, max_value=3000)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("allocate")),
        st.tuples(st.just("fare_held"), st.integers(0, 20), small_money),
        st.tuples(st.just("ticket_issued"), st.integers(0, 20), small_money),
        st.tuples(st.just("ticket_cancelled"), st.integers(0, 20), small_money, small_money),
        st.tuples(st.just("withdraw"), st.integers(0, 20)),
        st.tuples(st.just("pledge_withdrawn"), st.integers(0, 2)),
        st.tuples(st.just("pledge_grows"), st.integers(0, 2), small_money),
    ),
    max_size=30,
)


@settings(max_examples=1500, deadline=None)
@given(
    st.lists(st.tuples(st.integers(1, 2500), st.integers(0, 800)), min_size=1, max_size=10),
    st.lists(st.tuples(st.booleans(), st.integers(0, 8000)), min_size=1, max_size=3),
    steps,
)
def test_no_sequence_with_tickets_commits_a_pledge_beyond_its_amount(
    costs: list[tuple[int, int]], pledges: list[tuple[bool, int]], operations: list[tuple[object, ...]]
) -> None:
    amounts = {f"pledge-{i}": D(amount) for i, (_, amount) in enumerate(pledges)}
    earmarked = {f"pledge-{i}": flag for i, (flag, _) in enumerate(pledges)}
    requests = [
        Request(f"R{i}", "official", T0 + timedelta(minutes=i), (("airfare", D(fare)), ("subsistence", D(stay))))
        for i, (fare, stay) in enumerate(costs)
    ]
    status: dict[str, str] = {}
    reserve: dict[str, tuple[Charge, ...]] = defaultdict(tuple)  # airfare not yet spent on a ticket
    other: dict[str, tuple[Charge, ...]] = defaultdict(tuple)  # subsistence, terminal
    tickets: dict[str, tuple[str, tuple[Charge, ...]]] = {}  # booking -> (delegate, charges)
    sunk: list[Charge] = []  # fees and airline credits of cancelled tickets

    def committed() -> dict[str, Decimal]:
        spent: dict[str, Decimal] = defaultdict(Decimal)
        every = [*sunk, *(c for _, lines in tickets.values() for c in lines)]
        every += [c for lines in (*reserve.values(), *other.values()) for c in lines]
        for charge in every:
            spent[charge.pledge_id] += charge.amount
        return spent

    def funds() -> list[Fund]:
        spent = committed()
        return [Fund(p, earmarked[p], amounts[p] - spent[p]) for p in amounts]

    def pick(index: object, refs: list[str]) -> str | None:
        return refs[int(index) % len(refs)] if refs else None  # type: ignore[call-overload]

    for step in operations:
        granted = sorted(ref for ref, s in status.items() if s == "granted")
        if step[0] == "allocate":
            waiting = [r for r in requests if status.get(r.delegate_ref) in (None, "waitlisted")]
            for decision in allocate(waiting, funds(), already_granted=len(granted)):
                status[decision.delegate_ref] = decision.status
                if decision.status == "granted":
                    reserve[decision.delegate_ref] = tuple(c for c in decision.charges if c.kind == "airfare")
                    other[decision.delegate_ref] = tuple(c for c in decision.charges if c.kind != "airfare")
        elif step[0] == "fare_held" and (ref := pick(step[1], granted)):
            fare = D(step[2])  # type: ignore[arg-type]
            repriced = ticketing.reprice(reserve[ref], fare, funds())
            if repriced is not None:  # approved: the reserve is now exactly the fare
                reserve[ref] = repriced
                assert ticketing.total(repriced) == fare
        elif step[0] == "ticket_issued" and (ref := pick(step[1], [r for r in granted if reserve[r]])):
            fare = D(step[2])  # type: ignore[arg-type]
            if fare < ticketing.total(reserve[ref]):  # a reserve larger than the fare gives back the rest
                reserve[ref] = ticketing.reprice(reserve[ref], fare, []) or ()
            tickets[f"B{len(tickets)}-{ref}"] = (ref, reserve.pop(ref))
        elif step[0] == "ticket_cancelled" and (booking := pick(step[1], sorted(tickets))):
            ref, lines = tickets.pop(booking)
            split = ticketing.cancel_ticket(lines, D(step[2]), D(step[3]))  # type: ignore[arg-type]
            assert ticketing.total(split.sunk) + ticketing.total(split.freed) == ticketing.total(lines)
            if status[ref] == "granted" and all(holder != ref for holder, _ in tickets.values()):
                # Being rebooked: the fee stays spent, the refund and the airline credit go to the next ticket.
                sunk.extend(c for c in split.sunk if c.kind == ticketing.TICKET_FEE)
                credits = [ticketing.as_airfare(c) for c in split.sunk if c.kind == ticketing.AIRLINE_CREDIT]
                reserve[ref] = tuple(ticketing.merge([*reserve[ref], *split.freed, *credits]))
            else:
                sunk.extend(split.sunk)
        elif step[0] == "withdraw" and (ref := pick(step[1], granted)):
            status[ref] = "withdrawn"
            reserve.pop(ref, None)
            other.pop(ref, None)  # its tickets stay spent until travel cancels them
        elif step[0] == "pledge_withdrawn":
            pledge = f"pledge-{int(step[1]) % len(amounts)}"  # type: ignore[call-overload]
            if ticketing.refusal_to_reduce(pledge, committed()[pledge], D(0), "USD") is None:
                amounts[pledge] = D(0)
        elif step[0] == "pledge_grows":
            amounts[f"pledge-{int(step[1]) % len(amounts)}"] += D(step[2])  # type: ignore[call-overload, arg-type]

        spent = committed()
        for pledge, amount in amounts.items():
            assert spent[pledge] <= amount, f"{pledge}: {spent[pledge]} committed of {amount} after {step}"
        assert all(c.amount > 0 for lines in reserve.values() for c in lines)


def test_what_a_repricing_gave_back_is_the_difference_per_pledge() -> None:
    before = airfare(("earmark", "500"), ("pool", "300"))

    assert ticketing.difference(before, airfare(("earmark", "500"), ("pool", "100"))) == airfare(("pool", "200"))
    assert ticketing.difference(before, airfare(("earmark", "900"))) == airfare(("pool", "300"))
    assert ticketing.difference(before, before) == ()


def test_less_airfare_takes_what_an_old_ticket_brings_back_off_the_airfare_only() -> None:
    lines = (("airfare", D("2450")), ("subsistence", D("1050")))

    assert ticketing.less_airfare(lines, D("2000")) == (("airfare", D("450")), ("subsistence", D("1050")))
    assert ticketing.less_airfare(lines, D("3000")) == (("airfare", D("0")), ("subsistence", D("1050")))

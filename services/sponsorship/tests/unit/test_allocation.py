"""Who gets a sponsored place and which pledge pays for what (sponsorship.domain.allocation), and the cost estimate."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sponsorship.domain import costs
from sponsorship.domain.allocation import Charge, Decision, Fund, Request, allocate
from sponsorship.domain.costs import SubsistenceRate, SubsistenceTable

T0 = datetime(2006, 4, 1, 9, 0, tzinfo=UTC)


def request(ref: str, role: str, minutes: int, *lines: tuple[str, str]) -> Request:
    return Request(ref, role, T0 + timedelta(minutes=minutes), tuple((kind, Decimal(a)) for kind, a in lines))


def flat(ref: str, role: str, minutes: int, amount: str) -> Request:
    return request(ref, role, minutes, ("airfare", amount))


def test_speakers_come_before_officials_and_officials_in_order_of_request() -> None:
    pending = [
        flat("official-late", "official", 30, "100"),
        flat("speaker", "speaker", 50, "100"),
        flat("official-early", "official", 10, "100"),
    ]

    decisions = allocate(pending, [Fund("pool", False, Decimal("1000"))])

    assert [(d.delegate_ref, d.status, d.priority) for d in decisions] == [
        ("speaker", "granted", 1),
        ("official-early", "granted", 2),
        ("official-late", "granted", 3),
    ]


def test_once_one_request_cannot_be_funded_everyone_after_it_waits_in_order() -> None:
    pending = [
        flat("A", "speaker", 0, "600"),
        flat("B", "official", 1, "600"),  # 400 left: cannot be funded
        flat("C", "official", 2, "100"),  # would fit, but waits behind B
        flat("D", "official", 3, "50"),
    ]
    funds = [Fund("pool", False, Decimal("1000"))]

    decisions = allocate(pending, funds)

    assert [(d.delegate_ref, d.status, d.position) for d in decisions] == [
        ("A", "granted", None),
        ("B", "waitlisted", 1),
        ("C", "waitlisted", 2),
        ("D", "waitlisted", 3),
    ]
    assert [d.charges for d in decisions[1:]] == [(), (), ()]
    assert funds[0].remaining == Decimal("400")


def test_earmarked_funds_are_spent_before_the_pool() -> None:
    # "a-pool" sorts before "z-earmark" by id: only the earmark can put it first.
    funds = [Fund("a-pool", False, Decimal("1000")), Fund("z-earmark", True, Decimal("500"))]

    [decision] = allocate([flat("A", "speaker", 0, "300")], funds)

    assert decision.charges == (Charge("airfare", "z-earmark", Decimal("300")),)
    assert {f.pledge_id: f.remaining for f in funds} == {"a-pool": Decimal("1000"), "z-earmark": Decimal("200")}


def test_a_cost_line_is_split_across_two_funds_when_the_first_runs_out() -> None:
    funds = [Fund("earmark", True, Decimal("500")), Fund("pool", False, Decimal("1000"))]
    pending = [request("A", "speaker", 0, ("airfare", "400"), ("subsistence", "300"))]

    [decision] = allocate(pending, funds)

    assert decision.status == "granted"
    assert decision.charges == (
        Charge("airfare", "earmark", Decimal("400")),
        Charge("subsistence", "earmark", Decimal("100")),
        Charge("subsistence", "pool", Decimal("200")),
    )
    assert [f.remaining for f in funds] == [Decimal("0"), Decimal("800")]


def test_already_granted_places_offset_the_priorities_of_new_decisions() -> None:
    pending = [flat("A", "speaker", 0, "100"), flat("B", "official", 1, "100"), flat("C", "official", 2, "100")]

    decisions = allocate(pending, [Fund("pool", False, Decimal("250"))], already_granted=5)

    assert [(d.delegate_ref, d.status, d.priority, d.position) for d in decisions] == [
        ("A", "granted", 6, None),
        ("B", "granted", 7, None),
        ("C", "waitlisted", 8, 1),
    ]


def test_no_funds_waitlists_everyone() -> None:
    decisions = allocate([flat("A", "speaker", 0, "1"), flat("B", "official", 0, "1")], [])

    assert decisions == [Decision("A", "waitlisted", 1, position=1), Decision("B", "waitlisted", 2, position=2)]


# Properties: whatever the requests and the funds, no pledge is committed beyond its amount (I1).

money = st.decimals(min_value=0, max_value=5000, places=2, allow_nan=False, allow_infinity=False)
requests = st.lists(
    st.builds(
        Request,
        delegate_ref=st.text("ABCDEFGH0123456789", min_size=1, max_size=6),
        role=st.sampled_from(["speaker", "official", "observer"]),
        requested_at=st.datetimes(
            min_value=datetime(2006, 1, 1), max_value=datetime(2006, 7, 1), timezones=st.just(UTC)
        ),
        cost_lines=st.lists(
            st.tuples(st.sampled_from(["airfare", "subsistence", "terminal"]), money), min_size=1, max_size=3
        ).map(tuple),
    ),
    max_size=15,
    unique_by=lambda r: r.delegate_ref,
)
funds_strategy = st.lists(
    st.tuples(st.booleans(), st.decimals(min_value=0, max_value=20000, places=2), st.booleans()), max_size=4
).map(
    lambda items: [
        Fund(f"pledge-{i}", earmarked, remaining, tickets_only)
        for i, (earmarked, remaining, tickets_only) in enumerate(items)
    ]
)


@given(requests, funds_strategy, st.integers(min_value=0, max_value=50))
def test_allocation_never_overspends_a_fund_and_grants_exactly_what_is_asked(
    pending: list[Request], funds: list[Fund], already_granted: int
) -> None:
    starting = {f.pledge_id: f.remaining for f in funds}
    tickets_only = {f.pledge_id for f in funds if f.tickets_only}

    decisions = allocate(pending, funds, already_granted=already_granted)

    charged: dict[str, Decimal] = defaultdict(Decimal)
    for decision in decisions:
        for item in decision.charges:
            assert item.amount > 0
            assert item.kind == "airfare" or item.pledge_id not in tickets_only  # a ticket-only pledge pays fares
            charged[item.pledge_id] += item.amount
    for pledge_id, amount in charged.items():
        assert amount <= starting[pledge_id], f"{pledge_id} charged {amount} of {starting[pledge_id]}"
    for fund in funds:
        assert fund.remaining >= 0
        assert fund.remaining == starting[fund.pledge_id] - charged[fund.pledge_id]

    asked = {r.delegate_ref: sum((amount for _, amount in r.cost_lines), Decimal(0)) for r in pending}
    lines = {r.delegate_ref: r.cost_lines for r in pending}
    assert sorted(d.delegate_ref for d in decisions) == sorted(asked)
    for decision in decisions:
        if decision.status == "granted":
            assert sum((c.amount for c in decision.charges), Decimal(0)) == asked[decision.delegate_ref]
            per_kind_asked: dict[str, Decimal] = defaultdict(Decimal)
            per_kind_charged: dict[str, Decimal] = defaultdict(Decimal)
            for kind, amount in lines[decision.delegate_ref]:
                per_kind_asked[kind] += amount
            for item in decision.charges:
                per_kind_charged[item.kind] += item.amount
            assert {k: v for k, v in per_kind_asked.items() if v} == dict(per_kind_charged)
        else:
            assert decision.status == "waitlisted"
            assert decision.charges == ()


@given(requests, funds_strategy)
def test_waitlist_is_strict_and_numbered_from_one(pending: list[Request], funds: list[Fund]) -> None:
    decisions = allocate(pending, funds)

    statuses = [d.status for d in decisions]
    first_waiting = statuses.index("waitlisted") if "waitlisted" in statuses else len(statuses)
    assert statuses == ["granted"] * first_waiting + ["waitlisted"] * (len(statuses) - first_waiting)
    assert [d.position for d in decisions[first_waiting:]] == list(range(1, len(statuses) - first_waiting + 1))
    assert [d.priority for d in decisions] == list(range(1, len(decisions) + 1))


# Cost estimates (sponsorship.domain.costs).

RATES = SubsistenceTable(
    [
        SubsistenceRate("Geneva", "USD", Decimal("350"), date(2006, 1, 1)),
        SubsistenceRate("Bangkok", "USD", Decimal("172"), date(2006, 1, 1)),
    ]
)


def test_geneva_2006_is_three_nights() -> None:
    # Arrive 11 July, leave 14 July.
    assert costs.nights(date(2006, 7, 12), date(2006, 7, 13)) == 3


def test_estimate_for_geneva_lists_airfare_subsistence_and_terminal_expenses() -> None:
    # 4000 km: 2 x (250 + 0.16 x 4000) = 1780 USD; 3 nights at 350 USD; 4 transfers, 152 USD.
    assert costs.estimate(4000.0, "Geneva", date(2006, 7, 12), date(2006, 7, 13), RATES) == [
        ("airfare", Decimal("1780")),
        ("subsistence", Decimal("1050")),
        ("terminal", Decimal("152")),
    ]


def test_a_full_estimate_for_an_unlisted_city_is_refused_naming_the_command_that_adds_a_rate() -> None:
    with pytest.raises(costs.NoSubsistenceRate) as missing:
        costs.estimate(0.0, "Lyon", date(2006, 7, 12), date(2006, 7, 12), RATES)

    assert str(missing.value) == (
        'the subsistence table has no rate for Lyon in USD on 2006-07-12: add one with "logistics sponsorship'
        ' subsistence --city Lyon --rate R --effective D" (D on or before 2006-07-12)'
    )


def test_a_ticket_only_estimate_needs_no_subsistence_rate() -> None:
    assert costs.estimate(0.0, "Lyon", date(2006, 7, 12), date(2006, 7, 12), RATES, award_type="ticket_only") == [
        ("airfare", Decimal("500"))
    ]


def test_estimated_airfare_is_rounded_up_to_ten_dollars() -> None:
    assert costs.estimated_airfare(0.0) == Decimal("500")
    assert costs.estimated_airfare(1000.0) == Decimal("820")
    assert costs.estimated_airfare(1001.0) == Decimal("830")  # 820.32 rounds up


@given(st.floats(min_value=0, max_value=20000), st.floats(min_value=0, max_value=20000))
def test_estimated_airfare_grows_with_distance(a: float, b: float) -> None:
    near, far = sorted((a, b))

    assert costs.estimated_airfare(near) <= costs.estimated_airfare(far)


def test_estimated_airfare_is_dearer_for_a_long_haul_than_a_short_one() -> None:
    assert costs.estimated_airfare(9000.0) > costs.estimated_airfare(600.0)


def test_the_rate_in_force_on_the_workshops_first_day_applies() -> None:
    table = SubsistenceTable(
        [
            SubsistenceRate("Geneva", "USD", Decimal("380"), date(2007, 1, 1)),
            SubsistenceRate("Geneva", "USD", Decimal("350"), date(2006, 1, 1)),
        ]
    )

    assert table.per_night("Geneva", date(2006, 12, 31)) == Decimal("350")
    assert table.per_night("Geneva", date(2007, 1, 1)) == Decimal("380")
    with pytest.raises(costs.NoSubsistenceRate, match="no rate for Geneva in USD on 2005-06-01"):
        table.per_night("Geneva", date(2005, 6, 1))  # before the table: no rate, no guess
    with pytest.raises(costs.NoSubsistenceRate, match=r'in EUR on 2007-06-01: .* --currency EUR"'):
        table.per_night("Geneva", date(2007, 6, 1), "EUR")  # no EUR rate listed


# Award types: a ticket-only pledge pays airfare only; a ticket-only award asks for the airfare alone.


def test_a_ticket_only_pledge_pays_the_airfare_first_and_the_rest_comes_from_the_pledge_that_pays_anything() -> None:
    funds = [Fund("earmark", True, Decimal("700")), Fund("tickets", False, Decimal("900"), tickets_only=True)]
    pending = [request("A", "official", 0, ("airfare", "1000"), ("subsistence", "500"))]

    [decision] = allocate(pending, funds)

    assert decision.status == "granted"
    assert decision.charges == (
        Charge("airfare", "tickets", Decimal("900")),
        Charge("airfare", "earmark", Decimal("100")),
        Charge("subsistence", "earmark", Decimal("500")),
    )
    assert [f.remaining for f in funds] == [Decimal("100"), Decimal("0")]


def test_money_that_pays_only_tickets_does_not_fund_an_allowance_and_nothing_is_spent_on_a_refusal() -> None:
    funds = [Fund("tickets", False, Decimal("5000"), tickets_only=True), Fund("full", True, Decimal("100"))]
    full = request("A", "official", 0, ("airfare", "1000"), ("subsistence", "500"))
    ticket_only = request("B", "official", 1, ("airfare", "1000"))

    decisions = allocate([full, ticket_only], funds)

    # A's allowance cannot be paid (100 of 500 where it may be charged): A waits, and B behind it (strict order).
    assert [d.status for d in decisions] == ["waitlisted", "waitlisted"]
    assert [f.remaining for f in funds] == [Decimal("5000"), Decimal("100")]
    assert [d.status for d in allocate([ticket_only], funds)] == ["granted"]


def test_a_ticket_only_award_has_only_the_airfare_line() -> None:
    lines = costs.estimate(6087.0, "Geneva", date(2006, 7, 12), date(2006, 7, 13), RATES)

    assert costs.for_award("ticket_only", lines) == [("airfare", Decimal("2450"))]
    assert costs.for_award("full", lines) == lines
    with pytest.raises(ValueError, match="neither full nor ticket_only"):
        costs.for_award("half", lines)

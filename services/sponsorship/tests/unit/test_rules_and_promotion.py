"""Eligibility, per-country caps and promotion from the waitlist (sponsorship.domain), and I1 across sequences."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from sponsorship.domain.allocation import Charge, Decision, Fund, Request, Rules, allocate, screen
from sponsorship.domain.eligibility import EligibilityList, EligibleCountry

T0 = datetime(2006, 4, 1, 9, 0, tzinfo=UTC)
LIST = EligibilityList(
    "OECD DAC List of ODA Recipients for 2006 flows",
    date(2006, 1, 1),
    {code: EligibleCountry(code, code, "developing") for code in ("KE", "PE", "GH")}
    | {"MD": EligibleCountry("MD", "Moldova", "transition")},
)


def ask(ref: str, country: str, minutes: int, amount: str = "100", role: str = "official") -> Request:
    return Request(ref, role, T0 + timedelta(minutes=minutes), (("airfare", Decimal(amount)),), country)


# Eligibility.


def test_a_request_from_a_country_not_on_the_list_is_refused_naming_the_country_and_the_lists_date() -> None:
    considered, refused = screen([ask("A", "KE", 0), ask("B", "FR", 1), ask("C", "MD", 2)], LIST, overridden=())

    assert [r.delegate_ref for r in considered] == ["A", "C"]
    [decision] = refused
    assert (decision.delegate_ref, decision.status, decision.charges) == ("B", "refused", ())
    assert decision.reason is not None
    assert "FR" in decision.reason and "2006-01-01" in decision.reason


def test_a_staff_override_lets_a_request_from_an_unlisted_country_be_considered() -> None:
    considered, refused = screen([ask("B", "FR", 1)], LIST, overridden={"B"})

    assert [r.delegate_ref for r in considered] == ["B"] and refused == []


def test_the_eligibility_list_says_nothing_against_listed_countries() -> None:
    assert LIST.refusal("KE") is None
    assert LIST.refusal("CH") is not None
    assert LIST.refusal("CH", overridden=True) is None


# Cap per country.


def test_a_country_at_its_cap_waits_without_blocking_the_requests_after_it() -> None:
    pending = [ask("KE-1", "KE", 0), ask("KE-2", "KE", 1), ask("KE-3", "KE", 2), ask("PE-1", "PE", 3)]

    decisions = allocate(pending, [Fund("pool", False, Decimal("1000"))], rules=Rules(max_per_country=2))

    assert [(d.delegate_ref, d.status, d.position) for d in decisions] == [
        ("KE-1", "granted", None),
        ("KE-2", "granted", None),
        ("KE-3", "waitlisted", 1),
        ("PE-1", "granted", None),
    ]


def test_grants_made_before_count_towards_the_cap() -> None:
    decisions = allocate(
        [ask("KE-3", "KE", 0), ask("PE-1", "PE", 1)],
        [Fund("pool", False, Decimal("1000"))],
        already_granted=2,
        rules=Rules(max_per_country=2),
        granted_per_country={"KE": 2},
    )

    assert [(d.delegate_ref, d.status, d.priority) for d in decisions] == [
        ("KE-3", "waitlisted", 3),
        ("PE-1", "granted", 4),
    ]


def test_money_stays_strict_with_a_cap_once_a_request_cannot_be_paid_the_rest_wait() -> None:
    pending = [ask("KE-1", "KE", 0, "600"), ask("KE-2", "KE", 1, "100"), ask("PE-1", "PE", 2, "600")]
    pending.append(ask("GH-1", "GH", 3, "100"))

    decisions = allocate(pending, [Fund("pool", False, Decimal("1000"))], rules=Rules(max_per_country=1))

    # KE-2 is capped (waits, blocks nothing); PE-1 cannot be paid (400 left), so GH-1 waits behind it.
    assert [(d.delegate_ref, d.status, d.position) for d in decisions] == [
        ("KE-1", "granted", None),
        ("KE-2", "waitlisted", 1),
        ("PE-1", "waitlisted", 2),
        ("GH-1", "waitlisted", 3),
    ]


# Promotion: rerunning the allocator over the waitlist when money frees up.


def test_more_money_promotes_the_waitlist_in_priority_order() -> None:
    pending = [ask("A", "KE", 0, "500"), ask("B", "PE", 1, "500"), ask("C", "GH", 2, "500")]
    funds = [Fund("pool", False, Decimal("600"))]
    first = allocate(pending, funds)
    assert [d.status for d in first] == ["granted", "waitlisted", "waitlisted"]

    funds[0].remaining += Decimal("500")  # the pledge grows by 500
    waiting = [
        r for r, d in zip(sorted(pending, key=lambda r: r.requested_at), first, strict=True) if d.status != "granted"
    ]
    second = allocate(waiting, funds, already_granted=1)

    assert second == [
        Decision("B", "granted", 2, charges=(Charge("airfare", "pool", Decimal("500")),)),
        Decision("C", "waitlisted", 3, position=1),
    ]
    assert funds[0].remaining == Decimal("100")


# I1 over sequences of operations: allocate (with a random cap), pledge grows, award withdrawn, new request.

countries = st.sampled_from(["KE", "PE", "GH", "MD", "FR"])
operations = st.lists(
    st.one_of(
        st.tuples(st.just("allocate"), st.one_of(st.none(), st.integers(min_value=1, max_value=3))),
        st.tuples(st.just("pledge"), st.integers(min_value=0, max_value=2), st.integers(min_value=0, max_value=3000)),
        st.tuples(st.just("withdraw"), st.integers(min_value=0, max_value=30)),
        st.tuples(
            st.just("request"),
            countries,
            st.sampled_from(["speaker", "official"]),
            st.integers(min_value=1, max_value=2500),
        ),
    ),
    max_size=25,
)


@settings(max_examples=1000, deadline=None)
@given(
    st.lists(st.tuples(countries, st.integers(min_value=1, max_value=2500)), max_size=12),
    st.lists(st.tuples(st.booleans(), st.integers(min_value=0, max_value=5000)), min_size=1, max_size=3),
    operations,
)
def test_no_sequence_of_operations_commits_a_fund_beyond_its_amount(
    initial: list[tuple[str, int]], pledges: list[tuple[bool, int]], steps: list[tuple[object, ...]]
) -> None:
    amounts = {f"pledge-{i}": Decimal(amount) for i, (_, amount) in enumerate(pledges)}
    earmarked = {f"pledge-{i}": flag for i, (flag, _) in enumerate(pledges)}
    requests = {f"R{i}": ask(f"R{i}", country, i, str(cost)) for i, (country, cost) in enumerate(initial)}
    status: dict[str, str] = {}  # granted | waitlisted | refused | withdrawn
    charges: dict[str, tuple[Charge, ...]] = {}

    def committed() -> dict[str, Decimal]:
        total: dict[str, Decimal] = defaultdict(Decimal)
        for lines in charges.values():
            for line in lines:
                total[line.pledge_id] += line.amount
        return total

    for step in steps:
        if step[0] == "allocate":
            cap = step[1]
            undecided = [r for ref, r in requests.items() if status.get(ref) in (None, "waitlisted")]
            considered, refused = screen(undecided, LIST, overridden=())
            for decision in refused:
                status[decision.delegate_ref] = "refused"
            spent = committed()
            funds = [Fund(p, earmarked[p], amounts[p] - spent[p]) for p in amounts]
            granted_here = Counter(requests[ref].country for ref, s in status.items() if s == "granted")
            for decision in allocate(
                considered,
                funds,
                already_granted=sum(granted_here.values()),
                rules=Rules(max_per_country=cap),  # type: ignore[arg-type]
                granted_per_country=granted_here,
            ):
                status[decision.delegate_ref] = decision.status
                if decision.status == "granted":
                    charges[decision.delegate_ref] = decision.charges
            if cap is not None:  # no country passes its cap through this allocation's grants
                new = Counter(
                    requests[r].country for r in (d.delegate_ref for d in considered) if status[r] == "granted"
                )
                assert all(count <= max(0, cap - granted_here[c]) for c, count in new.items())  # type: ignore[operator]
        elif step[0] == "pledge":
            pledge_id = f"pledge-{int(step[1]) % len(amounts)}"  # type: ignore[call-overload]
            amounts[pledge_id] += Decimal(step[2])  # type: ignore[arg-type]
        elif step[0] == "withdraw":
            granted = sorted(ref for ref, s in status.items() if s == "granted")
            if granted:
                ref = granted[int(step[1]) % len(granted)]  # type: ignore[call-overload]
                status[ref] = "withdrawn"
                del charges[ref]  # its money goes back to the pledges
        else:
            ref = f"R{len(requests)}"
            requests[ref] = ask(ref, str(step[1]), len(requests), str(step[3]), role=str(step[2]))

        spent = committed()
        for pledge_id, amount in amounts.items():
            assert spent[pledge_id] <= amount, f"{pledge_id}: {spent[pledge_id]} committed of {amount}"
        assert set(charges) == {ref for ref, s in status.items() if s == "granted"}
        assert all(status.get(ref) != "granted" for ref, r in requests.items() if r.country == "FR")

"""The consistency report (api.domain.consistency): invariants I1-I3 over hand-built service states."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from api.domain.consistency import report

WORKSHOP = "idm-2006-geneva"


def registration(status: str = "scheduled", venue_version: int = 2) -> dict[str, Any]:
    return {
        "venue_version": venue_version,
        "status": status,
        "delegates": {"registered": 5, "sponsorship_requested": 3},
    }


def sponsorship(committed: str = "3000.00") -> dict[str, Any]:
    return {
        "pledges": [
            {"pledge_id": "aus-geneva", "amount": "4000.00", "committed": committed, "currency": "USD"},
            {"pledge_id": "pool-2006", "amount": "500.00", "committed": "0", "currency": "USD"},
        ],
        "awards": [
            {"delegate_ref": "GVA-002", "status": "granted", "award_version": 1},
            {"delegate_ref": "GVA-007", "status": "granted", "award_version": 1},
            {"delegate_ref": "GVA-011", "status": "waitlisted", "award_version": 1},
        ],
        "budget": {"pledged": "4500.00", "committed": committed},
    }


def ticket(ref: str, venue_version: int = 2, status: str = "ticketed", fare: str = "1000.50") -> dict[str, Any]:
    return {"delegate_ref": ref, "venue_version": venue_version, "status": status, "fare": fare}


def travel(*bookings: dict[str, Any]) -> dict[str, Any]:
    return {"bookings": list(bookings) if bookings else [ticket("GVA-002"), ticket("GVA-007", fare="1499.50")]}


def email(ref: str, kind: str, version: int = 1, status: str = "sent", **extra: Any) -> dict[str, Any]:
    return {
        "delegate_ref": ref,
        "kind": kind,
        "version": version,
        "status": status,
        "message_id": f"<{kind}.{ref}.v{version}@idm.invalid>",
        **extra,
    }


EMAILS = [email("GVA-002", "granted"), email("GVA-007", "granted"), email("GVA-011", "waitlisted")]
MAILDIR = [
    "<granted.GVA-002.v1@idm.invalid>",
    "<granted.GVA-007.v1@idm.invalid>",
    "<waitlisted.GVA-011.v1@idm.invalid>",
]


def run(**changes: Any) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "registration": registration(),
        "sponsorship": sponsorship(),
        "travel": travel(),
        "emails": EMAILS,
        "statuses": {},
        "maildir_ids": MAILDIR,
    }
    return report(WORKSHOP, **{**arguments, **changes})


def violations(result: dict[str, Any], invariant: str) -> list[dict[str, Any]]:
    return [v for v in result["violations"] if v["invariant"] == invariant]


def test_a_consistent_workshop_has_no_violations_and_the_right_counts() -> None:
    result = run(
        statuses={
            "registration": {"not_applied": [{"outcome": "refused", "reason": "workshop x is not known"}]},
            "travel": {"not_applied": [{"outcome": "dead_lettered", "reason": "malformed envelope"}]},
        }
    )

    assert result["violations"] == []
    assert (result["workshop"], result["status"], result["venue_version"]) == (WORKSHOP, "scheduled", 2)
    assert result["delegates"] == {
        "registered": 5,
        "sponsorship_requested": 3,
        "sponsored": 2,
        "waitlisted": 1,
        "refused": 0,
        "deferred": 0,
    }
    assert result["tickets"]["valid"] == 2
    assert result["tickets"]["stale"] == 0
    assert result["tickets"]["fares_total"] == Decimal("2500")
    assert isinstance(result["tickets"]["fares_total"], Decimal)  # exact: a decimal string on the wire, not a float
    assert result["emails"]["sent"] == 3
    assert result["emails"]["pending"] == 0
    assert result["commands"]["refused"] == 1
    assert result["commands"]["dead_lettered"] == 1
    assert [item["service"] for item in result["commands"]["not_applied"]] == ["registration", "travel"]


def test_a_pledge_committed_beyond_its_amount_is_an_i1_violation() -> None:
    result = run(sponsorship=sponsorship(committed="4000.01"))

    assert [v["pledge"] for v in violations(result, "I1")] == ["aus-geneva"]
    assert "4000.01" in violations(result, "I1")[0]["detail"]


def test_a_pledge_committed_exactly_to_its_amount_is_fine() -> None:
    assert run(sponsorship=sponsorship(committed="4000.00"))["violations"] == []


def test_a_sponsored_delegate_without_a_ticket_is_an_i2_violation() -> None:
    result = run(travel=travel(ticket("GVA-002")))

    assert [v["delegate"] for v in violations(result, "I2")] == ["GVA-007"]
    assert "0 valid tickets" in violations(result, "I2")[0]["detail"]


def test_a_sponsored_delegate_with_two_tickets_is_an_i2_violation() -> None:
    result = run(travel=travel(ticket("GVA-002"), ticket("GVA-007"), ticket("GVA-007")))

    assert [v["delegate"] for v in violations(result, "I2")] == ["GVA-007"]
    assert "2 valid tickets" in violations(result, "I2")[0]["detail"]


def test_a_ticket_for_an_older_venue_version_is_an_i2_violation() -> None:
    result = run(travel=travel(ticket("GVA-002"), ticket("GVA-007", venue_version=1)))

    found = violations(result, "I2")
    assert sorted(v["delegate"] for v in found) == ["GVA-007", "GVA-007"]  # stale, and no valid ticket
    assert any("venue_version 1" in v["detail"] for v in found)
    assert result["tickets"]["stale"] == 1


def test_a_cancelled_ticket_for_an_older_venue_is_not_a_violation() -> None:
    result = run(travel=travel(ticket("GVA-002"), ticket("GVA-007"), ticket("GVA-007", 1, status="cancelled")))

    assert result["violations"] == []
    assert result["tickets"]["cancelled"] == 1


def test_a_ticket_for_a_delegate_without_sponsorship_is_an_i2_violation() -> None:
    result = run(travel=travel(ticket("GVA-002"), ticket("GVA-007"), ticket("GVA-011")))

    assert [v["delegate"] for v in violations(result, "I2")] == ["GVA-011"]
    assert "without a sponsorship" in violations(result, "I2")[0]["detail"]


def test_a_message_id_twice_in_the_maildir_is_an_i3_violation() -> None:
    result = run(maildir_ids=[*MAILDIR, "<granted.GVA-007.v1@idm.invalid>"])

    [found] = violations(result, "I3")
    assert "2 copies of <granted.GVA-007.v1@idm.invalid>" in found["detail"]


def test_a_second_copy_after_a_counted_crash_is_allowed_and_reported() -> None:
    emails = [email("GVA-002", "granted"), email("GVA-007", "granted", resent_after_crash=1), EMAILS[2]]

    result = run(emails=emails, maildir_ids=[*MAILDIR, "<granted.GVA-007.v1@idm.invalid>"])

    assert result["violations"] == []
    assert result["emails"]["copies_resent_after_crash"] == 1


def test_an_email_marked_sent_but_missing_from_the_maildir_is_an_i3_violation() -> None:
    result = run(maildir_ids=MAILDIR[:2])

    [found] = violations(result, "I3")
    assert found["detail"] == "<waitlisted.GVA-011.v1@idm.invalid> marked sent but not in the Maildir"


def test_two_sent_emails_for_one_delegate_kind_and_version_are_an_i3_violation() -> None:
    result = run(emails=[*EMAILS, email("GVA-002", "granted")], maildir_ids=None)

    [found] = violations(result, "I3")
    assert found["delegate"] == "GVA-002"


def test_without_a_maildir_only_the_service_records_are_checked() -> None:
    assert run(maildir_ids=None)["violations"] == []


def test_a_place_still_granted_on_a_deferred_workshop_is_a_violation_and_a_deferred_place_is_not() -> None:
    funding = sponsorship()
    funding["awards"][1]["status"] = "deferred"

    result = report(
        WORKSHOP,
        registration(status="deferred", venue_version=3),
        funding,
        travel(ticket("X", 9, "cancelled")),
        EMAILS,
        {},
    )

    assert [(v["invariant"], v.get("delegate")) for v in result["violations"]] == [("I1", "GVA-002")]
    assert result["delegates"]["deferred"] == 1


def test_a_cancelled_workshop_with_places_or_money_left_is_a_violation() -> None:
    funding = sponsorship()
    funding["awards"] = [
        {"delegate_ref": "GVA-002", "status": "deferred"},
        {"delegate_ref": "GVA-007", "status": "withdrawn"},
    ]
    funding["pledges"][0]["committed_here"] = "812.00"

    result = report(WORKSHOP, registration(status="cancelled"), funding, travel(ticket("X", 1, "cancelled")), [], {})

    assert [(v["invariant"], v.get("delegate", v.get("pledge"))) for v in result["violations"]] == [
        ("I1", "GVA-002"),
        ("I1", "aus-geneva"),
    ]


def test_a_cancelled_workshop_with_everything_released_has_no_violation() -> None:
    funding = sponsorship(committed="0")
    funding["awards"] = [{"delegate_ref": "GVA-002", "status": "withdrawn"}]

    result = report(
        WORKSHOP, registration(status="cancelled"), funding, travel(ticket("GVA-002", 2, "cancelled")), [], {}
    )

    assert result["violations"] == []


def test_a_place_whose_fare_sponsorship_declined_waits_for_staff_and_is_not_a_violation() -> None:
    declined = travel(ticket("GVA-002"))
    declined["declined"] = [{"delegate_ref": "GVA-007", "venue_version": 2, "fare": "4100", "reason": "exceeds"}]

    result = report(WORKSHOP, registration(), sponsorship(), declined, EMAILS, {})

    assert result["violations"] == []
    assert (result["tickets"]["fare_declined"], result["tickets"]["fare_declined_delegates"]) == (1, ["GVA-007"])


def test_a_fare_declined_for_an_older_venue_does_not_excuse_a_missing_ticket() -> None:
    declined = travel(ticket("GVA-002"))
    declined["declined"] = [{"delegate_ref": "GVA-007", "venue_version": 1, "fare": "4100", "reason": "exceeds"}]

    result = report(WORKSHOP, registration(), sponsorship(), declined, EMAILS, {})

    assert [(v["invariant"], v["delegate"]) for v in result["violations"]] == [("I2", "GVA-007")]


def test_a_current_sponsorship_decision_never_e_mailed_is_an_i3_violation() -> None:
    promoted = sponsorship()
    promoted["awards"][2] = {"delegate_ref": "GVA-011", "status": "granted", "award_version": 2}
    failed = [*EMAILS[:2], email("GVA-011", "waitlisted"), email("GVA-011", "granted", 2, status="failed")]

    assert violations(run(sponsorship=promoted, emails=EMAILS), "I3") == [
        {"invariant": "I3", "delegate": "GVA-011", "detail": "no 'granted' e-mail for award version 2"}
    ]
    assert len(violations(run(sponsorship=promoted, emails=failed), "I3")) == 1
    on_its_way = [*EMAILS, email("GVA-011", "granted", 2, status="pending")]
    assert violations(run(sponsorship=promoted, emails=on_its_way), "I3") == []


def test_a_trip_of_this_workshop_late_past_its_bound_is_an_l1_violation_with_its_reason() -> None:
    late = [
        {"workshop_id": WORKSHOP, "delegate_ref": "GVA-007", "reason": "held for 340 s (bound 300 s), waiting for ..."},
        {"workshop_id": "another-workshop", "delegate_ref": "BKK-001", "reason": "requested for 400 s ..."},
    ]
    result = run(statuses={"travel": {"work": {"pending": 2, "late": late}}})

    assert violations(result, "L1") == [
        {"invariant": "L1", "service": "travel", "delegate": "GVA-007", "detail": late[0]["reason"]}
    ]


def test_a_held_workshop_keeps_its_tickets_the_sponsored_delegates_flew_on() -> None:
    assert run(registration=registration(status="held"))["violations"] == []
    missing = run(registration=registration(status="held"), travel=travel(ticket("GVA-002")))
    assert [v["delegate"] for v in violations(missing, "I2")] == ["GVA-007"]

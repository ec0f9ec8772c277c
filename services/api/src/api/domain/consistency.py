"""The consistency report: each service's own state checked against the others'. Pure: reads in, report out. The API
computes it (`GET /reports/consistency/{workshop}`, the ops page's boards); `logistics report consistency` prints it.

I1 no pledge committed beyond its amount; I2 every sponsored delegate of an active workshop has exactly one
valid ticket for the current venue_version, nobody else has one; I3 exactly one e-mail per (delegate, kind,
version), checked in the service and, when given, in the Maildir itself, and none missing for a delegate's
current sponsorship decision; I4 nothing lost: refused commands
and dead letters are listed with their reasons; L1 liveness: no work of the workshop (a trip) has waited in one state
longer than its bound.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

# Workshops whose sponsored places hold one valid ticket each (a held one: the tickets it was flown on).
ACTIVE = {"scheduled", "confirmed", "postponed", "held"}


Violation = dict[str, Any]


def report(
    workshop_id: str,
    registration: dict[str, Any],
    sponsorship: dict[str, Any],
    travel: dict[str, Any],
    emails: list[dict[str, Any]],
    statuses: dict[str, dict[str, Any]],
    maildir_ids: list[str] | None = None,
) -> dict[str, Any]:
    venue_version = registration["venue_version"]
    status = registration["status"]
    awards = sponsorship.get("awards", [])
    by_status = Counter(award["status"] for award in awards)
    tickets = Tickets.of(travel, awards, status, venue_version)
    mail_violations, resent_copies = maildir_check(emails, maildir_ids)
    violations = [
        *money_violations(sponsorship, status),
        *tickets.violations,
        *email_violations(emails, awards),
        *mail_violations,
        *late_violations(statuses, workshop_id),
    ]
    not_applied = [
        {"service": service, **item}
        for service, body in sorted(statuses.items())
        for item in body.get("not_applied", [])
    ]
    return {
        "workshop": workshop_id,
        "status": status,
        "venue_version": venue_version,
        "delegates": {
            "registered": registration["delegates"]["registered"],
            # Sponsorship owns requests (with the registration or by command; approved registrations only).
            "sponsorship_requested": sponsorship.get("requested", registration["delegates"]["sponsorship_requested"]),
            "sponsored": by_status["granted"],
            "waitlisted": by_status["waitlisted"],
            "refused": by_status["refused"],
            "deferred": by_status["deferred"],
        },
        "budget": sponsorship.get("budget", {}),
        "tickets": {
            "valid": sum(tickets.valid.values()),
            "stale": len(tickets.stale),
            "cancelled": sum(1 for b in tickets.bookings if b["status"] == "cancelled"),
            "fare_declined": len(tickets.awaiting_staff),
            "fare_declined_delegates": tickets.awaiting_staff,
            "fares_total": tickets.fares_total,  # a Decimal: a decimal string on the wire
        },
        "emails": {
            "sent": sum(1 for e in emails if e["status"] == "sent"),
            "pending": sum(1 for e in emails if e["status"] in ("pending", "sending")),
            "failed": sum(1 for e in emails if e["status"] == "failed"),
            "resent_after_crash": sum(e.get("resent_after_crash", 0) for e in emails),
            "copies_resent_after_crash": resent_copies,
        },
        "commands": {
            "refused": sum(1 for item in not_applied if item["outcome"] == "refused"),
            "dead_lettered": sum(1 for item in not_applied if item["outcome"] == "dead_lettered"),
            "not_applied": not_applied,
        },
        "violations": violations,
    }


def money_violations(sponsorship: dict[str, Any], status: str) -> list[Violation]:
    """I1: no pledge committed beyond its amount; nothing kept for a deferred (granted) or cancelled workshop."""
    violations: list[Violation] = [
        {
            "invariant": "I1",
            "pledge": pledge["pledge_id"],
            "detail": f"committed {pledge['committed']} of {pledge['amount']} {pledge['currency']}",
        }
        for pledge in sponsorship.get("pledges", [])
        if Decimal(str(pledge["committed"])) > Decimal(str(pledge["amount"]))
    ]
    # A deferred workshop keeps its places as "deferred" (nothing granted until it is rescheduled); a cancelled
    # one keeps nothing: no place granted or deferred, no money committed to it.
    if status not in ("deferred", "cancelled"):
        return violations
    kept = ("granted",) if status == "deferred" else ("granted", "deferred")
    violations += [
        {
            "invariant": "I1",
            "delegate": award["delegate_ref"],
            "detail": f"sponsorship still {award['status']} on a {status} workshop",
        }
        for award in sponsorship.get("awards", [])
        if award["status"] in kept
    ]
    if status == "cancelled":
        violations += [
            {
                "invariant": "I1",
                "pledge": pledge["pledge_id"],
                "detail": f"{pledge['committed_here']} {pledge['currency']} still committed to a cancelled workshop",
            }
            for pledge in sponsorship.get("pledges", [])
            if Decimal(str(pledge.get("committed_here", 0))) > 0
        ]
    return violations


@dataclass(frozen=True)
class Tickets:
    """I2: every sponsored delegate of an active workshop has exactly one valid ticket, nobody else has one."""

    bookings: list[dict[str, Any]]
    valid: Counter[str]
    stale: list[dict[str, Any]]
    awaiting_staff: list[str]
    fares_total: Decimal
    violations: list[Violation]

    @classmethod
    def of(cls, travel: dict[str, Any], awards: list[dict[str, Any]], status: str, venue_version: int) -> Tickets:
        active = status in ACTIVE
        granted = {award["delegate_ref"] for award in awards if award["status"] == "granted"}
        bookings = travel.get("bookings", [])
        ticketed = [b for b in bookings if b["status"] == "ticketed"]
        current = [b for b in ticketed if b["venue_version"] == venue_version]
        valid = Counter(b["delegate_ref"] for b in current)
        stale = [b for b in ticketed if b["venue_version"] != venue_version]
        # A held fare sponsorship could not cover is not ticketed and staff are told (I1 before I2): such a place
        # waits for staff (more money, a withdrawal, another booking) and is listed apart, not as a violation.
        declined = {d["delegate_ref"] for d in travel.get("declined", []) if d["venue_version"] == venue_version}
        awaiting_staff = sorted(ref for ref in granted & declined if valid[ref] == 0) if active else []
        violations: list[Violation] = [
            {
                "invariant": "I2",
                "delegate": b["delegate_ref"],
                "detail": f"ticket for venue_version {b['venue_version']}, workshop at {venue_version}",
            }
            for b in stale
        ]
        if active:
            violations += [
                {
                    "invariant": "I2",
                    "delegate": ref,
                    "detail": f"{valid[ref]} valid tickets for venue_version {venue_version}",
                }
                for ref in sorted(granted - set(awaiting_staff))
                if valid[ref] != 1
            ]
        violations += [
            {"invariant": "I2", "delegate": ref, "detail": "valid ticket without a sponsorship"}
            for ref in sorted(set(valid) - (granted if active else set()))
        ]
        fares = sum((Decimal(str(b["fare"])) for b in current), Decimal(0))
        return cls(bookings, valid, stale, awaiting_staff, fares, violations)


def email_violations(emails: list[dict[str, Any]], awards: list[dict[str, Any]]) -> list[Violation]:
    """I3: exactly one e-mail per (delegate, kind, version), and none missing for a current sponsorship decision."""
    identities = Counter((e["delegate_ref"], e["kind"], e["version"]) for e in emails if e["status"] == "sent")
    violations: list[Violation] = [
        {"invariant": "I3", "delegate": ref, "detail": f"{count} '{kind}' e-mails for version {version}"}
        for (ref, kind, version), count in sorted(identities.items())
        if count > 1
    ]
    # The other way round: each delegate's current sponsorship decision was told, once sent or on its way
    # (a pending e-mail is counted under "pending"; a failed or missing one leaves the delegate uninformed).
    told = {
        (e["delegate_ref"], e["kind"], e["version"]) for e in emails if e["status"] in ("sent", "pending", "sending")
    }
    violations += [
        {
            "invariant": "I3",
            "delegate": award["delegate_ref"],
            "detail": f"no '{award['status']}' e-mail for award version {award['award_version']}",
        }
        for award in awards
        if award["status"] in ("granted", "waitlisted", "refused")
        and (award["delegate_ref"], award["status"], award["award_version"]) not in told
    ]
    return violations


def maildir_check(emails: list[dict[str, Any]], maildir_ids: list[str] | None) -> tuple[list[Violation], int]:
    """I3 in the Maildir itself, when given: the violations and the copies resent after a counted crash.

    A process killed inside the SMTP exchange resends with the same Message-ID: allowed once per counted crash
    (resent_after_crash), and reported; any other extra copy is a violation."""
    if maildir_ids is None:
        return [], 0
    allowed = {e["message_id"]: 1 + e.get("resent_after_crash", 0) for e in emails if e["status"] == "sent"}
    delivered = Counter(mid for mid in maildir_ids if mid in allowed)
    violations: list[Violation] = [
        {"invariant": "I3", "detail": f"{count} copies of {message_id} in the Maildir"}
        for message_id, count in sorted(delivered.items())
        if count > allowed[message_id]
    ]
    violations += [
        {"invariant": "I3", "detail": f"{message_id} marked sent but not in the Maildir"}
        for message_id in sorted(set(allowed) - set(delivered))
    ]
    return violations, sum(count - 1 for count in delivered.values())


def late_violations(statuses: dict[str, dict[str, Any]], workshop_id: str) -> list[Violation]:
    """L1: no work of the workshop has waited in one state longer than its bound."""
    return [
        {"invariant": "L1", "service": service, "delegate": item["delegate_ref"], "detail": item["reason"]}
        for service, body in sorted(statuses.items())
        for item in body.get("work", {}).get("late", [])
        if item.get("workshop_id") == workshop_id
    ]

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
from decimal import Decimal
from typing import Any

# Workshops whose sponsored places hold one valid ticket each (a held one: the tickets it was flown on).
ACTIVE = {"scheduled", "confirmed", "postponed", "held"}


def report(
    workshop_id: str,
    registration: dict[str, Any],
    sponsorship: dict[str, Any],
    travel: dict[str, Any],
    emails: list[dict[str, Any]],
    statuses: dict[str, dict[str, Any]],
    maildir_ids: list[str] | None = None,
) -> dict[str, Any]:
    violations: list[dict[str, Any]] = []
    venue_version = registration["venue_version"]
    status = registration["status"]
    awards = sponsorship.get("awards", [])
    by_status = Counter(award["status"] for award in awards)

    for pledge in sponsorship.get("pledges", []):
        if Decimal(str(pledge["committed"])) > Decimal(str(pledge["amount"])):
            violations.append(
                {
                    "invariant": "I1",
                    "pledge": pledge["pledge_id"],
                    "detail": f"committed {pledge['committed']} of {pledge['amount']} {pledge['currency']}",
                }
            )

    # A deferred workshop keeps its places as "deferred" (nothing granted until it is rescheduled); a cancelled
    # one keeps nothing: no place granted or deferred, no money committed to it.
    if status in ("deferred", "cancelled"):
        kept = ("granted",) if status == "deferred" else ("granted", "deferred")
        for award in awards:
            if award["status"] in kept:
                violations.append(
                    {
                        "invariant": "I1",
                        "delegate": award["delegate_ref"],
                        "detail": f"sponsorship still {award['status']} on a {status} workshop",
                    }
                )
    if status == "cancelled":
        for pledge in sponsorship.get("pledges", []):
            if Decimal(str(pledge.get("committed_here", 0))) > 0:
                violations.append(
                    {
                        "invariant": "I1",
                        "pledge": pledge["pledge_id"],
                        "detail": f"{pledge['committed_here']} {pledge['currency']} still committed to a cancelled"
                        " workshop",
                    }
                )

    granted = {award["delegate_ref"] for award in awards if award["status"] == "granted"}
    bookings = travel.get("bookings", [])
    ticketed = [b for b in bookings if b["status"] == "ticketed"]
    valid = Counter(b["delegate_ref"] for b in ticketed if b["venue_version"] == venue_version)
    stale = [b for b in ticketed if b["venue_version"] != venue_version]
    for booking in stale:
        violations.append(
            {
                "invariant": "I2",
                "delegate": booking["delegate_ref"],
                "detail": f"ticket for venue_version {booking['venue_version']}, workshop at {venue_version}",
            }
        )
    # A held fare sponsorship could not cover is not ticketed and staff are told (I1 before I2): such a place
    # waits for staff (more money, a withdrawal, another booking) and is listed apart, not as a violation.
    declined = {d["delegate_ref"] for d in travel.get("declined", []) if d["venue_version"] == venue_version}
    awaiting_staff = sorted(ref for ref in granted & declined if valid[ref] == 0) if status in ACTIVE else []
    if status in ACTIVE:
        for ref in sorted(granted - set(awaiting_staff)):
            if valid[ref] != 1:
                violations.append(
                    {
                        "invariant": "I2",
                        "delegate": ref,
                        "detail": f"{valid[ref]} valid tickets for venue_version {venue_version}",
                    }
                )
    for ref in sorted(set(valid) - (granted if status in ACTIVE else set())):
        violations.append({"invariant": "I2", "delegate": ref, "detail": "valid ticket without a sponsorship"})

    identities = Counter((e["delegate_ref"], e["kind"], e["version"]) for e in emails if e["status"] == "sent")
    for (ref, kind, version), count in sorted(identities.items()):
        if count > 1:
            violations.append(
                {
                    "invariant": "I3",
                    "delegate": ref,
                    "detail": f"{count} '{kind}' e-mails for version {version}",
                }
            )
    # I3 the other way round: each delegate's current sponsorship decision was told, once sent or on its way
    # (a pending e-mail is counted under "pending"; a failed or missing one leaves the delegate uninformed).
    told = {
        (e["delegate_ref"], e["kind"], e["version"]) for e in emails if e["status"] in ("sent", "pending", "sending")
    }
    for award in awards:
        if award["status"] in ("granted", "waitlisted", "refused"):
            identity = (award["delegate_ref"], award["status"], award["award_version"])
            if identity not in told:
                violations.append(
                    {
                        "invariant": "I3",
                        "delegate": award["delegate_ref"],
                        "detail": f"no '{award['status']}' e-mail for award version {award['award_version']}",
                    }
                )
    resent_copies = 0
    if maildir_ids is not None:
        # A process killed inside the SMTP exchange resends with the same Message-ID: allowed once per
        # counted crash (resent_after_crash), and reported; any other extra copy is a violation.
        allowed = {e["message_id"]: 1 + e.get("resent_after_crash", 0) for e in emails if e["status"] == "sent"}
        delivered = Counter(mid for mid in maildir_ids if mid in allowed)
        for message_id, count in sorted(delivered.items()):
            resent_copies += count - 1
            if count > allowed[message_id]:
                violations.append({"invariant": "I3", "detail": f"{count} copies of {message_id} in the Maildir"})
        for message_id in sorted(set(allowed) - set(delivered)):
            violations.append({"invariant": "I3", "detail": f"{message_id} marked sent but not in the Maildir"})

    for service, body in sorted(statuses.items()):
        for item in body.get("work", {}).get("late", []):
            if item.get("workshop_id") == workshop_id:
                violations.append(
                    {"invariant": "L1", "service": service, "delegate": item["delegate_ref"], "detail": item["reason"]}
                )

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
            "valid": sum(valid.values()),
            "stale": len(stale),
            "cancelled": sum(1 for b in bookings if b["status"] == "cancelled"),
            "fare_declined": len(awaiting_staff),
            "fare_declined_delegates": awaiting_staff,
            "fares_total": float(sum(Decimal(str(b["fare"])) for b in ticketed if b["venue_version"] == venue_version)),
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

"""Workshop decisions told to sponsored delegates on the real stack: a deferral reaches each of them once with
a calendar CANCEL for the workshop and their flights; and a decision that arrives while an older one's e-mails
still wait (SMTP down) leaves only the newer e-mails to be sent, the older ones superseded and counted; so does a
newer sponsorship decision (a withdrawal, a promotion from the waitlist) about a delegate's place."""

from __future__ import annotations

import asyncio
import csv
from collections import Counter
from email.message import EmailMessage
from typing import Any

import asyncpg
import httpx
from icalendar import Calendar

from tests.harness import GENEVA, System, eventually

WORKSHOP = "idm-2006-geneva"


def languages() -> dict[str, str]:
    with (GENEVA.parent / "geneva-2006-delegates.csv").open() as handle:
        return {row["ref"]: row["language"] for row in csv.DictReader(handle)}


def emails(system: System) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = httpx.get(
        f"{system.url('notifications')}/workshops/{WORKSHOP}/emails", timeout=30
    ).json()
    return found


def new_mail(system: System, seen: set[str]) -> list[EmailMessage]:
    return [m for m in system.mail() if "".join(str(m["Message-ID"]).split()) not in seen]  # type: ignore[misc]


def calendar_of(message: Any) -> tuple[str, Calendar]:
    [part] = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    return part.get_param("method"), Calendar.from_ical(part.get_payload(decode=True))


def text_of(message: Any) -> str:
    return str(message.get_payload()[0].get_payload(decode=True).decode())


def no_attempt_in_flight(system: System) -> bool:
    """No e-mail in the middle of an attempt: any attempt from now on reads its facts after the news known now (the
    worker reads them once it has claimed an e-mail, not before), so SMTP may come back."""
    return all(e["status"] != "sending" for e in emails(system))


def granted_refs(system: System) -> set[str]:
    return {m["X-Logistics-Delegate"] for m in system.mail() if m["X-Logistics-Kind"] == "granted"}


def waitlisted_refs(system: System) -> set[str]:
    """Requests on the waiting list: told of a deferral or a cancellation too (issue 18)."""
    told = {m["X-Logistics-Delegate"] for m in system.mail() if m["X-Logistics-Kind"] == "waitlisted"}
    return told - granted_refs(system)


def test_a_deferral_is_told_once_to_each_sponsored_delegate_with_a_calendar_cancel(geneva: System) -> None:
    system = geneva
    assert system.report()["violations"] == []
    seen = {"".join(str(m["Message-ID"]).split()) for m in system.mail()}
    sponsored = granted_refs(system)
    waiting = waitlisted_refs(system)

    for _ in range(2):  # the same decision twice: told once
        system.cli("workshop", "defer", WORKSHOP, "--to-year", "2007", "--venue-tbd", "--today", "2006-05-02")
    system.wait()

    deferred = [m for m in new_mail(system, seen) if m["X-Logistics-Kind"] == "deferred"]
    assert sorted(m["X-Logistics-Delegate"] for m in deferred) == sorted(sponsored | waiting), "each, once"
    language = languages()
    for message in deferred:
        ref = message["X-Logistics-Delegate"]
        assert message["Content-Language"] == language[ref]
        assert "2007" in text_of(message)
        method, calendar = calendar_of(message)
        assert method == "CANCEL" and str(calendar["METHOD"]) == "CANCEL"
        if ref in waiting:  # no ticket, no flight in the calendar: the workshop is withdrawn
            continue
        uids = {str(event["UID"]) for event in calendar.walk("VEVENT")}
        assert f"{WORKSHOP}.{ref}@idm.invalid" in uids and f"{WORKSHOP}.{ref}.flight1@idm.invalid" in uids
        assert {str(event["STATUS"]) for event in calendar.walk("VEVENT")} == {"CANCELLED"}
        assert {int(event["SEQUENCE"]) for event in calendar.walk("VEVENT")} == {3}, "venue version 2, above 0"
    copies = Counter("".join(str(m["Message-ID"]).split()) for m in system.mail())
    assert set(copies.values()) == {1}


def test_a_newer_decision_supersedes_the_e_mails_of_an_older_one_still_waiting(geneva: System) -> None:
    system = geneva
    assert system.report()["violations"] == []
    seen = {"".join(str(m["Message-ID"]).split()) for m in system.mail()}
    sponsored = granted_refs(system)
    cancelled = len(sponsored | waitlisted_refs(system))  # a cancellation is told to the waiting list too

    system.kill("smtp")  # nothing can go out: the postponement's e-mails wait
    system.cli(
        "workshop", "postpone", WORKSHOP, "--starts", "2006-09-13", "--ends", "2006-09-14", "--today", "2006-05-02"
    )
    eventually(
        lambda: sum(e["kind"] == "postponed" for e in emails(system)) == len(sponsored),
        timeout=120,
        what="postponed e-mails queued",
    )
    system.cli("workshop", "cancel", WORKSHOP, "--reason", "membership decision", "--today", "2006-05-03")

    try:
        eventually(
            lambda: sum(e["kind"] == "cancelled" for e in emails(system)) == cancelled and no_attempt_in_flight(system),
            timeout=120,
            what="cancelled e-mails queued",
        )
    except AssertionError as failure:
        queued = Counter((e["kind"], e["version"], e["status"]) for e in emails(system))
        raise AssertionError(f"{failure}; queue: {sorted(queued.items())}; report: {system.report()}") from None
    system.start_smtp()
    system.wait()

    to_delegates = [m for m in new_mail(system, seen) if m["X-Logistics-Delegate"] != "staff"]  # not the digest
    sent = Counter(m["X-Logistics-Kind"] for m in to_delegates)
    assert sent == {"cancelled": cancelled}, "only the newest news went out"
    queue = {(e["delegate_ref"], e["kind"]): e["status"] for e in emails(system)}
    assert {queue[(ref, "postponed")] for ref in sponsored} == {"superseded"}
    status = httpx.get(f"{system.url('notifications')}/ops/status", timeout=30).json()["mail"]
    assert status["superseded"] >= len(sponsored) and status["waiting"] == 0
    for message in to_delegates:
        assert "membership decision" in text_of(message)
        method, _ = calendar_of(message)
        assert method == "CANCEL"
    copies = Counter("".join(str(m["Message-ID"]).split()) for m in system.mail())
    assert set(copies.values()) == {1}


def awards_known_to_notifications(system: System) -> dict[str, tuple[str, int]]:
    async def read() -> dict[str, tuple[str, int]]:
        conn = await asyncpg.connect(system.database("notifications"))
        try:
            rows = await conn.fetch("SELECT delegate_ref, status, award_version FROM awards")
        finally:
            await conn.close()
        return {row["delegate_ref"]: (row["status"], row["award_version"]) for row in rows}

    return asyncio.run(read())


def test_a_newer_sponsorship_decision_leaves_only_its_own_e_mail_to_be_sent(system: System) -> None:
    system.cli("apply", str(GENEVA))
    system.wait()  # the "received" e-mails are out
    seen = {"".join(str(m["Message-ID"]).split()) for m in system.mail()}

    system.kill("smtp")  # the decisions' e-mails wait
    system.cli("sponsorship", "allocate", "--workshop", WORKSHOP)
    before = eventually(
        lambda: {a["delegate_ref"]: a for a in system.sponsorships()["awards"] if a["status"] != "requested"},
        timeout=120,
        what="allocation",
    )
    decided = Counter(a["status"] for a in before.values())
    eventually(
        lambda: Counter(e["kind"] for e in emails(system) if e["kind"] != "received") == decided,
        timeout=120,
        what=f"e-mails queued for {dict(decided)}",
    )
    granted = sorted((a for a in before.values() if a["status"] == "granted"), key=lambda a: a["priority"])
    leaving = granted[-1]["delegate_ref"]
    system.cli("sponsorship", "withdraw", "--delegate", leaving, "--reason", "cannot travel in July")

    after = eventually(
        lambda: (
            (awards := {a["delegate_ref"]: a for a in system.sponsorships()["awards"]})[leaving]["status"]
            == "withdrawn"
            and awards
        ),
        timeout=120,
        what="withdrawal",
    )
    promoted = sorted(
        ref for ref, a in after.items() if before[ref]["status"] == "waitlisted" and a["status"] == "granted"
    )
    assert promoted, "the money given back promotes the first waitlisted delegate (the scenario's figures)"
    expected = {ref: (a["status"], a["award_version"]) for ref, a in after.items() if ref in before}
    eventually(
        lambda: awards_known_to_notifications(system) == expected and no_attempt_in_flight(system),
        timeout=120,
        what="notifications knows every decision",
    )
    system.start_smtp()
    system.wait()

    sent = Counter(
        (m["X-Logistics-Delegate"], m["X-Logistics-Kind"], m["X-Logistics-Version"]) for m in new_mail(system, seen)
    )
    assert not any(ref == leaving for ref, _, _ in sent), "nothing stale for a withdrawn place"
    for ref in promoted:
        assert [key for key in sent if key[0] == ref] == [(ref, "granted", str(after[ref]["award_version"]))]
    untouched = {ref for ref in before if ref != leaving and ref not in promoted}
    assert {key for key in sent if key[0] in untouched} == {
        (ref, before[ref]["status"], str(before[ref]["award_version"])) for ref in untouched
    }
    assert set(sent.values()) == {1}
    queue = {(e["delegate_ref"], e["kind"], e["version"]): e["status"] for e in emails(system)}
    assert queue[(leaving, "granted", before[leaving]["award_version"])] == "superseded"
    for ref in promoted:
        assert queue[(ref, "waitlisted", before[ref]["award_version"])] == "superseded"
    status = httpx.get(f"{system.url('notifications')}/ops/status", timeout=30).json()["mail"]
    assert status["superseded"] == 1 + len(promoted) and status["waiting"] == 0

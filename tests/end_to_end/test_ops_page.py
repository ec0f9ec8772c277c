"""The live operations page (/ops, issue 16) in headless Chromium, on the real stack, from where Geneva ended: an ops
token typed into the login form, the workshop's board at the consistency report's figures, a poison message listed as
a dead letter without a replay button for ops, the lag chart rising while notifications is paused during a move and
falling back to 0, the board reaching the report's new figures, a delegate's timeline without a name on the page, and
an admin's replay from the page. Two screenshots are kept in var/screenshots/ (git-ignored): the page once Geneva has
played (docs/ops-page.png is one) and after the move (docs/ops-page-move.png).
"""

from __future__ import annotations

import asyncio
import csv
import json
import signal
from typing import Any

from shared.contracts.topics import REGISTRATION_COMMANDS, qualified

from tests.chromium import Chromium
from tests.harness import GENEVA, ROOT, System, publish_raw

WORKSHOP = "idm-2006-geneva"
BOARD = f'[data-workshop="{WORKSHOP}"]'
FIGURES = (
    f"Object.fromEntries([...document.querySelectorAll('{BOARD} dd')]"
    ".map(d => [d.dataset.figure, parseInt(d.textContent, 10)]))"
)
SCREENSHOTS = ROOT / "var" / "screenshots"


def expected(report: dict[str, Any]) -> dict[str, int]:
    return {
        "registered": report["delegates"]["registered"],
        "sponsored": report["delegates"]["sponsored"],
        "waitlisted": report["delegates"]["waitlisted"],
        "ticketed": report["tickets"]["valid"],
        "emailed": report["emails"]["sent"],
        "violations": len(report["violations"]),
    }


def personal_data() -> set[str]:
    """Every delegate's names and e-mail address in the Geneva scenario: none may appear on the page."""
    with (GENEVA.parent / "geneva-2006-delegates.csv").open(encoding="utf-8") as rows:
        return {row[key] for row in csv.DictReader(rows) for key in ("given_name", "family_name", "email")}


def log_in(browser: Chromium, system: System, token: str) -> None:
    browser.go(f"{system.url('api')}/ops")
    browser.wait_for("location.pathname === '/ops/login' && !!document.getElementById('token')", 30, "login form")
    browser.type_into("#token", token)
    browser.click("#log-in")
    browser.wait_for("location.pathname === '/ops' && document.getElementById('who').textContent", 30, "logged in")


def test_the_ops_page_follows_a_move_live_and_shows_no_personal_data(geneva: System) -> None:
    system = geneva
    ops = system.create_token("night operator", "ops")
    admin = system.create_token("duty admin", "ops", "admin")
    before = system.report()
    poison = qualified(REGISTRATION_COMMANDS, system.namespace)
    asyncio.run(publish_raw(system.kafka, [(poison, b"ops-page", b"{not an envelope", [])]))

    with Chromium() as browser:
        log_in(browser, system, ops)
        assert browser.evaluate("document.cookie") == "", "the session cookie is HttpOnly"
        assert ops not in browser.evaluate("location.href")
        board = browser.wait_for(f"(f => f.registered >= 0 && f)({FIGURES})", 30, "the Geneva board")
        assert board == expected(before) and board["ticketed"] == 30 and board["emailed"] == 98, board

        # The poison message: listed with its reason; an ops token gets no replay button, and the API refuses it.
        row = browser.wait_for(
            "[...document.querySelectorAll('#dead-letter-table tbody tr')].map(r => r.textContent)"
            ".find(t => t.includes('malformed envelope'))",
            30,
            "the dead letter listed",
        )
        assert "registration.commands.v1" in row
        assert browser.evaluate("document.querySelectorAll('button.replay').length") == 0
        letter = browser.evaluate("document.querySelector('#dead-letter-table tbody tr').dataset.letter")
        refused = browser.evaluate(
            f"fetch('/ops/page/replay', {{method: 'POST', headers: {{'Content-Type': 'application/json'}},"
            f" body: JSON.stringify({{id: {json.dumps(letter)}}})}}).then(r => r.status)"
        )
        assert refused == 403
        browser.screenshot(SCREENSHOTS / "ops-page.png")

        # A move rebooks the 30 tickets while notifications is paused: its lag rises on the chart, then falls to 0.
        samples = int(browser.evaluate("document.getElementById('lag-chart').dataset.samples"))
        assert browser.evaluate("document.getElementById('lag-chart').dataset.peak") == "0"
        notifications = system.processes["notifications"]
        notifications.send_signal(signal.SIGSTOP)
        try:
            system.cli("workshop", "move", WORKSHOP, "--city", "Vienna", "--country", "AT", "--airport", "VIE",
                       "--today", "2006-05-01")  # fmt: skip
            browser.wait_for(
                "document.querySelector('#lag-table tr[data-group=notifications] td.number').textContent > 0",
                90,
                "notifications' lag on the page",
            )
        finally:
            notifications.send_signal(signal.SIGCONT)
        system.wait(timeout=300)
        after = system.report()
        assert after["violations"] == [] and after["emails"]["sent"] > before["emails"]["sent"], after
        figures = json.dumps(json.dumps(expected(after), separators=(",", ":")))
        browser.wait_for(f"(f => JSON.stringify(f) === {figures})({FIGURES})", 30, f"the board at {expected(after)}")
        browser.wait_for("document.getElementById('lag-chart').dataset.last === '0'", 30, "lag back to 0")
        chart = browser.evaluate("({...document.getElementById('lag-chart').dataset})")
        assert int(chart["peak"]) > 0 and int(chart["samples"]) > samples + 5, chart
        assert browser.evaluate("document.querySelectorAll('#lag-chart polyline').length") == 4
        rates = browser.evaluate(
            "Object.fromEntries([...document.querySelectorAll('#rates-table tr')].map(r => [r.dataset.topic,"
            " parseFloat(r.dataset.peak)]))"
        )
        assert rates["travel.booking.v1"] > 0 and rates["notifications.email.v1"] > 0, rates

        # One delegate's timeline, by reference: ticketed for the new venue; no name or address anywhere.
        ref = next(a["delegate_ref"] for a in system.sponsorships()["awards"] if a["status"] == "granted")
        browser.type_into("#delegate-ref", ref)
        browser.click("#timeline-form button")
        types = browser.wait_for(
            "(t => t.length && t)([...document.querySelectorAll('#timeline-table tbody tr')].map(r => r.dataset.type))",
            60,
            f"{ref}'s timeline",
        )
        assert types.count("travel.ticket_issued") >= 2 and "registration.workshop_scheduled" in types, types
        text = browser.evaluate("document.body.innerText")
        assert ref in text
        shown = sorted(word for word in personal_data() if len(word) > 3 and word in text)
        assert not shown, f"personal data on the page: {shown}"
        browser.screenshot(SCREENSHOTS / "ops-page-move.png")

        # An admin, after the operator logged out: the replay button, and the dead letter goes back to registration.
        browser.click("#log-out")
        browser.wait_for("location.pathname === '/ops/login'", 30, "logged out")
        log_in(browser, system, admin)
        browser.wait_for("!!document.querySelector('button.replay')", 30, "the replay button")
        browser.evaluate("window.confirm = () => true")
        browser.click(f"button.replay[data-letter={json.dumps(letter)}]")
        answer = browser.wait_for("document.getElementById('replay-answer').textContent", 30, "the replay's answer")
        assert answer == f"Replayed {letter} to registration.", answer
    assert all((SCREENSHOTS / name).stat().st_size > 50_000 for name in ("ops-page.png", "ops-page-move.png"))

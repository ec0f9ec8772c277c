"""An official answers their itinerary (issue 18) on the real stack, the reply page in headless Chromium: the link is
read from the itinerary e-mail the SMTP server delivered, the official asks for another airport, the request becomes
the costed change quote staff approve through the CLI, and the official receives the outcome by e-mail. On the way: no
name in the link or on the page, the page in the e-mail's language (a French or Spanish official's), the same form
sent again is one answer, another answer is refused, an altered link gets a plain page, the audit log and the staff's
list of replies name the official as the actor, and `logistics replies` shows the request with the status of the
quote it became.
"""

from __future__ import annotations

import email
import json
from email import policy
from typing import Any
from urllib.parse import urlsplit

import httpx

from tests.chromium import Chromium
from tests.end_to_end.test_ops_page import personal_data
from tests.harness import System, eventually

WORKSHOP = "idm-2006-geneva"
AIRPORTS = ("ACC", "LOS", "ABJ", "NBO", "DKR")  # a policy itinerary to Geneva exists from each (the change-quote test)


def plain_text(message: Any) -> str:
    parsed = email.message_from_bytes(bytes(message), policy=policy.default)
    body = parsed.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def messages_to(system: System, ref: str, kind: str) -> list[Any]:
    return [m for m in system.mail() if m["X-Logistics-Delegate"] == ref and m["X-Logistics-Kind"] == kind]


def mail_to(system: System, ref: str, kind: str) -> list[str]:
    return [plain_text(m) for m in messages_to(system, ref, kind)]


def reply_link(system: System, text: str) -> str:
    """The link in the e-mail, on this system's API: the mail was copied from the Geneva snapshot, whose API listened
    on another port (the token, made with the test systems' one secret, is what counts)."""
    [line] = [line for line in text.splitlines() if "/reply/" in line]
    return system.url("api") + urlsplit(line.strip()).path


def get(system: System, service: str, path: str) -> Any:
    answer = httpx.get(f"{system.url(service)}{path}", timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_an_official_asks_for_another_airport_from_the_itinerary_link_and_is_told_staffs_decision(
    geneva: System,
) -> None:
    system = geneva
    tickets = get(system, "travel", f"/workshops/{WORKSHOP}/tickets")["bookings"]
    ticketed = sorted(b["delegate_ref"] for b in tickets if b["status"] == "ticketed")
    itineraries = {m["X-Logistics-Delegate"]: m for m in system.mail() if m["X-Logistics-Kind"] == "itinerary"}
    ref = next(r for r in ticketed if itineraries[r]["Content-Language"] != "en")  # the page in another language
    [message] = messages_to(system, ref, "itinerary")
    link, language = reply_link(system, plain_text(message)), message["Content-Language"]
    home = get(system, "travel", f"/delegates/{ref}/travel")["traveller"]["home_airport"]
    wanted = next(airport for airport in AIRPORTS if airport != home)
    names = personal_data()
    assert not any(name in link for name in names) and ref not in link and WORKSHOP not in link

    with Chromium() as browser:
        browser.go(link)
        browser.wait_for("!!document.getElementById('send')", 30, "the reply form")
        assert browser.evaluate("document.getElementById('booking').textContent")
        page = browser.evaluate("document.body.innerText")
        assert not any(name in page for name in names), "no name on the page"
        assert browser.evaluate("document.documentElement.lang") == language, "the page speaks the e-mail's language"
        browser.click("#change")
        browser.type_into("#home_airport", wanted.lower())
        browser.click("#send")
        answered = browser.wait_for(
            "(a => a && a.dataset.answer)(document.getElementById('answered'))", 30, "the answer recorded"
        )
        assert answered == "change_requested"
        assert wanted in browser.evaluate("document.getElementById('answered').textContent")

    # The same form again (a reload): one answer; another answer on the same link: refused, the first stands.
    again = httpx.post(link, data={"answer": "change", "home_airport": wanted}, timeout=30)
    assert again.status_code == 200 and 'data-answer="change_requested"' in again.text, again.text
    other = httpx.post(link, data={"answer": "confirm"}, timeout=30)
    assert other.status_code == 409 and 'data-answer="change_requested"' in other.text and wanted in other.text
    altered = httpx.get(link[:-6] + ("AAAAAA" if not link.endswith("AAAAAA") else "BBBBBB"), timeout=30)
    assert altered.status_code == 400 and 'data-why="tampered"' in altered.text
    assert "Traceback" not in altered.text

    # The request is the costed change quote staff already decide; staff approve it.
    quote = eventually(
        lambda: (
            next(iter(get(system, "travel", f"/delegates/{ref}/change-quotes")["quotes"]), {}).get("status")
            == "pending"
        ),
        120,
        "the change quoted",
    )
    assert quote
    [quoted] = get(system, "travel", f"/delegates/{ref}/change-quotes")["quotes"]
    assert quoted["reason"] == f"home airport {home} -> {wanted}", quoted
    system.cli("travel", "change", "approve", "--delegate", ref)
    [outcome] = eventually(lambda: mail_to(system, ref, "change_decided"), 120, "the outcome e-mail")
    approved = {"en": "request is approved", "fr": "demande est acceptée", "es": "ha sido aprobada"}[language]
    assert f"home airport {home} -> {wanted}" in outcome and approved in outcome, outcome

    # Audited with the official as the actor, applied; staff see the reply.
    headers = {"Authorization": f"Bearer {system.token}"}
    audit = httpx.get(f"{system.url('api')}/audit", params={"workshop": WORKSHOP}, headers=headers, timeout=30).json()
    [request] = [e for e in audit if e["command_type"] == "registration.request_travel_change"]
    assert request["actor_name"] == f"official {ref} (reply link)" and request["actor_roles"] == ["official"]
    assert request["delegate_ref"] == ref
    replies = httpx.get(f"{system.url('api')}/replies/{WORKSHOP}", headers=headers, timeout=30).json()
    assert [(r["delegate_ref"], r["answer"], r["request"]["home_airport"]) for r in replies] == [
        (ref, "change_requested", wanted)
    ]
    assert eventually(
        lambda: (
            httpx.get(f"{system.url('api')}/commands/{request['command_id']}", headers=headers, timeout=30).json()[
                "outcome"
            ]
            == "applied"
        ),
        60,
        "the request applied by registration",
    )
    # Staff's command line lists the reply with what became of it: the change quote staff approved.
    listed = system.cli("replies", "--workshop", WORKSHOP, "--json").stdout
    [(listed_ref, quote)] = [(r["delegate_ref"], r["quote"]) for r in json.loads(listed)]
    assert listed_ref == ref and quote["quote_id"] == quoted["quote_id"], listed
    assert quote["status"] in ("approved", "applied"), listed
    assert not any(name in listed for name in names), "no name in the list"

"""The reply page (issue 18): the personal link in an itinerary or letter e-mail opens it; the official confirms the
travel or asks for another airport or other dates. Plain HTML and one small form: no script, no build step, nothing
loaded from elsewhere.

`GET /reply/<token>` shows the ticket and the form (or the answer already given); `POST` records the answer: a
confirmation is recorded and audited, a request becomes `registration.request_travel_change` with the official as
actor (travel then quotes the change for staff to approve or reject, and the official is told by e-mail). An expired,
altered or foreign link gets a page saying so, never a trace; the same answer sent twice is recorded once.
"""

from __future__ import annotations

import html
import uuid
from datetime import UTC
from typing import Any
from urllib.parse import parse_qsl

import httpx
import structlog
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse
from shared.contracts.envelope import envelope_for, refusal
from shared.contracts.registration import RequestTravelChange
from shared.reply_links import Link, LinkRefused
from shared.runtime import now, pool

from api.bootstrap import ReplyStore
from api.config import Settings
from api.domain import replies
from api.domain.reads import OPS, STAFF
from api.domain.replies import Answer, NotAnAnswer
from api.domain.tokens import require
from api.entrypoints.http import Caller
from shared import reply_links

log = structlog.get_logger()
router = APIRouter(include_in_schema=False)

STYLE = (
    "body{font-family:sans-serif;max-width:40em;margin:2em auto;padding:0 1em;line-height:1.4}"
    "fieldset{border:1px solid #bbb;margin:1em 0}label{display:block;margin:.4em 0}"
    ".problem{color:#a00}.done{color:#060}table{border-collapse:collapse}td{padding:.1em .6em .1em 0}"
)
REFUSED = {
    "expired": (410, "This link has expired", "Links in our e-mails are valid for a limited time. Please write to"
                " the workshop's logistics team, quoting the reference in the e-mail, or answer the newest e-mail"
                " you received from us."),
    "tampered": (400, "This link is not valid", "The address is incomplete or was changed. Please open the link"
                 " exactly as it is in the e-mail (copy the whole address if it is split over two lines)."),
}  # fmt: skip


def page(title: str, body: str, status: int = 200) -> HTMLResponse:
    document = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width">'
        f'<meta name="referrer" content="no-referrer"><title>{html.escape(title)}</title><style>{STYLE}</style></head>'
        f"<body><p>International Organization for Migration · International Dialogue on Migration</p>"
        f"<h1>{html.escape(title)}</h1>{body}</body></html>"
    )
    return HTMLResponse(document, status_code=status, headers={"Cache-Control": "no-store"})


def refused_page(why: str) -> HTMLResponse:
    status, title, text = REFUSED[why]
    return page(title, f'<p class="problem" id="refused" data-why="{why}">{html.escape(text)}</p>', status)


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.runtime.settings
    return settings


def link_of(request: Request, token: str) -> Link:
    settings = settings_of(request)
    return reply_links.read(settings.reply_link_secret.get_secret_value(), token, now(request))


async def ticket_of(request: Request, link: Link) -> str:
    """The delegate's current ticket, as travel has it (flights only: no name), or a sentence when none is known."""
    client: httpx.AsyncClient = request.app.state.services
    try:
        answer = await client.get(f"{settings_of(request).url('travel')}/delegates/{link.delegate_ref}/travel")
        bookings = answer.json().get("bookings", []) if answer.status_code == 200 else []
    except (httpx.HTTPError, ValueError):
        bookings = []
    ticketed = [b for b in bookings if b.get("status") == "ticketed" and b.get("workshop_id") == link.workshop_id]
    if not ticketed:
        return "<p>Your ticket is not issued yet; you may still tell us now what you need.</p>"
    booking = ticketed[-1]
    rows = "".join(
        f"<tr><td>{html.escape(str(s.get('flight', '')))}</td><td>{html.escape(str(s.get('origin', '')))} →"
        f" {html.escape(str(s.get('destination', '')))}</td><td>{html.escape(str(s.get('departs', ''))[:16])}</td></tr>"
        for s in booking.get("segments") or []
    )
    return (
        f'<p>Your ticket: booking reference <strong id="booking">{html.escape(str(booking["booking_ref"]))}</strong>.'
        f"</p><table>{rows}</table>"
    )


def form(problem: str | None = None) -> str:
    shown = f'<p class="problem" id="problem">{html.escape(problem)}</p>' if problem else ""
    return f"""{shown}<form method="post">
<fieldset><legend>Your answer</legend>
<label><input type="radio" name="answer" value="confirm" id="confirm"> I confirm this travel.</label>
<label><input type="radio" name="answer" value="change" id="change"> I ask for a change:</label>
<label>Another airport to fly from (three-letter code) <input name="home_airport" id="home_airport" size="4"
 maxlength="3"></label>
<label>Arrive by <input type="date" name="arrive_on" id="arrive_on"></label>
<label>Fly home on <input type="date" name="leave_on" id="leave_on"></label>
</fieldset>
<p>A change is priced and decided by the workshop's staff; you will be told their decision by e-mail.</p>
<button type="submit" id="send">Send</button></form>"""


def answered(given: dict[str, Any], again: bool = False) -> str:
    answer = Answer.stored(given["answer"], given["request"])
    when = given["at"].astimezone(UTC).strftime("%d %B %Y, %H:%M UTC")
    state = {
        "pending": "It is being recorded.",
        "applied": "It is recorded." if answer.answer == replies.CONFIRMED else
                   "It is recorded: the change is being priced for the staff to decide; you will be told by e-mail.",
        "refused": f"It could not be taken as it is: {given.get('reason') or 'no reason given'}. You may correct it"
                   " below.",
    }.get(given["outcome"], "It is recorded.")  # fmt: skip
    lead = "We have your answer already" if again else "Thank you"
    return (
        f'<p class="done" id="answered" data-answer="{given["answer"]}" data-outcome="{given["outcome"]}">{lead}:'
        f" on {when} you {html.escape(replies.describe(answer))}. {html.escape(state)}</p>"
    )


@router.get("/reply/{token}", response_class=HTMLResponse)
async def show(token: str, request: Request) -> HTMLResponse:
    try:
        link = link_of(request, token)
    except LinkRefused as refused:
        return refused_page(refused.why)
    given = await ReplyStore(pool(request), "").find(link.link_id)
    body = await ticket_of(request, link)
    if given is None:
        return page("Your travel to the workshop", body + form())
    correctable = given["answer"] == replies.CHANGE and given["outcome"] == "refused"
    return page("Your travel to the workshop", body + answered(given, again=True) + (form() if correctable else ""))


@router.post("/reply/{token}", response_class=HTMLResponse)
async def answer(token: str, request: Request) -> HTMLResponse:
    try:
        link = link_of(request, token)
    except LinkRefused as refused:
        return refused_page(refused.why)
    fields = dict(parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True))
    try:
        given_now = replies.read_form(fields)
    except NotAnAnswer as problem:
        return page("Your travel to the workshop", await ticket_of(request, link) + form(str(problem)), 422)
    store = ReplyStore(pool(request), settings_of(request).logistics_namespace)
    earlier = await store.find(link.link_id)
    replacing = None
    if earlier is not None:
        before = Answer.stored(earlier["answer"], earlier["request"])
        if before == given_now or not replies.may_answer_again(before, earlier["outcome"], given_now):
            # The same answer again (a reload, a double click), or a second one: the first stands.
            return page("Your travel to the workshop", answered(earlier, again=True), 200 if before == given_now
                        else 409)  # fmt: skip
        replacing = earlier["command_id"]
    actor = replies.actor_of(link)
    command = None
    if given_now.answer == replies.CHANGE:
        change = RequestTravelChange(
            workshop_id=link.workshop_id,
            ref=link.delegate_ref,
            home_airport=given_now.home_airport,
            arrive_on=given_now.arrive_on,
            leave_on=given_now.leave_on,
        )
        assert refusal(RequestTravelChange, actor) is None
        envelope = envelope_for(
            change,
            aggregate_key=change.message_key(),
            occurred_at=now(request),
            correlation_id=uuid.uuid4(),
            actor=actor,
        )
        command = (change, envelope)
    recorded = await store.record(link, given_now, actor, command, replacing)
    kept = await store.find(link.link_id)
    assert kept is not None
    log.info("reply.recorded" if recorded else "reply.already_answered", link_id=link.link_id,
             delegate_ref=link.delegate_ref, answer=kept["answer"])  # fmt: skip
    return page("Your travel to the workshop", answered(kept, again=not recorded))


@router.get("/replies/{workshop_id}", tags=["travel"], include_in_schema=True)
async def replies_of(workshop_id: str, request: Request, token: Caller) -> list[dict[str, Any]]:
    """The officials' answers on the reply page for a workshop, oldest first (role staff or ops): who confirmed, who
    asked for what, and what became of each request."""
    require(token, STAFF | OPS, "the officials' replies")
    found = await ReplyStore(pool(request), "").of_workshop(workshop_id)
    return [
        {
            key: entry[key]
            for key in (
                "delegate_ref",
                "email_kind",
                "email_version",
                "answer",
                "request",
                "at",
                "outcome",
                "reason",
                "command_id",
            )
        }
        for entry in found
    ]


def install(app: FastAPI) -> None:
    app.include_router(router)

"""The reply page (issue 18): the personal link in an itinerary or letter e-mail opens it; the official confirms the
travel or asks for another airport or other dates. Plain HTML and one small form: no script, no build step, nothing
loaded from elsewhere.

`GET /reply/<token>` shows the ticket and the form (or the answer already given); `POST` records the answer: a
confirmation is recorded and audited, a request becomes `registration.request_travel_change` with the official as
actor (travel then quotes the change for staff to approve or reject, and the official is told by e-mail). An expired,
altered or foreign link gets a page saying so, never a trace; the same answer sent twice is recorded once.

The page speaks the language of the e-mail the link came in (carried in the link; every sentence in
api.entrypoints.reply_texts); a link that cannot be read speaks the browser's language where the page has it.
"""

from __future__ import annotations

import asyncio
import html
import uuid
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
from api.entrypoints import reply_texts
from api.entrypoints.http import Caller
from api.entrypoints.reply_texts import text
from shared import reply_links

log = structlog.get_logger()
router = APIRouter(include_in_schema=False)

STYLE = (
    "body{font-family:sans-serif;max-width:40em;margin:2em auto;padding:0 1em;line-height:1.4}"
    "fieldset{border:1px solid #bbb;margin:1em 0}label{display:block;margin:.4em 0}"
    ".problem{color:#a00}.done{color:#060}table{border-collapse:collapse}td{padding:.1em .6em .1em 0}"
)
REFUSED = {"expired": 410, "tampered": 400}


def page(lang: str, body: str, status: int = 200, title: str = "title") -> HTMLResponse:
    lang, heading = reply_texts.language(lang), html.escape(text(lang, title))
    document = (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width">'
        f'<meta name="referrer" content="no-referrer"><title>{heading}</title><style>{STYLE}</style></head>'
        f"<body><p>{html.escape(text(lang, 'organisation'))}</p><h1>{heading}</h1>{body}</body></html>"
    )
    return HTMLResponse(document, status_code=status, headers={"Cache-Control": "no-store"})


def refused_page(request: Request, refused: LinkRefused) -> HTMLResponse:
    lang = refused.language or reply_texts.from_header(request.headers.get("accept-language"))
    said = html.escape(text(lang, f"{refused.why}.text"))
    body = f'<p class="problem" id="refused" data-why="{refused.why}">{said}</p>'
    return page(lang, body, REFUSED[refused.why], title=f"{refused.why}.title")


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
        return f"<p>{html.escape(text(link.language, 'no_ticket'))}</p>"
    booking = ticketed[-1]
    rows = "".join(
        f"<tr><td>{html.escape(str(s.get('flight', '')))}</td><td>{html.escape(str(s.get('origin', '')))} →"
        f" {html.escape(str(s.get('destination', '')))}</td><td>{html.escape(str(s.get('departs', ''))[:16])}</td></tr>"
        for s in booking.get("segments") or []
    )
    reference = f'<strong id="booking">{html.escape(str(booking["booking_ref"]))}</strong>'
    said = html.escape(text(link.language, "ticket", booking="\0")).replace("\0", reference)
    return f"<p>{said}</p><table>{rows}</table>"


def form(lang: str, problem: str | None = None) -> str:
    shown = f'<p class="problem" id="problem">{html.escape(problem)}</p>' if problem else ""
    words = ("legend", "confirm", "change", "airport", "arrive", "leave", "decided", "send")
    say = {word: html.escape(text(lang, f"form.{word}")) for word in words}
    return f"""{shown}<form method="post">
<fieldset><legend>{say["legend"]}</legend>
<label><input type="radio" name="answer" value="confirm" id="confirm"> {say["confirm"]}</label>
<label><input type="radio" name="answer" value="change" id="change"> {say["change"]}</label>
<label>{say["airport"]} <input name="home_airport" id="home_airport" size="4" maxlength="3"></label>
<label>{say["arrive"]} <input type="date" name="arrive_on" id="arrive_on"></label>
<label>{say["leave"]} <input type="date" name="leave_on" id="leave_on"></label>
</fieldset>
<p>{say["decided"]}</p>
<button type="submit" id="send">{say["send"]}</button></form>"""


def answered(lang: str, given: dict[str, Any], again: bool = False) -> str:
    answer = Answer.stored(given["answer"], given["request"])
    state = {
        "pending": text(lang, "state.pending"),
        "applied": text(lang, "state.applied" if answer.answer == replies.CONFIRMED else "state.applied_change"),
        "refused": text(lang, "state.refused", reason=given.get("reason") or text(lang, "no_reason")),
    }.get(given["outcome"], text(lang, "state.applied"))
    lead, when, what = (
        text(lang, "again" if again else "thanks"),
        reply_texts.when(lang, given["at"]),
        reply_texts.describe(lang, answer),
    )
    said = text(lang, "answered", lead=lead, when=when, what=what, state=state)
    return (
        f'<p class="done" id="answered" data-answer="{given["answer"]}" data-outcome="{given["outcome"]}">'
        f"{html.escape(said)}</p>"
    )


@router.get("/reply/{token}", response_class=HTMLResponse)
async def show(token: str, request: Request) -> HTMLResponse:
    try:
        link = link_of(request, token)
    except LinkRefused as refused:
        return refused_page(request, refused)
    lang = link.language
    given = await ReplyStore(pool(request), "").find(link.link_id)
    body = await ticket_of(request, link)
    if given is None:
        return page(lang, body + form(lang))
    correctable = given["answer"] == replies.CHANGE and given["outcome"] == "refused"
    return page(lang, body + answered(lang, given, again=True) + (form(lang) if correctable else ""))


@router.post("/reply/{token}", response_class=HTMLResponse)
async def answer(token: str, request: Request) -> HTMLResponse:
    try:
        link = link_of(request, token)
    except LinkRefused as refused:
        return refused_page(request, refused)
    lang = link.language
    fields = dict(parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True))
    try:
        given_now = replies.read_form(fields)
    except NotAnAnswer as problem:
        said = reply_texts.problem(lang, problem)
        return page(lang, await ticket_of(request, link) + form(lang, said), 422)
    store = ReplyStore(pool(request), settings_of(request).logistics_namespace)
    earlier = await store.find(link.link_id)
    replacing = None
    if earlier is not None:
        before = Answer.stored(earlier["answer"], earlier["request"])
        if before == given_now or not replies.may_answer_again(before, earlier["outcome"], given_now):
            # The same answer again (a reload, a double click), or a second one: the first stands.
            return page(lang, answered(lang, earlier, again=True), 200 if before == given_now else 409)
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
    return page(lang, answered(lang, kept, again=not recorded))


@router.get("/replies/{workshop_id}", tags=["travel"], include_in_schema=True)
async def replies_of(workshop_id: str, request: Request, token: Caller) -> list[dict[str, Any]]:
    """The officials' answers on the reply page for a workshop, oldest first (role staff or ops): who confirmed, who
    asked for what, and what became of each request (`quote`: the change quote travel made of it, null while it has
    none). References only: no names, no addresses."""
    require(token, STAFF | OPS, "the officials' replies")
    found = await ReplyStore(pool(request), "").of_workshop(workshop_id)
    asked = sorted({entry["delegate_ref"] for entry in found if entry["answer"] == replies.CHANGE})
    quotes = dict(
        zip(asked, await asyncio.gather(*(quotes_of(request, ref, workshop_id) for ref in asked)), strict=True)
    )
    fields = (
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
    listed = []
    for entry in found:
        quote = None
        if entry["answer"] == replies.CHANGE and entry["outcome"] == "applied":
            quote = replies.quote_of(str(entry["command_id"]), quotes[entry["delegate_ref"]])
        listed.append({key: entry[key] for key in fields} | {"quote": quote and {key: quote[key] for key in QUOTED}})
    return listed


QUOTED = ("quote_id", "status", "round", "extra", "currency")  # no decided_reason: staff's free text


async def quotes_of(request: Request, delegate_ref: str, workshop_id: str) -> list[dict[str, Any]]:
    """The delegate's change quotes for the workshop, as travel has them (none when travel does not answer)."""
    client: httpx.AsyncClient = request.app.state.services
    try:
        answer = await client.get(f"{settings_of(request).url('travel')}/delegates/{delegate_ref}/change-quotes")
        quotes = answer.json()["quotes"] if answer.status_code == 200 else []
    except (httpx.HTTPError, ValueError, KeyError):
        return []
    return [quote for quote in quotes if quote.get("workshop_id") == workshop_id]


def install(app: FastAPI) -> None:
    app.include_router(router)

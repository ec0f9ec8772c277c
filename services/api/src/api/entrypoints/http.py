"""The API over HTTP: staff commands in (202 with the command id), their outcome, reads, audit and tokens.

Every request carries a bearer token; without one the answer is 401, with the wrong role 403 naming the role, both
before anything reaches the broker. A command is published through the API's own outbox with the token's actor, and
recorded in the audit log in the same transaction.
"""

from __future__ import annotations

import asyncio
import inspect
import re
import uuid
from datetime import UTC, date, datetime, time
from typing import Annotated, Any

import httpx
import uvicorn
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field, ValidationError
from shared.contracts.envelope import Command, describe
from shared.contracts.registration import WORKSHOP_DECISIONS
from shared.contracts.registry import COMMANDS
from shared.runtime import ServiceRuntime, now, pool

from api.bootstrap import Audit, TokenStore, kafka, service_reads
from api.config import SERVICES, Settings
from api.domain import consistency, timeline
from api.domain.reads import ANYONE, OPS, READS, STAFF, Read
from api.domain.tokens import Forbidden, Token, Unauthenticated, check, issue, parse, require
from api.service import what_if as what_if_service
from api.service.commands import accept

bearer = HTTPBearer(auto_error=False, description="A token from `logistics token create` or an admin.")
ADMIN = frozenset({"admin"})
AUDITORS = frozenset({"admin", "ops", "finance"})


def runtime_of(request: Request) -> ServiceRuntime:
    runtime: ServiceRuntime = request.app.state.runtime
    return runtime


def settings_of(request: Request) -> Settings:
    settings: Settings = runtime_of(request).settings  # type: ignore[assignment]
    return settings


async def current_token(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Token:
    """The caller's token, or 401 saying what to do."""
    if credentials is None:
        raise Unauthenticated(
            "no token: send `Authorization: Bearer <token>` (the CLI: set LOGISTICS_TOKEN or run `logistics login`)"
        )
    token_id, secret = parse(credentials.credentials)
    return check(await TokenStore(pool(request)).find(token_id), secret, now(request))


Caller = Annotated[Token, Depends(current_token)]


class Accepted(BaseModel):
    """A command accepted and queued for its service; its outcome at `GET /commands/{command_id}`."""

    command_id: uuid.UUID
    command_type: str
    correlation_id: uuid.UUID


class Outcome(BaseModel):
    command_id: uuid.UUID
    command_type: str
    outcome: str = Field(description="pending, applied, refused, dead_lettered or forbidden")
    reason: str | None = None
    actor: str
    at: datetime


class BatchItem(BaseModel):
    type: str = Field(description="A command's wire type, e.g. registration.register_delegate")
    payload: dict[str, Any]


class Batch(BaseModel):
    commands: list[BatchItem] = Field(min_length=1, max_length=5000)


class NewToken(BaseModel):
    name: str
    roles: list[str]
    expires: date | None = None


class IssuedToken(BaseModel):
    token: str = Field(description="Shown once: only its hash is kept")
    token_id: str
    name: str
    roles: list[str]
    expires_at: datetime | None


async def publish(request: Request, commands: list[Command], token: Token) -> list[Accepted]:
    envelopes = await accept(
        Audit(pool(request), settings_of(request).logistics_namespace), commands, token, now(request)
    )
    return [
        Accepted(command_id=e.event_id, command_type=e.event_type, correlation_id=e.correlation_id) for e in envelopes
    ]


def command_route(router: APIRouter, command: type[Command]) -> None:
    """`POST /commands/<type>`, its body the command itself (typed: the OpenAPI document shows each one)."""

    async def post(request: Request, body: Any, token: Caller) -> Accepted:
        [accepted] = await publish(request, [body], token)
        return accepted

    parameters = [
        inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request),
        inspect.Parameter("body", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=command),
        inspect.Parameter("token", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Caller),
    ]
    post.__signature__ = inspect.Signature(parameters, return_annotation=Accepted)  # type: ignore[attr-defined]
    doc = (command.__doc__ or command.TYPE).strip().splitlines()[0]
    router.add_api_route(
        f"/commands/{command.TYPE}",
        post,
        methods=["POST"],
        status_code=202,
        response_model=Accepted,
        summary=f"{command.TYPE} (role {command.ROLE})",
        description=doc,
        tags=["commands"],
        name=command.TYPE,
    )


def read_route(router: APIRouter, read: Read) -> None:
    """`GET /<service><path>`: the service's own read, for the roles allowed to make it."""
    names = re.findall(r"{(\w+)}", read.path)

    async def get(request: Request, token: Caller, **params: str) -> JSONResponse:
        require(token, read.allowed, f"{read.method} /{read.service}{read.path}")
        path = read.path.format(**params)
        return await forward(request, read.service, path)

    parameters = [
        inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request),
        inspect.Parameter("token", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Caller),
        *(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=str) for name in names),
    ]
    get.__signature__ = inspect.Signature(parameters, return_annotation=JSONResponse)  # type: ignore[attr-defined]
    roles = "any token" if read.allowed == ANYONE else f"role {' or '.join(sorted(read.allowed))}"
    router.add_api_route(
        f"/{read.service}{read.path}",
        get,
        methods=[read.method],
        summary=f"{read.summary} ({roles})",
        tags=[read.service],
        name=f"{read.service}{read.path}",
        response_class=JSONResponse,
    )


async def forward(request: Request, service: str, path: str) -> JSONResponse:
    client: httpx.AsyncClient = request.app.state.services
    url = f"{settings_of(request).url(service)}{path}"
    try:
        body = await request.body() if request.method == "POST" else None
        answer = await client.request(request.method, url, params=request.query_params, content=body,
                                      headers={"content-type": "application/json"} if body else None)  # fmt: skip
    except httpx.HTTPError as error:
        raise HTTPException(503, f"{service} did not answer: {type(error).__name__}") from None
    return JSONResponse(answer.json(), status_code=answer.status_code)


async def service_outcome(request: Request | FastAPI, service: str, command_id: Any) -> dict[str, Any]:
    app = request.app if isinstance(request, Request) else request
    client: httpx.AsyncClient = app.state.services
    settings: Settings = app.state.runtime.settings
    try:
        answer = await client.get(f"{settings.url(service)}/ops/commands/{command_id}")
        return dict(answer.json()) if answer.status_code == 200 else {"outcome": "pending"}
    except (httpx.HTTPError, ValueError):
        return {"outcome": "pending"}


router = APIRouter()
for _command in sorted(COMMANDS.values(), key=lambda c: c.TYPE):
    command_route(router, _command)
for _read in READS:
    read_route(router, _read)


@router.post("/commands", status_code=202, response_model=list[Accepted], tags=["commands"])
async def post_batch(batch: Batch, request: Request, token: Caller) -> list[Accepted]:
    """Several commands at once (a whole apply file), all accepted or none, with one correlation id."""
    commands, problems = [], []
    for index, item in enumerate(batch.commands):
        kind = COMMANDS.get(item.type)
        if kind is None:
            problems.append({"index": index, "type": item.type, "reason": "not a staff command"})
            continue
        try:
            commands.append(kind.model_validate(item.payload))
        except ValidationError as error:
            problems.append({"index": index, "type": item.type, "reason": describe(error)})
    if problems:
        raise HTTPException(422, problems)
    return await publish(request, commands, token)


@router.post("/what-if", tags=["commands"])
async def what_if(item: BatchItem, request: Request, token: Caller) -> dict[str, Any]:
    """A workshop decision tried before it is taken (issue 18), with the role the decision needs: the workshop as it
    would leave it, who keeps a place and who goes to the waitlist, what each ticket would cost to change, rebook
    or cancel with today's fares (fees, refunds, credits), and the money per pledge and donor. Nothing is published,
    held or kept. 409 with the reason when the decision would be refused."""
    decision = WORKSHOP_DECISIONS.get(item.type)
    if decision is None:
        raise HTTPException(422, f"{item.type} is not a workshop decision: only those have a what-if")
    require(token, frozenset({decision.ROLE}), f"a what-if of {item.type}")
    try:
        command = decision.model_validate(item.payload)
    except ValidationError as error:
        raise HTTPException(422, describe(error)) from None
    client: httpx.AsyncClient = request.app.state.services
    settings = settings_of(request)

    async def ask(service: str, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        try:
            answer = await client.post(f"{settings.url(service)}{path}", json=body, timeout=120)
            return answer.status_code, answer.json()
        except (httpx.HTTPError, ValueError) as error:
            return 503, f"{service} did not answer: {type(error).__name__}"

    try:
        return await what_if_service.what_if(ask, command)
    except what_if_service.NotPossible as why:
        raise HTTPException(why.status, why.reason) from None


@router.get("/commands/{command_id}", response_model=Outcome, tags=["commands"])
async def command_outcome(command_id: uuid.UUID, request: Request, token: Caller) -> Outcome:
    """What became of a command: pending, applied, refused (with the service's reason) or forbidden."""
    audit = Audit(pool(request), settings_of(request).logistics_namespace)
    entry = await audit.command(command_id)
    if entry is None:
        raise HTTPException(404, f"command {command_id} is not known to the API")
    if entry["outcome"] == "pending":
        answer = await service_outcome(request, entry["command_type"].split(".", 1)[0], command_id)
        if answer.get("outcome") not in (None, "pending"):
            await audit.settle(command_id, answer["outcome"], answer.get("reason"))
            entry = await audit.command(command_id) or entry
    return Outcome(
        command_id=entry["command_id"],
        command_type=entry["command_type"],
        outcome=entry["outcome"],
        reason=entry["reason"],
        actor=entry["actor_name"],
        at=entry["outcome_at"] or entry["at"],
    )


@router.get("/audit", tags=["audit"])
async def audit_log(
    request: Request,
    token: Caller,
    workshop: str | None = None,
    actor: str | None = None,
    since: date | None = None,
    limit: Annotated[int, Query(ge=1, le=10000)] = 1000,
) -> list[dict[str, Any]]:
    """Who did what, oldest first: actor, command, workshop, delegate, correlation id and outcome (role admin, ops or
    finance)."""
    require(token, AUDITORS, "the audit log")
    start = datetime.combine(since, time(), UTC) if since else None
    return await Audit(pool(request), "").entries(workshop=workshop, actor=actor, since=start, limit=limit)


@router.get("/work", tags=["operations"])
async def work(request: Request, token: Caller, workshop: str | None = None) -> dict[str, Any]:
    """What is still to do: consumer lag per service, outboxes, background work and the mail queue (work and mail of
    one workshop when given), and work late past its bound with why. `quiet` when nothing is left."""
    settings = settings_of(request)
    client: httpx.AsyncClient = request.app.state.services
    lags: kafka.LagReader = request.app.state.lags
    # The API's own outbox first: a command accepted a moment ago is work, though no consumer has seen it yet.
    busy: dict[str, Any] = {"api outbox": await Audit(pool(request), "").unpublished()}
    busy |= {f"{service} lag": n for service, n in (await lags.lag()).items()}
    late: list[dict[str, Any]] = []
    params = {"workshop": workshop} if workshop else {}
    for service in SERVICES:
        try:
            answer = await client.get(f"{settings.url(service)}/ops/status", params=params)
            answer.raise_for_status()
            status = answer.json()
        except (httpx.HTTPError, ValueError):
            busy[service] = "unreachable"
            continue
        busy[f"{service} outbox"] = status["outbox"]["pending"]
        busy[f"{service} work"] = status.get("work", {}).get("pending", 0)
        late += [{"service": service, **item} for item in status.get("work", {}).get("late", [])]
    try:
        queue = (await client.get(f"{settings.url('notifications')}/mail/queue", params=params)).json()
        busy["mail queue"] = queue["pending"]
    except (httpx.HTTPError, ValueError, KeyError):
        busy["mail queue"] = "unreachable"
    return {"quiet": not any(busy.values()), "busy": {k: v for k, v in busy.items() if v}, "late": late}


class MaildirMessageIds(BaseModel):
    maildir_message_ids: list[str] | None = Field(
        default=None, description="The Message-IDs found in a Maildir the caller reads (each copy once)"
    )


async def consistency_of(app: FastAPI, workshop: str, maildir_ids: list[str] | None = None) -> dict[str, Any]:
    """The consistency report of one workshop from the services' own reads (404 if unknown, 503 if one is down)."""
    client: httpx.AsyncClient = app.state.services
    settings: Settings = app.state.runtime.settings
    try:
        views, statuses = await asyncio.gather(
            service_reads.workshop_views(client, settings, workshop), service_reads.statuses(client, settings)
        )
    except service_reads.WorkshopUnknown as unknown:
        raise HTTPException(404, str(unknown)) from None
    except (httpx.HTTPError, ValueError) as error:
        raise HTTPException(503, f"a service did not answer: {type(error).__name__}") from None
    return consistency.report(
        workshop, views.registration, views.sponsorship, views.travel, views.emails, statuses, maildir_ids
    )


@router.get("/reports/consistency/{workshop_id}", tags=["operations"])
async def consistency_report(workshop_id: str, request: Request, token: Caller) -> dict[str, Any]:
    """Each service's state of a workshop checked against the others' (I1 budget, I2 tickets, I3 e-mails, I4 nothing
    lost, L1 liveness): counts and violations by delegate reference (any token)."""
    require(token, ANYONE, "the consistency report")
    return await consistency_of(request.app, workshop_id)


@router.post("/reports/consistency/{workshop_id}", tags=["operations"])
async def consistency_report_with_mail(
    workshop_id: str, body: MaildirMessageIds, request: Request, token: Caller
) -> dict[str, Any]:
    """The same report, also checked against the Message-IDs of a Maildir the caller reads (I3: each e-mail sent is
    delivered once); it changes nothing."""
    require(token, ANYONE, "the consistency report")
    return await consistency_of(request.app, workshop_id, body.maildir_message_ids)


@router.get("/trace/delegates/{delegate_ref}", tags=["operations"])
async def trace(delegate_ref: str, request: Request, token: Caller) -> dict[str, Any]:
    """One delegate's events across the services in order, with who caused each (role staff or ops); no names."""
    require(token, STAFF | OPS, "a delegate's trace")
    everything = await kafka.envelopes(settings_of(request))
    workshop = timeline.workshop_of(everything, delegate_ref)
    if workshop is None:
        raise HTTPException(404, f"no event names delegate {delegate_ref}")
    return {
        "delegate": delegate_ref,
        "workshop": workshop,
        "timeline": timeline.timeline(everything, delegate_ref, workshop),
    }


@router.get("/whoami", tags=["tokens"])
async def whoami(token: Caller) -> dict[str, Any]:
    return {"token_id": token.token_id, "name": token.name, "roles": list(token.roles), "expires_at": token.expires_at}


@router.post("/tokens", status_code=201, response_model=IssuedToken, tags=["tokens"])
async def create_token(new: NewToken, request: Request, token: Caller) -> IssuedToken:
    """A new token (role admin): shown once in the answer, kept only as a hash."""
    require(token, ADMIN, "creating a token")
    expires = datetime.combine(new.expires, time(), UTC) if new.expires else None
    try:
        secret, stored = issue(new.name, tuple(new.roles), expires)
    except ValueError as error:
        raise HTTPException(422, str(error)) from None
    await TokenStore(pool(request)).add(stored, created_by=f"{token.name} ({token.token_id})")
    return IssuedToken(token=secret, token_id=stored.token_id, name=stored.name, roles=list(stored.roles),
                       expires_at=stored.expires_at)  # fmt: skip


@router.get("/tokens", tags=["tokens"])
async def list_tokens(request: Request, token: Caller) -> list[dict[str, Any]]:
    require(token, ADMIN, "listing tokens")
    return await TokenStore(pool(request)).all()


@router.delete("/tokens/{token_id}", tags=["tokens"])
async def revoke_token(token_id: str, request: Request, token: Caller) -> dict[str, Any]:
    require(token, ADMIN, "revoking a token")
    if not await TokenStore(pool(request)).revoke(token_id, now(request)):
        raise HTTPException(404, f"token {token_id} is not known or already revoked")
    return {"token_id": token_id, "revoked": True}


class OutcomeFollower:
    """Fills the audit log's outcomes: asks each command's service what became of it, until it answers."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self._task: asyncio.Task[None] | None = None

    def start(self, pool_: Any) -> None:
        self._task = asyncio.create_task(self._run(pool_), name="outcome-follower")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self, pool_: Any) -> None:
        audit = Audit(pool_, "")
        while True:
            try:
                for command_id, command_type in await audit.awaiting_outcome():
                    answer = await service_outcome(self.app, command_type.split(".", 1)[0], command_id)
                    if answer.get("outcome") not in (None, "pending"):
                        await audit.settle(command_id, answer["outcome"], answer.get("reason"))
            except Exception:  # the next round tries again
                pass
            await asyncio.sleep(0.5)


def build_app(settings: Settings) -> FastAPI:
    from api.bootstrap import build
    from api.entrypoints import ops, ops_page, reply_page

    runtime = build(settings)
    app = runtime.app(title="Dialogue Logistics API", router=router, operations=False)
    app.state.services = httpx.AsyncClient(timeout=30)
    app.state.lags = kafka.LagReader(settings)
    runtime.background.append(OutcomeFollower(app))
    ops.install(app)
    ops_page.install(app)
    reply_page.install(app)

    @app.exception_handler(Unauthenticated)
    async def _unauthenticated(_request: Request, error: Unauthenticated) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=401, headers={"WWW-Authenticate": "Bearer"})

    @app.exception_handler(Forbidden)
    async def _forbidden(_request: Request, error: Forbidden) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=403)

    return app


def main() -> None:
    settings = Settings()
    uvicorn.run(build_app(settings), host=settings.http_host, port=settings.api_http_port, log_config=None,
                access_log=False)  # fmt: skip

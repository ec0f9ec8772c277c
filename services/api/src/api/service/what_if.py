"""A workshop decision tried before it is taken (issue 18): registration says how the decision would leave the
workshop (or why it would refuse it), travel prices what it would do to each ticket with today's fares, and
sponsorship rehearses the re-decision and the tickets' money. Each step is a read of its service: nothing is
published, held or kept."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from shared.contracts.envelope import Command
from shared.contracts.registration import EVENT_OF_TYPE

# POST a JSON body to one of the services' reads: (status code, JSON answer).
Ask = Callable[[str, str, dict[str, Any]], Awaitable[tuple[int, Any]]]


class NotPossible(Exception):
    """The what-if has no answer: `status` 409 when the decision would be refused (the reason says why), 503 when a
    service did not answer."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


def detail(answer: Any) -> str:
    return str(answer.get("detail") if isinstance(answer, dict) else answer)


async def step(ask: Ask, service: str, path: str, body: dict[str, Any]) -> Any:
    status, answer = await ask(service, path, body)
    if status == 409:
        raise NotPossible(409, detail(answer))
    if status != 200:
        raise NotPossible(503, f"{service} could not answer the what-if ({status}): {detail(answer)}")
    return answer


async def what_if(ask: Ask, decision: Command) -> dict[str, Any]:
    """What `decision` would do, with today's fares and money: the workshop after it, each place and ticket, and the
    money per pledge and donor (`changes` false, and nothing else, when the decision is already in force)."""
    workshop_id = decision.message_key()  # a workshop decision is keyed by its workshop
    tried = {"type": decision.TYPE, "payload": decision.model_dump(mode="json")}
    preview = await step(ask, "registration", f"/workshops/{workshop_id}/decisions/preview", tried)
    after = preview["workshop"]
    if after is None:
        return {"decision": tried, "changes": False, "workshop": None}
    travel = await step(ask, "travel", f"/workshops/{workshop_id}/what-if", after)
    rehearse = {"workshop": after, "event_type": preview["event_type"], "travel": travel}
    money = await step(ask, "sponsorship", f"/workshops/{workshop_id}/what-if", rehearse)
    # The decision in a word beside the facts, as the workshop showed it before its events were named for it.
    workshop = {**after, "change": EVENT_OF_TYPE[preview["event_type"]].CHANGE}
    return {"decision": tried, "changes": True, "workshop": workshop, "travel": travel, **money}

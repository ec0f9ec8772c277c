"""Staff's decision on a change quote, announced (issue 18): the delegate who asked is told by e-mail."""

from __future__ import annotations

from datetime import datetime

from shared.contracts import travel as contracts
from shared.contracts.envelope import Envelope, envelope_for
from shared.contracts.topics import TRAVEL_BOOKING

from travel.domain.change_quote import ChangeQuote
from travel.service.ports import Repository


async def announce(
    repo: Repository, envelope: Envelope, quote: ChangeQuote, decision: str, why: str | None, at: datetime
) -> None:
    """The decision, stamped `at` (the service's clock)."""
    decided = contracts.ChangeDecided(
        quote_id=quote.quote_id,
        workshop_id=quote.workshop_id,
        delegate_ref=quote.delegate_ref,
        reason=quote.reason,
        revision=quote.revision,
        round=quote.round,
        decision=decision,  # type: ignore[arg-type]
        why=why,
    )
    await repo.publish(
        TRAVEL_BOOKING, envelope_for(decided, aggregate_key=quote.delegate_ref, occurred_at=at, causation=envelope)
    )

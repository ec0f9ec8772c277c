"""Tokens, roles and accepting commands, without I/O: who may do what is decided here."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from api.domain import tokens
from api.domain.reads import ANYONE, READS, STAFF
from api.domain.tokens import Forbidden, Unauthenticated
from api.service.commands import accept
from shared.contracts import registration, sponsorship
from shared.contracts.envelope import Command, Envelope

NOW = datetime(2026, 12, 6, 12, tzinfo=UTC)


def test_a_token_is_shown_once_and_kept_only_as_a_hash() -> None:
    shown, stored = tokens.issue("desk A", ("staff", "finance"), None)
    token_id, secret = tokens.parse(shown)
    assert shown.startswith("dlt_") and token_id == stored.token_id and secret not in repr(stored)
    assert stored.secret_hash == tokens.digest(secret) and stored.roles == ("staff", "finance")
    assert tokens.check(stored, secret, NOW) == stored


@pytest.mark.parametrize(
    ("roles", "name", "reason"),
    [((), "desk", "roles must be among"), (("root",), "desk", "got root"), (("staff",), " ", "needs a name")],
)
def test_a_token_needs_known_roles_and_a_name(roles: tuple[str, ...], name: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        tokens.issue(name, roles, None)


def test_unknown_wrong_revoked_or_expired_tokens_are_refused_with_what_to_do() -> None:
    shown, stored = tokens.issue("desk A", ("staff",), NOW + timedelta(days=1))
    _, secret = tokens.parse(shown)
    with pytest.raises(Unauthenticated, match="start with dlt_"):
        tokens.parse("Bearer something")
    with pytest.raises(Unauthenticated, match="unknown token"):
        tokens.check(None, secret, NOW)
    with pytest.raises(Unauthenticated, match="unknown token"):
        tokens.check(stored, secret + "x", NOW)
    with pytest.raises(Unauthenticated, match="expired on 2026-12-07"):
        tokens.check(stored, secret, NOW + timedelta(days=2))
    revoked = type(stored)(**{**stored.__dict__, "revoked_at": NOW})
    with pytest.raises(Unauthenticated, match="revoked on 2026-12-06"):
        tokens.check(revoked, secret, NOW)


def test_a_role_missing_is_named() -> None:
    _, viewer = tokens.issue("screen", ("viewer",), None)
    with pytest.raises(Forbidden, match=r"a delegate's e-mails needs the role staff; token \w+ \(screen\) has viewer"):
        tokens.require(viewer, STAFF, "a delegate's e-mails")
    tokens.require(viewer, ANYONE, "the workshops")


def test_personal_reads_need_staff_and_every_read_is_of_a_known_service() -> None:
    personal = {f"{r.service}{r.path}" for r in READS if r.allowed == STAFF}
    assert "notifications/delegates/{delegate_ref}/preview" in personal
    assert "registration/workshops/{workshop_id}/delegates" in personal
    # Besides delegates' own records: the lists with names staff export (participants, ticket manifest).
    lists = {"registration/workshops/{workshop_id}/participants", "travel/workshops/{workshop_id}/manifest"}
    assert lists <= personal
    assert all("/delegates" in path for path in personal - {"registration/places/check", *lists})
    assert {r.service for r in READS} == {"registration", "sponsorship", "travel", "notifications"}


class FakeAudit:
    def __init__(self) -> None:
        self.published: list[tuple[Command, Envelope]] = []
        self.forbidden: list[tuple[str, str]] = []

    async def publish(self, commands: list[tuple[Command, Envelope]]) -> None:
        self.published.extend(commands)

    async def forbid(self, command: Command, envelope: Envelope, reason: str) -> None:
        self.forbidden.append((command.TYPE, reason))


CANCEL = registration.CancelWorkshop(workshop_id="idm-2006-bangkok", reason="no money")
PLEDGE = sponsorship.RecordPledge(pledge_id="p", donor_id="unfpa", workshop_id="idm-2006-bangkok", amount=1,
                                  currency="USD")  # fmt: skip


def test_commands_carry_the_tokens_actor_one_correlation_their_own_key_and_the_apis_time() -> None:
    audit = FakeAudit()
    _, staff = tokens.issue("desk A", ("staff", "finance"), None)
    stamp = datetime(2006, 5, 2, 9, 30, tzinfo=UTC)  # the API's clock
    envelopes = asyncio.run(accept(audit, [CANCEL, PLEDGE], staff, stamp))
    assert [e.aggregate_key for e in envelopes] == ["idm-2006-bangkok", "unfpa"]
    assert [e.occurred_at for e in envelopes] == [stamp, stamp]
    assert {e.correlation_id for e in envelopes} == {envelopes[0].correlation_id}
    assert all(e.actor == staff.actor() for e in envelopes) and len(audit.published) == 2


def test_a_command_the_token_may_not_issue_is_recorded_refused_and_nothing_is_published() -> None:
    audit = FakeAudit()
    _, staff = tokens.issue("desk A", ("staff",), None)
    with pytest.raises(Forbidden, match=r"sponsorship\.record_pledge needs the role finance"):
        asyncio.run(accept(audit, [CANCEL, PLEDGE], staff, NOW))
    assert audit.published == [] and [kind for kind, _ in audit.forbidden] == ["sponsorship.record_pledge"]

"""A dead letter's headers and its replay's: the original headers survive both, and a replay names its consumer."""

from __future__ import annotations

from datetime import UTC, datetime

from shared.contracts import dead_letters

ORIGINAL = [("event_type", b"registration.delegate_registered"), ("event_id", b"e-1")]
AT = datetime(2006, 7, 1, 12, 0, tzinfo=UTC)


def dead(headers: list[tuple[str, bytes]], reason: str = "handler failed 3 times") -> list[tuple[str, bytes]]:
    return dead_letters.dead_letter_headers(
        headers, reason=reason, consumer="sponsorship", position=("registration.delegate.v1", 2, 41),
        attempts=3, first_attempt_at=AT, last_attempt_at=AT,
    )  # fmt: skip


def test_a_dead_letter_keeps_the_original_headers_and_says_where_and_why() -> None:
    headers = dict(dead(ORIGINAL))
    assert headers["event_type"] == b"registration.delegate_registered"
    assert headers[dead_letters.REASON] == b"handler failed 3 times"
    assert headers[dead_letters.TOPIC] == b"registration.delegate.v1"
    assert (headers[dead_letters.PARTITION], headers[dead_letters.OFFSET]) == (b"2", b"41")
    assert headers[dead_letters.FIRST_ATTEMPT] == AT.isoformat().encode()


def test_a_replay_carries_the_original_headers_and_its_consumer_only() -> None:
    replay = dead_letters.replay_headers(dead(ORIGINAL), consumer="sponsorship", by="Ops (t1)", of="x.dlq:0:3")
    assert replay[: len(ORIGINAL)] == ORIGINAL
    assert not any(name.startswith("dlq.") for name, _ in replay)
    assert dead_letters.replayed_for(dict(replay)) == "sponsorship"
    assert dead_letters.replayed_for(dict(ORIGINAL)) is None


def test_a_replay_that_fails_again_is_a_fresh_dead_letter() -> None:
    replay = dead_letters.replay_headers(dead(ORIGINAL), consumer="sponsorship", by="Ops (t1)", of="x.dlq:0:3")
    again = dict(dead(replay, reason="handler failed again"))
    assert again[dead_letters.REASON] == b"handler failed again"
    assert dead_letters.REPLAY_FOR not in again  # a new replay names its consumer anew
    assert [name for name, _ in dead(replay)].count(dead_letters.REASON) == 1

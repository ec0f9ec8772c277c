"""Which dead letters a replay takes, and how a dead letter reads from its headers."""

from __future__ import annotations

from datetime import UTC, datetime

from api.domain.dead_letters import DeadLetter, Selection, read_letter, select

AT = datetime(2006, 7, 1, tzinfo=UTC)


def letter(id: str, topic: str, consumer: str, reason: str) -> DeadLetter:
    return DeadLetter(id, topic, consumer, reason, "t", None, "k", 3, AT, AT, AT)


LETTERS = [
    letter("registration.commands.v1.dlq:0:0", "registration.commands.v1", "registration", "malformed envelope: x"),
    letter("registration.delegate.v1.dlq:2:0", "registration.delegate.v1", "sponsorship",
           "handler failed 3 times: RaiseError: pledge missing"),
    letter("registration.delegate.v1.dlq:2:1", "registration.delegate.v1", "travel",
           "handler failed 3 times: RaiseError: Pledge Missing"),
]  # fmt: skip


def ids(letters: list[DeadLetter]) -> list[str]:
    return [x.id for x in letters]


def test_one_by_id_all_of_a_topic_or_those_whose_reason_matches() -> None:
    assert ids(select(LETTERS, Selection(id=LETTERS[0].id), set())[0]) == [LETTERS[0].id]
    assert ids(select(LETTERS, Selection(topic="registration.delegate.v1"), set())[0]) == ids(LETTERS[1:])
    assert ids(select(LETTERS, Selection(topic="registration.delegate.v1.dlq"), set())[0]) == ids(LETTERS[1:])
    assert ids(select(LETTERS, Selection(reason="pledge missing"), set())[0]) == ids(LETTERS[1:])
    both = Selection(reason="pledge missing", consumer="travel")
    assert ids(select(LETTERS, both, set())[0]) == [LETTERS[2].id]


def test_a_letter_already_replayed_is_left_out_unless_asked_again() -> None:
    chosen, left_out = select(LETTERS, Selection(topic="registration.delegate.v1"), {LETTERS[1].id})
    assert ids(chosen) == [LETTERS[2].id] and ids(left_out) == [LETTERS[1].id]
    chosen, left_out = select(LETTERS, Selection(topic="registration.delegate.v1"), {LETTERS[1].id}, again=True)
    assert ids(chosen) == ids(LETTERS[1:]) and left_out == []


def test_an_empty_selection_is_refused_with_a_sentence() -> None:
    assert Selection().problem() == (
        "say which dead letters to replay: an id, a topic, a reason to match or a consumer"
    )
    assert Selection(topic="x").problem() is None


def test_a_letter_reads_from_the_consumers_headers_without_the_namespace() -> None:
    headers = {
        "event_type": "registration.delegate_registered",
        "dlq.topic": "t1_registration.delegate.v1",
        "dlq.consumer": "t1_sponsorship",
        "dlq.reason": "handler failed 3 times",
        "dlq.attempts": "3",
        "dlq.first_attempt_at": "2006-07-01T10:00:00+00:00",
        "dlq.last_attempt_at": "2006-07-01T10:00:02+00:00",
    }
    read = read_letter(dlq_topic="registration.delegate.v1.dlq", partition=2, offset=9, key="GVA-017",
                       headers=headers, event_id="e", written_at=AT, namespace="t1_")  # fmt: skip
    assert (read.id, read.topic, read.consumer, read.attempts) == (
        "registration.delegate.v1.dlq:2:9", "registration.delegate.v1", "sponsorship", 3,
    )  # fmt: skip
    assert (read.last_attempt_at - read.first_attempt_at).total_seconds() == 2  # type: ignore[operator]
    older = read_letter(dlq_topic="x.dlq", partition=0, offset=0, key="", headers={"dlq.reason": "r"},
                        event_id=None, written_at=AT, namespace="")  # fmt: skip
    assert older.attempts is None and older.first_attempt_at is None and older.topic == "x"

"""Registration's use cases (service/handlers.py) with an in-memory repository: what is saved, what is published
(topic, key, causation), what is refused and why, and that a repeated command changes nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from registration.service import handlers
from shared.contracts import registration as contracts
from shared.contracts.envelope import Actor, Command, Envelope, envelope_for
from shared.contracts.topics import REGISTRATION_DELEGATE, REGISTRATION_WORKSHOP
from shared.messaging.consumer import Refused

from ..fakes import GAZETTEER, FakeRepository

W = "idm-2006-geneva"
TODAY = date(2006, 4, 20)
STAMP = datetime(2006, 5, 2, 9, 30, tzinfo=UTC)  # the service's clock, in tests that look at it
SENT_ON = date(2006, 5, 2)  # the day a preview is asked for, for decisions without a date of their own
ACTOR = Actor(token_id="tok-1", name="Workshop Staff", roles=("staff",))
SCHEDULED = contracts.WorkshopScheduled.TYPE
REGISTERED = contracts.DelegateRegistered.TYPE
WORKSHOP_EVENTS = {event.TYPE: event for event in contracts.WORKSHOP_EVENTS}


def told(event: Envelope) -> dict[str, Any]:
    """A workshop event's payload with the change its type tells (as WorkshopScheduled v1 carried it)."""
    updated = event.event_type == SCHEDULED and event.payload["revision"] > 1
    return {**event.payload, "change": "updated" if updated else WORKSHOP_EVENTS[event.event_type].CHANGE}


def announced(repo: FakeRepository) -> list[dict[str, Any]]:
    """Every workshop event published, oldest first, each with the change it tells."""
    return [told(event) for _, event in repo.published if event.event_type in WORKSHOP_EVENTS]


def geneva(**changes: Any) -> contracts.ScheduleWorkshop:
    values: dict[str, Any] = {
        "workshop_id": W, "title": "Migrants and the Host Society", "year": 2006, "city": "Geneva", "country": "CH",
        "airport": "GVA", "starts": date(2006, 7, 12), "ends": date(2006, 7, 13), "currency": "USD", "as_of": TODAY,
    }  # fmt: skip
    return contracts.ScheduleWorkshop(**{**values, **changes})


def delegate(ref: str = "GEN-001", **changes: Any) -> contracts.RegisterDelegate:
    values: dict[str, Any] = {
        "ref": ref, "workshop_id": W, "given_name": "Amina", "family_name": "Otieno",
        "email": "amina@delegates.example", "country": "KE", "role": "official", "language": "en",
        "home_airport": "NBO", "sponsorship": "requested",
    }  # fmt: skip
    return contracts.RegisterDelegate(**{**values, **changes})


async def send(repo: FakeRepository, command: Command) -> Envelope:
    """Apply a command as the consumer would (the gazetteer where bootstrap passes it); its envelope."""
    envelope = envelope_for(command, aggregate_key=command.message_key(), occurred_at=datetime.now(UTC), actor=ACTOR)
    match command:
        case contracts.ScheduleWorkshop():
            await handlers.schedule_workshop(repo, envelope, command, GAZETTEER)
        case contracts.DefineProgramme():
            await handlers.define_programme(repo, envelope, command)
        case contracts.RegisterDelegate():
            await handlers.register_delegate(repo, envelope, command, GAZETTEER)
        case contracts.ApproveRegistration():
            await handlers.approve_registration(repo, envelope, command)
        case contracts.RejectRegistration():
            await handlers.reject_registration(repo, envelope, command)
        case contracts.SetTravelDates():
            await handlers.set_delegate_travel_dates(repo, envelope, command)
        case contracts.RecordAttendance():
            await handlers.record_delegate_attendance(repo, envelope, command)
        case contracts.RequestTravelChange():
            await handlers.request_travel_change(repo, envelope, command, GAZETTEER)
        case _:
            await handlers.decide(repo, envelope, command, GAZETTEER)  # type: ignore[arg-type]
    return envelope


async def refused(repo: FakeRepository, command: Command) -> str:
    """The reason a command is refused; checks that the refusal saved and published nothing."""
    before = (dict(repo.workshops), dict(repo.delegates), dict(repo.programmes), len(repo.published))
    with pytest.raises(Refused) as refusal:
        await send(repo, command)
    assert (repo.workshops, repo.delegates, repo.programmes, len(repo.published)) == before
    return refusal.value.reason


async def scheduled_repo() -> FakeRepository:
    repo = FakeRepository()
    await send(repo, geneva())
    return repo


async def registered_repo(**changes: Any) -> FakeRepository:
    repo = await scheduled_repo()
    await send(repo, delegate(**changes))
    return repo


# The time of what registration publishes: its own clock, not the wall clock nor the command's.


async def test_every_event_is_stamped_by_the_services_clock() -> None:
    repo = FakeRepository()
    repo.clock = lambda: STAMP

    await send(repo, geneva())
    await send(repo, delegate())
    await send(repo, contracts.MoveWorkshop(workshop_id=W, city="Vienna", country="AT", airport="VIE"))

    assert len(repo.published) == 4  # scheduled, registered, its contact, moved
    assert {envelope.occurred_at for _, envelope in repo.published} == {STAMP}


# Scheduling a workshop.


async def test_a_new_workshop_is_saved_and_announced_on_the_workshop_topic_caused_by_the_command() -> None:
    repo = FakeRepository()

    command = await send(repo, geneva())

    [(topic, event)] = repo.published
    assert (topic, event.event_type, event.aggregate_key, event.producer) == (
        REGISTRATION_WORKSHOP,
        "registration.workshop_scheduled",
        W,
        "registration",
    )
    assert (event.causation_id, event.correlation_id, event.actor) == (command.event_id, command.correlation_id, ACTOR)
    assert {k: told(event)[k] for k in ("city", "starts", "status", "venue_version", "revision", "change")} == {
        "city": "Geneva",
        "starts": "2006-07-12",
        "status": "scheduled",
        "venue_version": 1,
        "revision": 1,
        "change": "scheduled",
    }
    assert (repo.workshops[W].status, repo.workshops[W].revision) == ("scheduled", 1)


async def test_the_same_schedule_command_again_changes_and_publishes_nothing() -> None:
    repo = await scheduled_repo()
    saved = repo.workshops[W]

    await send(repo, geneva())

    assert len(repo.published) == 1
    assert repo.workshops[W] == saved


async def test_a_new_title_is_an_update_and_a_new_city_a_move_with_a_new_venue_version() -> None:
    repo = await scheduled_repo()

    await send(repo, geneva(title="Partnerships for Success"))
    await send(repo, geneva(title="Partnerships for Success", city="Vienna", country="AT", airport="VIE"))

    assert [(p["revision"], p["venue_version"], p["change"]) for p in announced(repo)] == [
        (1, 1, "scheduled"),
        (2, 1, "updated"),
        (3, 2, "moved"),
    ]


async def test_a_workshop_at_an_unknown_airport_is_refused_naming_the_code() -> None:
    reason = await refused(FakeRepository(), geneva(airport="XQZ"))

    assert reason == f'workshop {W}: airport "XQZ" is not a known IATA code; airports in CH: GVA'


async def test_a_workshop_ending_before_it_starts_is_refused() -> None:
    reason = await refused(FakeRepository(), geneva(starts=date(2006, 7, 13), ends=date(2006, 7, 12)))

    assert reason == f"workshop {W} ends (2006-07-12) before it starts (2006-07-13)"


@pytest.mark.parametrize(
    ("decision", "why"),
    [
        (contracts.CancelWorkshop(workshop_id=W, reason="no quorum"), f"workshop {W} is cancelled"),
        (
            contracts.DeferWorkshop(workshop_id=W, to_year=2007),
            f"workshop {W} is deferred to 2007: bring it back with reschedule",
        ),
    ],
)
async def test_scheduling_a_cancelled_or_deferred_workshop_again_is_refused(decision: Command, why: str) -> None:
    repo = await scheduled_repo()
    await send(repo, decision)

    assert await refused(repo, geneva()) == why


# The year's programme.


async def test_a_programme_is_announced_once_and_a_new_theme_is_a_new_revision() -> None:
    repo = FakeRepository()

    await send(repo, contracts.DefineProgramme(year=2007, theme="Migration and Development"))
    await send(repo, contracts.DefineProgramme(year=2007, theme="Migration and Development"))
    await send(repo, contracts.DefineProgramme(year=2007, theme="Labour Mobility"))

    assert [(t, e.aggregate_key, e.event_type) for t, e in repo.published] == [
        (REGISTRATION_WORKSHOP, "programme-2007", "registration.programme_defined"),
        (REGISTRATION_WORKSHOP, "programme-2007", "registration.programme_defined"),
    ]
    assert [(p["theme"], p["revision"]) for p in repo.payloads()] == [
        ("Migration and Development", 1),
        ("Labour Mobility", 2),
    ]


# Registering delegates.


async def test_a_new_delegate_is_saved_and_announced_on_the_delegate_topic_keyed_by_ref() -> None:
    repo = await scheduled_repo()

    command = await send(repo, delegate())

    (topic, event), (contact_topic, contact) = repo.published[-2:]
    assert (topic, event.event_type, event.aggregate_key, event.causation_id) == (
        REGISTRATION_DELEGATE,
        REGISTERED,
        "GEN-001",
        command.event_id,
    )
    assert (contact_topic, contact.event_type, contact.aggregate_key) == (
        "registration.contact.v1",
        "registration.contact_recorded",
        "GEN-001",
    )
    assert "email" not in event.payload and contact.payload["email"] == "amina@delegates.example"
    assert {k: event.payload[k] for k in ("workshop_id", "revision", "approval", "sponsorship", "home_airport")} == {
        "workshop_id": W,
        "revision": 1,
        "approval": "approved",
        "sponsorship": "requested",
        "home_airport": "NBO",
    }
    assert repo.delegates["GEN-001"].revision == 1


async def test_the_same_registration_again_publishes_nothing_and_a_change_is_the_next_revision() -> None:
    repo = await registered_repo()

    await send(repo, delegate())
    await send(repo, delegate(home_airport="DKR"))

    assert [(p["revision"], p["home_airport"]) for p in repo.payloads(REGISTERED)] == [(1, "NBO"), (2, "DKR")]


@pytest.mark.parametrize(
    ("command", "why"),
    [
        (
            delegate(home_airport="XQZ"),
            'delegate GEN-001: home airport "XQZ" is not a known IATA code; airports in KE: MBA, NBO',
        ),
        (delegate(workshop_id="idm-2006-nowhere"), "delegate GEN-001: workshop idm-2006-nowhere is not known"),
        (
            delegate(arrive_on=date(2006, 7, 13)),
            f"delegate GEN-001: workshop {W} runs 2006-07-12 to 2006-07-13; arriving on 2006-07-13 is after it starts",
        ),
        (
            delegate(leave_on=date(2006, 7, 21)),
            f"delegate GEN-001: workshop {W} runs 2006-07-12 to 2006-07-13; leaving on 2006-07-21 is more than 7"
            " days after it ends",
        ),
    ],
)
async def test_a_registration_that_makes_no_sense_is_refused_with_its_reason(
    command: contracts.RegisterDelegate, why: str
) -> None:
    assert await refused(await scheduled_repo(), command) == why


async def test_registering_for_a_cancelled_workshop_or_a_second_workshop_is_refused() -> None:
    repo = await registered_repo()
    await send(repo, geneva(workshop_id="idm-2006-lima", city="Lima", country="PE", airport="LIM"))

    second = await refused(repo, delegate(workshop_id="idm-2006-lima"))
    await send(repo, contracts.CancelWorkshop(workshop_id="idm-2006-lima", reason="merged with Geneva"))
    cancelled = await refused(repo, delegate("GEN-002", workshop_id="idm-2006-lima"))

    assert second == f"delegate GEN-001 is already registered for workshop {W}"
    assert cancelled == "delegate GEN-002: workshop idm-2006-lima is cancelled"


async def test_a_file_applied_again_does_not_undo_staffs_approval_nor_forget_travel_dates() -> None:
    repo = await registered_repo(approval="pending", arrive_on=date(2006, 7, 9))
    await send(repo, contracts.ApproveRegistration(workshop_id=W, ref="GEN-001"))
    published = len(repo.published)

    await send(repo, delegate(approval="pending"))  # the same file again: pending, no travel dates

    assert len(repo.published) == published
    assert (repo.delegates["GEN-001"].approval, repo.delegates["GEN-001"].arrive_on) == ("approved", date(2006, 7, 9))


# Approval and rejection of a registration.


async def test_approving_a_pending_registration_announces_it_once() -> None:
    repo = await registered_repo(approval="pending")

    await send(repo, contracts.ApproveRegistration(workshop_id=W, ref="GEN-001"))
    await send(repo, contracts.ApproveRegistration(workshop_id=W, ref="GEN-001"))

    assert [(p["revision"], p["approval"]) for p in repo.payloads(REGISTERED)] == [(1, "pending"), (2, "approved")]


async def test_rejecting_a_pending_registration_announces_the_reason_once_per_reason() -> None:
    repo = await registered_repo(approval="pending")

    await send(repo, contracts.RejectRegistration(workshop_id=W, ref="GEN-001", reason="not a government official"))
    await send(repo, contracts.RejectRegistration(workshop_id=W, ref="GEN-001", reason="not a government official"))
    await send(repo, contracts.RejectRegistration(workshop_id=W, ref="GEN-001", reason="duplicate registration"))

    assert [(p["revision"], p["approval"], p["approval_reason"]) for p in repo.payloads(REGISTERED)] == [
        (1, "pending", None),
        (2, "rejected", "not a government official"),
        (3, "rejected", "duplicate registration"),
    ]


async def test_a_rejected_registration_may_be_approved_later_and_loses_its_reason() -> None:
    repo = await registered_repo(approval="pending")
    await send(repo, contracts.RejectRegistration(workshop_id=W, ref="GEN-001", reason="papers missing"))

    await send(repo, contracts.ApproveRegistration(workshop_id=W, ref="GEN-001"))

    last = repo.payloads(REGISTERED)[-1]
    assert (last["revision"], last["approval"], last["approval_reason"]) == (3, "approved", None)


async def test_an_approved_registration_is_not_rejected_the_sponsorship_is_withdrawn_instead() -> None:
    repo = await registered_repo()

    reason = await refused(repo, contracts.RejectRegistration(workshop_id=W, ref="GEN-001", reason="late"))

    assert reason == (
        "delegate GEN-001: the registration is approved already; withdraw the sponsorship instead of rejecting it"
    )


@pytest.mark.parametrize(
    ("command", "why"),
    [
        (contracts.ApproveRegistration(workshop_id=W, ref="GEN-404"), "delegate GEN-404 is not registered"),
        (
            contracts.RejectRegistration(workshop_id="idm-2006-lima", ref="GEN-001", reason="wrong workshop"),
            f"delegate GEN-001 is registered for workshop {W}, not idm-2006-lima",
        ),
        (
            contracts.ApproveRegistration(workshop_id="idm-2006-lima", ref="GEN-001"),
            f"delegate GEN-001 is registered for workshop {W}, not idm-2006-lima",
        ),
    ],
)
async def test_approving_or_rejecting_an_unknown_registration_is_refused(command: Command, why: str) -> None:
    assert await refused(await registered_repo(approval="pending"), command) == why


# A delegate's own travel dates.


async def test_travel_dates_are_announced_as_a_new_revision_once_and_may_be_cleared() -> None:
    repo = await registered_repo()
    dates = contracts.SetTravelDates(
        workshop_id=W, ref="GEN-001", arrive_on=date(2006, 7, 8), leave_on=date(2006, 7, 16)
    )

    await send(repo, dates)
    await send(repo, dates)
    await send(repo, contracts.SetTravelDates(workshop_id=W, ref="GEN-001"))

    assert [(p["revision"], p["arrive_on"], p["leave_on"]) for p in repo.payloads(REGISTERED)] == [
        (1, None, None),
        (2, "2006-07-08", "2006-07-16"),
        (3, None, None),
    ]


@pytest.mark.parametrize(
    ("command", "why"),
    [
        (
            contracts.SetTravelDates(workshop_id=W, ref="GEN-001", arrive_on=date(2006, 7, 4)),
            f"delegate GEN-001: workshop {W} runs 2006-07-12 to 2006-07-13; arriving on 2006-07-04 is more than 7"
            " days before it starts",
        ),
        (
            contracts.SetTravelDates(workshop_id=W, ref="GEN-001", leave_on=date(2006, 7, 12)),
            f"delegate GEN-001: workshop {W} runs 2006-07-12 to 2006-07-13; leaving on 2006-07-12 is before it ends",
        ),
        (
            contracts.SetTravelDates(workshop_id="idm-2006-lima", ref="GEN-001"),
            "delegate GEN-001: the workshop is not known",
        ),
        (contracts.SetTravelDates(workshop_id=W, ref="GEN-404"), "delegate GEN-404 is not registered"),
    ],
)
async def test_travel_dates_that_make_no_sense_are_refused(command: contracts.SetTravelDates, why: str) -> None:
    assert await refused(await registered_repo(), command) == why


async def test_travel_dates_for_a_cancelled_workshop_are_refused() -> None:
    repo = await registered_repo()
    await send(repo, contracts.CancelWorkshop(workshop_id=W, reason="no quorum"))

    reason = await refused(repo, contracts.SetTravelDates(workshop_id=W, ref="GEN-001", arrive_on=date(2006, 7, 10)))

    assert reason == f"delegate GEN-001: workshop {W} is cancelled"


# Staff's decisions about a workshop.


@pytest.mark.parametrize(
    ("decision", "expected"),
    [
        (
            contracts.MoveWorkshop(workshop_id=W, city="Vienna", country="AT", airport="VIE"),
            {"city": "Vienna", "airport": "VIE", "status": "scheduled", "change": "moved", "venue_version": 2},
        ),
        (
            contracts.PostponeWorkshop(workshop_id=W, starts=date(2006, 9, 20), ends=date(2006, 9, 21)),
            {"starts": "2006-09-20", "status": "postponed", "change": "postponed", "venue_version": 2},
        ),
        (
            contracts.DeferWorkshop(workshop_id=W, to_year=2007, venue_tbd=True),
            {"year": 2007, "status": "deferred", "change": "deferred", "venue_version": 2, "venue_tbd": True},
        ),
        (
            contracts.ConfirmWorkshop(workshop_id=W),
            {"status": "confirmed", "change": "confirmed", "venue_version": 1},
        ),
        (
            contracts.CancelWorkshop(workshop_id=W, reason="no quorum"),
            {"status": "cancelled", "change": "cancelled", "venue_version": 1, "reason": "no quorum"},
        ),
    ],
)
async def test_each_decision_is_saved_and_announced_as_the_next_revision(
    decision: Command, expected: dict[str, Any]
) -> None:
    repo = await scheduled_repo()

    command = await send(repo, decision)

    topic, event = repo.published[-1]
    assert (topic, event.event_type, event.aggregate_key, event.causation_id, event.actor) == (
        REGISTRATION_WORKSHOP,
        f"registration.workshop_{expected['change']}",
        W,
        command.event_id,
        ACTOR,
    )
    assert {k: told(event)[k] for k in expected} == expected
    assert event.payload["revision"] == 2
    assert repo.workshops[W].status == expected["status"]


@pytest.mark.parametrize(
    "decision",
    [
        contracts.MoveWorkshop(workshop_id=W, city="Vienna", country="AT", airport="VIE"),
        contracts.PostponeWorkshop(workshop_id=W, starts=date(2006, 9, 20), ends=date(2006, 9, 21)),
        contracts.DeferWorkshop(workshop_id=W, to_year=2007, venue_tbd=True),
        contracts.ConfirmWorkshop(workshop_id=W),
    ],
)
async def test_a_decision_already_in_force_changes_and_publishes_nothing(decision: Command) -> None:
    repo = await scheduled_repo()
    await send(repo, decision)
    saved = repo.workshops[W]

    await send(repo, decision)

    assert len(repo.published) == 2
    assert repo.workshops[W] == saved


async def test_a_deferred_workshop_is_rescheduled_as_a_new_venue_version_even_at_its_old_venue() -> None:
    repo = await scheduled_repo()
    await send(repo, contracts.DeferWorkshop(workshop_id=W, to_year=2007))
    back = contracts.RescheduleWorkshop(
        workshop_id=W, city="Geneva", country="CH", airport="GVA", starts=date(2007, 3, 14), ends=date(2007, 3, 15)
    )

    await send(repo, back)
    await send(repo, back)

    assert [(p["status"], p["change"], p["venue_version"], p["revision"]) for p in announced(repo)] == [
        ("scheduled", "scheduled", 1, 1),
        ("deferred", "deferred", 2, 2),
        ("scheduled", "rescheduled", 3, 3),
    ]


async def test_a_retired_airport_code_is_stored_and_announced_as_todays_scheduled_or_moved_to() -> None:
    repo = await scheduled_repo()

    await send(repo, geneva(workshop_id="idm-2007-chisinau", city="Chisinau", country="MD", airport="KIV"))
    await send(repo, contracts.MoveWorkshop(workshop_id=W, city="Chisinau", country="MD", airport="KIV"))

    assert (repo.workshops["idm-2007-chisinau"].airport, repo.workshops[W].airport) == ("RMO", "RMO")
    assert [p["airport"] for p in announced(repo)] == ["GVA", "RMO", "RMO"]


async def test_a_decision_on_an_unknown_workshop_or_at_an_unknown_airport_is_refused() -> None:
    repo = await scheduled_repo()

    unknown = await refused(repo, contracts.ConfirmWorkshop(workshop_id="idm-2006-nowhere"))
    airport = await refused(repo, contracts.MoveWorkshop(workshop_id=W, city="Atlantis", country="GR", airport="XQZ"))

    assert unknown == "workshop idm-2006-nowhere is not known"
    assert airport == f'workshop {W}: airport "XQZ" is not a known IATA code'


@pytest.mark.parametrize(
    ("before", "decision", "why"),
    [
        (
            [contracts.CancelWorkshop(workshop_id=W, reason="no quorum")],
            contracts.CancelWorkshop(workshop_id=W, reason="again"),
            f"workshop {W} is already cancelled (no quorum)",
        ),
        (
            [contracts.DeferWorkshop(workshop_id=W, to_year=2007)],
            contracts.MoveWorkshop(workshop_id=W, city="Vienna", country="AT", airport="VIE"),
            f"cannot move workshop {W}: it is deferred; reschedule it instead",
        ),
        (
            [],
            contracts.PostponeWorkshop(workshop_id=W, starts=date(2006, 7, 5), ends=date(2006, 7, 6)),
            f"cannot postpone workshop {W} to 2006-07-05: it already starts on 2006-07-12",
        ),
        (
            [contracts.DeferWorkshop(workshop_id=W, to_year=2007)],
            contracts.RescheduleWorkshop(
                workshop_id=W, city="Lima", country="PE", airport="LIM", starts=date(2008, 3, 4), ends=date(2008, 3, 5)
            ),
            f"cannot reschedule workshop {W} on 2008-03-04: it was deferred to 2007",
        ),
        (
            [],
            contracts.RescheduleWorkshop(
                workshop_id=W, city="Lima", country="PE", airport="LIM", starts=date(2006, 9, 4), ends=date(2006, 9, 5)
            ),
            f"cannot reschedule workshop {W}: it is scheduled, not deferred; move or postpone it instead",
        ),
        (
            [contracts.ConfirmWorkshop(workshop_id=W, today=date(2006, 5, 1))],
            contracts.MoveWorkshop(workshop_id=W, city="Vienna", country="AT", airport="VIE", today=date(2006, 4, 25)),
            f"workshop {W}: a decision dated 2006-04-25 comes before its last one (2006-05-01)",
        ),
        (
            [],
            contracts.ConfirmWorkshop(workshop_id=W, today=date(2006, 7, 12)),
            f"cannot confirm workshop {W}: it started on 2006-07-12 (today is 2006-07-12)",
        ),
    ],
)
async def test_a_decision_that_makes_no_sense_is_refused_with_its_reason(
    before: list[Command], decision: Command, why: str
) -> None:
    repo = await scheduled_repo()
    for command in before:
        await send(repo, command)

    assert await refused(repo, decision) == why


# A decision tried first (what-if): what registration would announce, with nothing saved or published.


async def test_a_previewed_decision_says_what_would_be_announced_and_saves_and_publishes_nothing() -> None:
    repo = await scheduled_repo()
    published, saved = len(repo.published), repo.workshops[W]

    move = contracts.MoveWorkshop(workshop_id=W, city="Vienna", country="AT", airport="VIE", today=date(2006, 5, 1))
    after = await handlers.preview_decision(repo, move, GAZETTEER, date(2006, 5, 1))

    assert after is not None
    assert (after.city, after.airport, after.venue_version, after.revision, after.CHANGE, after.as_of) == (
        "Vienna",
        "VIE",
        2,
        2,
        "moved",
        date(2006, 5, 1),
    )
    assert (len(repo.published), repo.workshops[W]) == (published, saved)
    # Taken for real, the decision announces exactly what the preview said.
    await send(repo, move)
    assert (repo.published[-1][1].event_type, repo.published[-1][1].payload) == (
        after.TYPE,
        after.model_dump(mode="json"),
    )


async def test_a_previewed_decision_already_in_force_is_none_and_one_that_makes_no_sense_is_refused() -> None:
    repo = await scheduled_repo()
    await send(repo, contracts.ConfirmWorkshop(workshop_id=W))

    assert await handlers.preview_decision(repo, contracts.ConfirmWorkshop(workshop_id=W), GAZETTEER, SENT_ON) is None
    with pytest.raises(Refused, match="already starts on 2006-07-12"):
        await handlers.preview_decision(
            repo,
            contracts.PostponeWorkshop(workshop_id=W, starts=date(2006, 7, 5), ends=date(2006, 7, 6)),
            GAZETTEER,
            SENT_ON,
        )


# After the workshop: closed (held), then attendance.

ATTENDANCE = contracts.AttendanceRecorded.TYPE


async def test_a_workshop_is_closed_as_held_only_after_its_last_day_and_once() -> None:
    repo = await registered_repo()
    too_soon = contracts.CloseWorkshop(workshop_id=W, today=date(2006, 7, 13))

    assert (
        await refused(repo, too_soon)
        == f"cannot close workshop {W} yet: its last day is 2006-07-13 (today is 2006-07-13)"
    )
    await send(repo, contracts.CloseWorkshop(workshop_id=W, today=date(2006, 7, 14)))
    await send(repo, contracts.CloseWorkshop(workshop_id=W, today=date(2006, 7, 20)))

    [held] = [p for p in announced(repo) if p["status"] == "held"]
    assert (held["change"], held["venue_version"], held["revision"], held["as_of"]) == ("held", 1, 2, "2006-07-14")
    late = await refused(repo, delegate("GEN-002"))
    assert late == f"delegate GEN-002: workshop {W} is held"


async def test_a_cancelled_workshop_is_not_closed_and_attendance_waits_for_the_close() -> None:
    repo = await registered_repo()
    early = await refused(repo, contracts.RecordAttendance(workshop_id=W, ref="GEN-001", attended=True))
    await send(repo, contracts.CancelWorkshop(workshop_id=W, reason="no money"))

    assert early == (
        f"delegate GEN-001: attendance is recorded once workshop {W} is held (it is scheduled): close it first with"
        f" `logistics workshop close {W}`"
    )
    closing = await refused(repo, contracts.CloseWorkshop(workshop_id=W, today=date(2006, 8, 1)))
    assert closing == f"cannot close workshop {W}: it is cancelled, it was not held"


async def test_attendance_is_announced_once_per_answer_and_may_be_corrected() -> None:
    repo = await registered_repo()
    await send(repo, delegate("GEN-002", approval="pending"))
    await send(repo, contracts.CloseWorkshop(workshop_id=W, today=date(2006, 7, 14)))
    revision = repo.delegates["GEN-001"].revision

    await send(repo, contracts.RecordAttendance(workshop_id=W, ref="GEN-001", attended=False))
    await send(repo, contracts.RecordAttendance(workshop_id=W, ref="GEN-001", attended=False))
    await send(repo, contracts.RecordAttendance(workshop_id=W, ref="GEN-001", attended=True))

    assert [(p["ref"], p["attended"]) for p in repo.payloads(ATTENDANCE)] == [("GEN-001", False), ("GEN-001", True)]
    topic, event = repo.published[-1]
    assert (topic, event.aggregate_key) == (REGISTRATION_DELEGATE, "GEN-001")
    # Not a new registration: no DelegateRegistered, the revision as it was.
    assert (repo.delegates["GEN-001"].attendance, repo.delegates["GEN-001"].revision) == ("attended", revision)
    pending = await refused(repo, contracts.RecordAttendance(workshop_id=W, ref="GEN-002", attended=True))
    assert pending == "delegate GEN-002: the registration is pending, not approved"


# Capacity (issue 18): registrations beyond it are waitlisted in line, or refused; a raised capacity approves the
# line, first come first.


async def test_registrations_beyond_capacity_wait_in_line_and_a_raised_capacity_approves_them_in_order() -> None:
    repo = FakeRepository()
    await send(repo, geneva(capacity=2))
    for n in range(1, 5):
        await send(repo, delegate(f"GEN-00{n}", email=f"d{n}@delegates.example"))

    assert {ref: d.approval for ref, d in repo.delegates.items()} == {
        "GEN-001": "approved",
        "GEN-002": "approved",
        "GEN-003": "waitlisted",
        "GEN-004": "waitlisted",
    }
    announced = {p["ref"]: (p["approval"], p["approval_reason"]) for p in repo.payloads(REGISTERED)}
    assert announced["GEN-003"] == ("waitlisted", "workshop full (2 places): waitlisted")
    # A file applied again keeps each registration where it is in line.
    await send(repo, delegate("GEN-003", email="d3@delegates.example"))
    assert repo.delegates["GEN-003"].approval == "waitlisted"

    await send(repo, geneva(capacity=3))

    assert [(d.ref, d.approval, d.revision) for d in sorted(repo.delegates.values(), key=lambda d: d.ref)] == [
        ("GEN-001", "approved", 1),
        ("GEN-002", "approved", 1),
        ("GEN-003", "approved", 2),
        ("GEN-004", "waitlisted", 1),
    ]
    assert [(p["ref"], p["approval"], p["revision"]) for p in repo.payloads(REGISTERED)][-1] == (
        "GEN-003",
        "approved",
        2,
    )


async def test_a_full_workshop_that_refuses_says_so_and_a_pending_registration_approved_when_full_waits() -> None:
    repo = FakeRepository()
    await send(repo, geneva(capacity=1, when_full="refuse"))
    await send(repo, delegate("GEN-001"))
    await send(repo, delegate("GEN-002", approval="pending"))

    assert await refused(repo, delegate("GEN-003")) == (
        f"delegate GEN-003: workshop {W} is full (1 of 1 places taken); raise its capacity to take more"
    )
    full = await refused(repo, contracts.ApproveRegistration(workshop_id=W, ref="GEN-002"))
    assert "is full (1 of 1 places taken)" in full
    await send(repo, geneva(capacity=1, when_full="waitlist"))
    await send(repo, contracts.ApproveRegistration(workshop_id=W, ref="GEN-002"))
    assert repo.delegates["GEN-002"].approval == "waitlisted"
    await send(repo, contracts.RejectRegistration(workshop_id=W, ref="GEN-002", reason="no place after all"))
    assert (repo.delegates["GEN-002"].approval, repo.delegates["GEN-002"].waitlisted_at) == ("rejected", None)


# The annual programme: its theme and the Council session where the dialogue meets besides its workshops.


async def test_a_programme_carries_its_council_session_and_a_change_to_it_is_the_next_revision() -> None:
    repo = FakeRepository()
    sessions = [
        contracts.CouncilSession(kind="gmg", title="Special session with the Global Migration Group"),
        contracts.CouncilSession(kind="high_level", title="Partnerships in Migration"),
        contracts.CouncilSession(kind="imdi", title="International Migration and Development Initiative"),
        contracts.CouncilSession(kind="year_in_review", title="The Year in Review"),
    ]
    council = contracts.Council(starts=date(2006, 11, 28), ends=date(2006, 12, 1), sessions=sessions)
    programme = contracts.DefineProgramme(year=2006, theme="Partnerships in Migration", council=council)

    await send(repo, programme)
    await send(repo, programme)
    await send(repo, programme.model_copy(update={"council": council.model_copy(update={"sessions": sessions[:3]})}))

    defined = repo.payloads(contracts.ProgrammeDefined.TYPE)
    assert [(p["revision"], len(p["council"]["sessions"])) for p in defined] == [(1, 4), (2, 3)]
    assert defined[0]["council"]["sessions"][3] == {"kind": "year_in_review", "title": "The Year in Review"}
    wrong_year = contracts.Council(starts=date(2007, 11, 27), ends=date(2007, 11, 30))
    assert await refused(repo, programme.model_copy(update={"council": wrong_year})) == (
        "programme 2006: the Council on 2007-11-27 is not in 2006"
    )


async def test_an_officials_request_changes_the_airport_or_the_dates_it_names_and_keeps_the_rest() -> None:
    repo = await registered_repo(arrive_on=date(2006, 7, 9))
    airport = contracts.RequestTravelChange(workshop_id=W, ref="GEN-001", home_airport="kiv")  # retired: RMO

    await send(repo, airport)
    await send(repo, airport)  # sent twice: one revision
    await send(repo, contracts.RequestTravelChange(workshop_id=W, ref="GEN-001", leave_on=date(2006, 7, 15)))

    assert [(p["revision"], p["home_airport"], p["arrive_on"], p["leave_on"]) for p in repo.payloads(REGISTERED)][
        1:
    ] == [
        (2, "RMO", "2006-07-09", None),
        (3, "RMO", "2006-07-09", "2006-07-15"),
    ]
    why = await refused(repo, contracts.RequestTravelChange(workshop_id=W, ref="GEN-001", home_airport="QQQ"))
    assert 'home airport "QQQ" is not a known IATA code' in why

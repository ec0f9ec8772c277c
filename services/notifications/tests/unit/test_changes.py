"""The e-mails of a workshop's changes and the staff digest: which e-mail a fact calls for (domain.relevance),
what each says in each language (templates), the calendar that withdraws the events (METHOD:CANCEL), and the
handlers that queue them once per (delegate, kind, version), with in-memory fakes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from email import message_from_bytes, policy
from typing import Any
from uuid import UUID

import pytest
from icalendar import Calendar
from notifications.adapters.renderer import TemplateRenderer
from notifications.domain.relevance import (
    Ticket,
    Told,
    family,
    itinerary_email,
    still_current,
    told_of_workshop_change,
    workshop_change_kind,
)
from notifications.service import handlers
from notifications.service.composing import compose, message_for
from shared.contracts import registration, sponsorship, travel
from shared.contracts.envelope import envelope_for

from .conftest import digest_items, event_facts, ticket_cancelled, workshop_facts

Email = Callable[..., dict[str, Any]]
SENDER = "IOM IDM Logistics <idm-logistics@iom.example>"
RENDERER = TemplateRenderer()
WORKSHOP_UID = "idm-2006-geneva.GVA-901@idm.invalid"


# Which e-mail a fact calls for


@pytest.mark.parametrize(
    ("change", "status", "kind"),
    [
        ("postponed", "postponed", "postponed"),
        ("deferred", "deferred", "deferred"),
        ("cancelled", "cancelled", "cancelled"),
        ("scheduled", "scheduled", None),
        ("updated", "scheduled", None),
        ("moved", "scheduled", None),  # told by the "itinerary_changed" e-mail of the new ticket
        ("rescheduled", "scheduled", None),
        ("confirmed", "confirmed", None),
        ("cancelled", "scheduled", None),  # inconsistent news is not acted on
    ],
)
def test_a_workshop_decision_calls_for_its_e_mail(change: str, status: str, kind: str | None) -> None:
    assert workshop_change_kind(change, status) == kind


GVA1, GVA1_REISSUED, GVA1_REBOOKED = Ticket(1, "GVA1"), Ticket(1, "GVA1", 2), Ticket(1, "GVA1B")
VIE2 = Ticket(2, "VIE2")


@pytest.mark.parametrize(
    ("ticket", "earlier", "email"),
    [
        (GVA1, [], ("itinerary", 1)),
        (VIE2, [Told(1, "sent", GVA1)], ("itinerary_changed", 2)),
        (VIE2, [Told(1, "sending", GVA1)], ("itinerary_changed", 2)),  # it may have reached the delegate
        (VIE2, [Told(1, "pending", GVA1)], ("itinerary", 2)),  # never seen: the newer one is simply the itinerary
        (GVA1, [Told(1, "sent", GVA1)], None),  # the same ticket news again
        (GVA1, [Told(2, "sent", VIE2)], None),  # stale news about an older venue
        # The airline re-issues the ticket after a schedule change, or travel books again for the same venue:
        # a new itinerary, numbered after the last one, whatever the venue version.
        (GVA1_REISSUED, [Told(1, "sent", GVA1)], ("itinerary_changed", 2)),
        (GVA1_REBOOKED, [Told(1, "sent", GVA1)], ("itinerary_changed", 2)),
        (GVA1, [Told(1, "superseded", GVA1_REISSUED)], None),  # an older issue of the same booking
        (VIE2, [Told(1, "sent", GVA1), Told(2, "sent", GVA1_REISSUED)], ("itinerary_changed", 3)),
        (GVA1_REBOOKED, [Told(1, "superseded", GVA1)], ("itinerary", 2)),  # the first one never went out
    ],
)
def test_a_ticket_calls_for_an_itinerary_or_an_itinerary_changed(
    ticket: Ticket, earlier: list[Told], email: tuple[str, int] | None
) -> None:
    assert itinerary_email(ticket, earlier) == email


def test_families_share_a_version_space() -> None:
    assert family("itinerary_changed") == ("itinerary", "itinerary_changed")
    assert family("cancelled") == ("postponed", "deferred", "cancelled")
    assert family("waitlisted") == ("granted", "waitlisted", "refused")  # all counted in award_version
    assert family("received") == ("received",)


@pytest.mark.parametrize(
    ("kind", "version", "award", "current"),
    [
        ("granted", 1, {"status": "granted", "award_version": 1}, True),
        ("granted", 1, {"status": "withdrawn", "award_version": 2}, False),  # withdrawn while it waited
        ("granted", 1, {"status": "waitlisted", "award_version": 2}, False),
        ("waitlisted", 1, {"status": "granted", "award_version": 2}, False),  # promoted while it waited
        ("refused", 2, {"status": "refused", "award_version": 2}, True),
        ("granted", 3, {"status": "granted", "award_version": 3}, True),
        ("granted", 1, None, True),  # nothing newer known
    ],
)
def test_a_queued_sponsorship_decision_is_sent_only_while_it_is_the_newest(
    kind: str, version: int, award: dict[str, Any] | None, current: bool
) -> None:
    workshop = {"venue_version": "1", "status": "scheduled"}
    assert still_current(kind, workshop, event_facts(kind, version), award) is current


@pytest.mark.parametrize(
    ("award", "current"),
    [
        ({"status": "granted", "award_version": 1}, True),
        ({"status": "withdrawn", "award_version": 2}, False),  # travel cancels the ticket: do not tell it
        (None, True),
    ],
)
def test_an_itinerary_is_not_sent_for_a_withdrawn_place(award: dict[str, Any] | None, current: bool) -> None:
    workshop = {"venue_version": "1", "status": "scheduled"}
    assert still_current("itinerary", workshop, event_facts("itinerary"), award) is current


@pytest.mark.parametrize(
    ("kind", "version", "workshop", "current"),
    [
        ("itinerary", 1, {"venue_version": "1", "status": "scheduled"}, True),
        ("itinerary", 1, {"venue_version": "2", "status": "scheduled"}, False),  # moved since
        ("itinerary_changed", 2, {"venue_version": "2", "status": "postponed"}, True),
        ("itinerary", 2, {"venue_version": "2", "status": "cancelled"}, False),
        ("itinerary", 2, {"venue_version": "2", "status": "deferred"}, False),
        ("postponed", 3, {"venue_version": "2", "status": "postponed"}, True),
        ("postponed", 3, {"venue_version": "2", "status": "cancelled"}, False),
        ("deferred", 3, {"venue_version": "2", "status": "deferred"}, True),
        ("deferred", 3, {"venue_version": "3", "status": "scheduled"}, False),  # rescheduled since
        ("cancelled", 4, {"venue_version": "2", "status": "cancelled"}, True),
        ("granted", 1, {"venue_version": "1", "status": "deferred"}, True),
        ("granted", 1, {"venue_version": "1", "status": "cancelled"}, False),
        ("received", 1, {"venue_version": "1", "status": "cancelled"}, False),
    ],
)
def test_a_queued_e_mail_is_sent_only_while_it_is_still_true(
    kind: str, version: int, workshop: dict[str, str], current: bool
) -> None:
    facts = {"venue_version": version, "booking_ref": "GVA1"}
    assert still_current(kind, workshop, facts) is current


# What the e-mails say


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ["has been cancelled: the pledges fell short", "K7QWZP has been cancelled", "US$980.00", "US$350.00"]),
        ("fr", ["a été annulé : the pledges fell short", "K7QWZP a été annulé", "980,00\u00a0$US", "350,00\u00a0$US"]),
        (
            "es",
            [
                "se ha cancelado: the pledges fell short",
                "K7QWZP ha sido cancelado",
                "980,00\u00a0US$",
                "350,00\u00a0US$",
            ],
        ),
    ],
)
def test_cancelled_says_why_and_what_happens_to_the_ticket_and_the_money(
    email: Email, language: str, words: list[str]
) -> None:
    text = compose(email("cancelled", language, ticket=ticket_cancelled()), RENDERER, SENDER).rendered.text

    for word in words:
        assert word in text


def test_cancelled_names_a_credit_only_when_there_is_one(email: Email) -> None:
    with_credit = compose(email("cancelled", ticket=ticket_cancelled("0", "1330", "0")), RENDERER, SENDER)
    refund_only = compose(email("cancelled", ticket=ticket_cancelled()), RENDERER, SENDER)

    assert "Credit kept with the airline: US$1,330.00" in with_credit.rendered.text
    assert "Refund" not in with_credit.rendered.text and "fee" not in with_credit.rendered.text
    assert "Credit" not in refund_only.rendered.text


def test_cancelled_before_travel_reports_the_ticket_says_not_to_use_it(email: Email) -> None:
    text = compose(email("cancelled"), RENDERER, SENDER).rendered.text

    assert "Your ticket K7QWZP is being cancelled: please do not travel on it." in text


def test_a_cancellation_of_another_ticket_is_not_reported_as_the_delegates(email: Email) -> None:
    older = {**ticket_cancelled(), "booking_ref": "OLD111"}  # replaced by a rebooking long ago
    text = compose(email("cancelled", ticket=older), RENDERER, SENDER).rendered.text

    assert "OLD111" not in text and "K7QWZP is being cancelled" in text


def test_cancelled_without_a_ticket_says_none_was_issued(email: Email) -> None:
    text = compose(email("cancelled", itinerary=False), RENDERER, SENDER).rendered.text

    assert "No ticket had been issued for you." in text


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ["deferred to 2007", "Its venue will be decided again", "sponsorship is kept"]),
        ("fr", ["ajourné\nà 2007", "Son lieu sera de nouveau décidé", "financement est conservé"]),
        ("es", ["diferido a 2007", "Su sede se decidirá de nuevo", "financiación se conserva"]),
    ],
)
def test_deferred_gives_the_year_the_venue_and_keeps_the_sponsorship(
    email: Email, language: str, words: list[str]
) -> None:
    text = compose(email("deferred", language), RENDERER, SENDER).rendered.text

    for word in words:
        assert word in text


def test_postponed_gives_the_new_dates_and_warns_about_the_old_ticket(email: Email) -> None:
    text = compose(email("postponed"), RENDERER, SENDER).rendered.text

    assert "from 13 September 2006\nto 14 September 2006" in text
    assert "Your ticket K7QWZP was for the former dates" in text


def test_itinerary_changed_says_it_replaces_the_old_ticket_with_the_new_venue(email: Email) -> None:
    changed = email("itinerary_changed", "fr", version=2)
    changed["workshop"].update(city="Bangkok", venue_version="2")

    composed = compose(changed, RENDERER, SENDER)

    assert composed.rendered.subject == (
        "Votre voyage a été modifié : Migrants and the Host Society: Partnerships for Success, Bangkok"
    )
    assert "se tiendra désormais à Bangkok" in composed.rendered.text
    assert composed.calendar is not None and composed.calendar_method == "REQUEST"
    assert {event["SEQUENCE"] for event in Calendar.from_ical(composed.calendar).walk("VEVENT")} == {2}


@pytest.mark.parametrize("kind", ["deferred", "cancelled"])
def test_deferred_and_cancelled_withdraw_the_workshop_and_flights_from_the_calendar(email: Email, kind: str) -> None:
    message = message_from_bytes(bytes(message_for(email(kind, version=4), RENDERER, SENDER)), policy=policy.default)

    [part] = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    assert part.get_param("method") == "CANCEL"
    calendar = Calendar.from_ical(part.get_content())
    assert str(calendar["METHOD"]) == "CANCEL"
    found = {str(event["UID"]): event for event in calendar.walk("VEVENT")}
    assert set(found) == {
        WORKSHOP_UID,
        "idm-2006-geneva.GVA-901.flight1@idm.invalid",
        "idm-2006-geneva.GVA-901.flight2@idm.invalid",
    }
    assert {str(event["STATUS"]) for event in found.values()} == {"CANCELLED"}
    venue_version = int(email(kind)["workshop"]["venue_version"])
    # Above the itinerary's 2(v-1) for any itinerary up to this venue version, below the next venue's.
    assert {event["SEQUENCE"] for event in found.values()} == {2 * (venue_version - 1) + 1}


def test_a_cancellation_outranks_an_itinerary_re_issued_within_the_venue_version(email: Email) -> None:
    """The last itinerary was e-mail version 3 (re-issued twice by the airline) at venue version 2: 2(3-1)+1."""
    cancelled = email("cancelled", version=4)
    cancelled["workshop"]["venue_version"] = "2"
    cancelled["itinerary"] = {**cancelled["itinerary"], "told_as": 3}

    composed = compose(cancelled, RENDERER, SENDER)

    assert composed.calendar is not None
    assert {event["SEQUENCE"] for event in Calendar.from_ical(composed.calendar).walk("VEVENT")} == {5}


def test_postponed_and_decisions_carry_no_calendar(email: Email) -> None:
    for kind in ("postponed", "received", "granted"):
        assert compose(email(kind), RENDERER, SENDER).calendar is None


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ["staff digest no. 2", "2 items", "11 of 25 places", "defer the workshop", "BKK-017", "H-88"]),
        ("fr", ["synthèse pour le personnel n° 2", "11 places finançables sur 25", "ajourner l'atelier", "H-88"]),
        ("es", ["resumen para el personal n.º 2", "11 de 25 plazas", "diferir el taller", "H-88"]),
    ],
)
def test_the_digest_lists_shortfalls_and_declined_fares(email: Email, language: str, words: list[str]) -> None:
    composed = compose(email("digest", language, version=2), RENDERER, SENDER)

    for word in words:
        assert word in composed.rendered.subject + composed.rendered.text
    assert composed.rendered.text.index("H-88") < composed.rendered.text.index("11"), "newest first"


def test_the_digest_of_a_version_lists_the_items_known_at_that_version(email: Email) -> None:
    text = compose(email("digest", version=1), RENDERER, SENDER).rendered.text

    assert "1 items" in text and "H-88" not in text


# The handlers, with an in-memory repository


class FakeRepository:
    def __init__(self) -> None:
        self.workshops: dict[str, dict[str, Any]] = {}
        self.contacts: dict[str, dict[str, Any]] = {}
        self.awards: dict[str, dict[str, Any]] = {}
        self.emails: dict[tuple[str, str, int], dict[str, Any]] = {}
        self.cancellations: list[dict[str, Any]] = []
        self.digest: dict[str, dict[str, Any]] = {}

    async def save_workshop(self, facts: dict[str, Any]) -> bool:
        kept = self.workshops.get(facts["workshop_id"])
        if kept is not None and kept["revision"] >= facts["revision"]:
            return False
        self.workshops[facts["workshop_id"]] = facts
        return True

    async def save_contact(self, contact: dict[str, Any]) -> None:
        self.contacts[contact["delegate_ref"]] = contact

    async def save_award(
        self, delegate_ref: str, workshop_id: str, status: str, award_version: int, ended_by: UUID | None = None
    ) -> None:
        kept = self.awards.get(delegate_ref)
        if kept is None or kept["version"] < award_version:
            previous = kept["status"] if kept else None
            self.awards[delegate_ref] = {
                "workshop": workshop_id,
                "status": status,
                "version": award_version,
                "ended_by": ended_by,
                "previous": previous,
            }

    async def places(self, workshop_id: str, decision: UUID) -> list[tuple[str, str]]:
        return sorted(
            (ref, award["previous"] if award["ended_by"] == decision else award["status"])
            for ref, award in self.awards.items()
            if award["workshop"] == workshop_id
        )

    async def itinerary_history(self, delegate_ref: str, workshop_id: str) -> list[Told]:
        return [
            Told(version, email["status"], Ticket.of(email["facts"]))
            for (ref, kind, version), email in self.emails.items()
            if ref == delegate_ref and kind in family("itinerary")
        ]

    async def save_ticket_cancellation(self, facts: dict[str, Any]) -> None:
        self.cancellations.append(facts)

    async def add_digest_item(self, item_key: str, kind: str, workshop_id: str, facts: dict[str, Any]) -> int | None:
        if item_key in self.digest:
            return None
        self.digest[item_key] = facts
        return len(self.digest)

    async def queue_email(
        self, delegate_ref: str, workshop_id: str, kind: str, version: int, facts: dict[str, Any]
    ) -> bool:
        if (delegate_ref, kind, version) in self.emails:
            return False
        for (ref, other, older), email in self.emails.items():
            if ref == delegate_ref and other in family(kind) and older < version and email["status"] == "pending":
                email["status"] = "superseded"
        self.emails[(delegate_ref, kind, version)] = {"status": "pending", "facts": facts}
        return True

    def queued(self, status: str = "pending") -> set[tuple[str, str, int]]:
        return {key for key, email in self.emails.items() if email["status"] == status}


def workshop_event(revision: int, change: str, status: str, venue_version: int = 1) -> Any:
    facts = {key: value for key, value in workshop_facts().items() if value != "None"}
    return registration.EVENT_OF_CHANGE[change].model_validate(
        {**facts, "revision": revision, "status": status, "venue_version": venue_version}
    )


async def deliver(repo: FakeRepository, handler: Any, event: Any, causation: Any = None) -> Any:
    envelope = envelope_for(event, aggregate_key="k", occurred_at=datetime.now(UTC), causation=causation)
    await handler(repo, envelope, event)
    return envelope


async def grant(repo: FakeRepository, ref: str, version: int = 1) -> None:
    granted = sponsorship.SponsorshipGranted.model_validate({**event_facts("granted", version), "delegate_ref": ref})
    await deliver(repo, handlers.when_sponsorship_decided_queue_email, granted)


async def test_a_newer_sponsorship_decision_supersedes_the_older_one_still_waiting() -> None:
    repo = FakeRepository()
    waitlisted = sponsorship.SponsorshipWaitlisted.model_validate(
        {**event_facts("waitlisted"), "delegate_ref": "GVA-003"}
    )
    await deliver(repo, handlers.when_sponsorship_decided_queue_email, waitlisted)
    await grant(repo, "GVA-003", version=2)  # promoted from the waitlist before the first e-mail left

    assert repo.queued() == {("GVA-003", "granted", 2)}
    assert repo.queued("superseded") == {("GVA-003", "waitlisted", 1)}


async def test_a_cancellation_is_told_once_to_each_sponsored_and_waitlisted_delegate_not_a_withdrawn_one() -> None:
    repo = FakeRepository()
    await grant(repo, "GVA-001")
    await grant(repo, "GVA-002")
    waitlisted = sponsorship.SponsorshipWaitlisted.model_validate(
        {**event_facts("waitlisted"), "delegate_ref": "GVA-003"}
    )
    await deliver(repo, handlers.when_sponsorship_decided_queue_email, waitlisted)
    withdrawn = sponsorship.SponsorshipWithdrawn(
        workshop_id="idm-2006-geneva", delegate_ref="GVA-002", reason="withdrew", award_version=2
    )
    await deliver(repo, handlers.when_place_ended_keep_who_is_sponsored, withdrawn)

    cancelled = workshop_event(5, "cancelled", "cancelled")
    await deliver(repo, handlers.when_workshop_put_off_tell_delegates, cancelled)
    await deliver(repo, handlers.when_workshop_put_off_tell_delegates, cancelled)  # again

    assert {key for key in repo.queued() if key[1] == "cancelled"} == {
        ("GVA-001", "cancelled", 5),
        ("GVA-003", "cancelled", 5),
    }


@pytest.mark.parametrize(
    ("kind", "told"),
    [
        ("postponed", {"granted", "deferred"}),
        ("deferred", {"granted", "deferred", "waitlisted"}),
        ("cancelled", {"granted", "deferred", "waitlisted"}),
    ],
)
def test_who_hears_of_a_workshop_decision_by_the_status_of_their_place(kind: str, told: set[str]) -> None:
    places = ("granted", "deferred", "waitlisted", "refused", "withdrawn")
    assert {place for place in places if told_of_workshop_change(kind, place)} == told


async def test_stale_workshop_news_queues_nothing_and_newer_news_supersedes_what_waits() -> None:
    repo = FakeRepository()
    await grant(repo, "GVA-001")
    await deliver(repo, handlers.when_workshop_put_off_tell_delegates, workshop_event(3, "postponed", "postponed", 2))
    await deliver(repo, handlers.when_workshop_put_off_tell_delegates, workshop_event(4, "cancelled", "cancelled", 2))
    await deliver(repo, handlers.when_workshop_put_off_tell_delegates, workshop_event(2, "deferred", "deferred", 2))

    assert ("GVA-001", "cancelled", 4) in repo.queued()
    assert repo.queued("superseded") == {("GVA-001", "postponed", 3)}
    assert not any(kind == "deferred" for _, kind, _ in repo.emails)


async def test_registration_is_acknowledged_to_officials_requesting_sponsorship_only() -> None:
    repo = FakeRepository()
    for ref, requested in (("GVA-001", "requested"), ("GVA-002", "none")):
        for revision in (1, 2):  # a corrected registration is not acknowledged again
            registered = registration.DelegateRegistered(
                ref=ref,
                workshop_id="idm-2006-geneva",
                given_name="Aminata",
                family_name="Sarr",
                email="a@example.org",
                country="SN",
                role="official",
                language="fr",
                home_airport="DKR",
                sponsorship=requested,
                revision=revision,
            )
            await deliver(repo, handlers.when_delegate_registered_acknowledge_request, registered)

    assert repo.queued() == {("GVA-001", "received", 1)}


def ticket(venue_version: int) -> travel.TicketIssued:
    return travel.TicketIssued.model_validate({**event_facts("itinerary"), "venue_version": venue_version})


async def test_a_new_ticket_after_a_sent_itinerary_is_an_itinerary_changed() -> None:
    repo = FakeRepository()
    await deliver(repo, handlers.when_ticket_issued_send_itinerary, ticket(1))
    repo.emails[("GVA-901", "itinerary", 1)]["status"] = "sent"
    await deliver(repo, handlers.when_ticket_issued_send_itinerary, ticket(2))
    await deliver(repo, handlers.when_ticket_issued_send_itinerary, ticket(1))  # stale news

    assert repo.queued() == {("GVA-901", "itinerary_changed", 2)}
    assert repo.queued("sent") == {("GVA-901", "itinerary", 1)}


async def test_an_airline_re_issue_is_an_itinerary_changed_numbered_after_the_last_one() -> None:
    repo = FakeRepository()
    await deliver(repo, handlers.when_ticket_issued_send_itinerary, ticket(1))
    repo.emails[("GVA-901", "itinerary", 1)]["status"] = "sent"
    reissued = ticket(1).model_copy(update={"itinerary_version": 2})
    await deliver(repo, handlers.when_ticket_issued_send_itinerary, reissued)
    await deliver(repo, handlers.when_ticket_issued_send_itinerary, ticket(1))  # the older issue again

    assert repo.queued() == {("GVA-901", "itinerary_changed", 2)}


async def test_a_new_ticket_before_the_first_itinerary_left_supersedes_it() -> None:
    repo = FakeRepository()
    await deliver(repo, handlers.when_ticket_issued_send_itinerary, ticket(1))
    await deliver(repo, handlers.when_ticket_issued_send_itinerary, ticket(2))

    assert repo.queued() == {("GVA-901", "itinerary", 2)}
    assert repo.queued("superseded") == {("GVA-901", "itinerary", 1)}


async def test_each_new_shortfall_or_declined_fare_queues_the_next_digest_version_once() -> None:
    repo = FakeRepository()
    [shortfall, declined, *_] = digest_items()
    shortfall_event = sponsorship.ShortfallDetected.model_validate(shortfall["facts"])
    declined_event = sponsorship.FareDeclined.model_validate(declined["facts"])
    await deliver(repo, handlers.when_shortfall_detected_tell_staff, shortfall_event)
    await deliver(repo, handlers.when_shortfall_detected_tell_staff, shortfall_event)  # the same shortfall again
    await deliver(repo, handlers.when_fare_declined_tell_staff, declined_event)
    await deliver(repo, handlers.when_fare_declined_tell_staff, declined_event)

    assert repo.queued() == {("staff", "digest", 2)}
    assert repo.queued("superseded") == {("staff", "digest", 1)}


async def test_a_ticket_cancellation_is_kept_for_the_cancelled_e_mail() -> None:
    repo = FakeRepository()
    cancelled = travel.TicketCancelled.model_validate(ticket_cancelled())
    await deliver(repo, handlers.when_ticket_cancelled_keep_refund, cancelled)

    assert repo.cancellations[0]["refund"] == str(Decimal("980"))


async def test_places_ended_by_the_decision_itself_still_hear_of_it_whichever_news_arrives_first() -> None:
    repo = FakeRepository()
    for ref in ("GVA-001", "GVA-002", "GVA-003"):
        await grant(repo, ref)
    cancelled = workshop_event(5, "cancelled", "cancelled")
    decision = envelope_for(cancelled, aggregate_key="idm-2006-geneva", occurred_at=datetime.now(UTC))
    # Sponsorship ended GVA-001's place because of this very decision, and that news came first; GVA-002 had
    # withdrawn earlier for a reason of their own; GVA-003's withdrawal will come after.
    for ref, cause in (("GVA-001", decision), ("GVA-002", None)):
        ended = sponsorship.SponsorshipWithdrawn(
            workshop_id="idm-2006-geneva", delegate_ref=ref, reason="workshop cancelled", award_version=2
        )
        await deliver(repo, handlers.when_place_ended_keep_who_is_sponsored, ended, causation=cause)

    await handlers.when_workshop_put_off_tell_delegates(repo, decision, cancelled)

    assert {ref for ref, kind, _ in repo.queued() if kind == "cancelled"} == {"GVA-001", "GVA-003"}


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ["Dead letter on registration.commands.v1.dlq (offset 0)", "that registration could not read"]),
        ("fr", ["Message en rebut sur registration.commands.v1.dlq", "que registration n'a pas pu lire"]),
        ("es", ["Mensaje descartado en registration.commands.v1.dlq", "que registration no pudo leer"]),
    ],
)
def test_the_digest_lists_dead_letters_with_their_reason(email: Email, language: str, words: list[str]) -> None:
    text = compose(email("digest", language, version=3), RENDERER, SENDER).rendered.text

    for word in [*words, "value is not a valid email address"]:
        assert word in " ".join(text.split())


async def test_a_dead_letter_is_listed_once_however_often_it_is_read() -> None:
    repo = FakeRepository()
    dead_letter = digest_items()[2]["facts"]
    for _ in range(2):
        await handlers.when_message_dead_lettered_tell_staff(repo, dead_letter)
    await handlers.when_message_dead_lettered_tell_staff(repo, {**dead_letter, "offset": "1"})

    assert repo.queued() == {("staff", "digest", 2)}
    assert len(repo.digest) == 2


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ["Booking failed, workshop idm-2006-geneva, delegate GVA-017 (venue version 1, attempt 2): no ticket."]),
        ("fr", ["Réservation échouée, atelier idm-2006-geneva, délégué GVA-017", "tentative 2) : aucun billet."]),
        ("es", ["Reserva fallida, taller idm-2006-geneva, delegado GVA-017", "intento 2): ningún billete."]),
    ],
)
def test_the_digest_lists_failed_bookings_with_their_reason(email: Email, language: str, words: list[str]) -> None:
    text = " ".join(compose(email("digest", language, version=4), RENDERER, SENDER).rendered.text.split())

    for word in [*words, "no itinerary within policy"]:
        assert word in text
    assert text.index("GVA-017") < text.index("registration.commands.v1.dlq"), "newest first"


async def test_each_failed_booking_attempt_is_listed_once() -> None:
    repo = FakeRepository()
    failed = travel.BookingFailed.model_validate(digest_items()[3]["facts"])
    for _ in range(2):
        await deliver(repo, handlers.when_booking_failed_tell_staff, failed)
    await deliver(repo, handlers.when_booking_failed_tell_staff, failed.model_copy(update={"attempt": 3}))

    assert repo.queued() == {("staff", "digest", 2)}
    assert [facts["attempt"] for facts in repo.digest.values()] == [2, 3]


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ["Trip late, workshop idm-2006-geneva, delegate GVA-021 (venue version 2, attempt 2): held for 340 s."]),
        ("fr", ["Voyage en retard, atelier idm-2006-geneva, délégué GVA-021", "tentative 2) : held depuis 340 s."]),
        ("es", ["Viaje retrasado, taller idm-2006-geneva, delegado GVA-021", "intento 2): held desde hace 340 s."]),
    ],
)
def test_the_digest_lists_late_trips_with_what_they_wait_for(email: Email, language: str, words: list[str]) -> None:
    text = " ".join(compose(email("digest", language, version=5), RENDERER, SENDER).rendered.text.split())

    for word in [*words, "waiting for sponsorship's answer about the held fare ORD-7 (asked 3 times)"]:
        assert word in text
    assert text.index("GVA-021") < text.index("GVA-017"), "newest first"


async def test_each_late_trip_is_listed_once_per_state_and_attempt() -> None:
    repo = FakeRepository()
    late = travel.TripOverdue.model_validate(digest_items()[4]["facts"])
    for _ in range(2):
        await deliver(repo, handlers.when_trip_overdue_tell_staff, late)
    await deliver(repo, handlers.when_trip_overdue_tell_staff, late.model_copy(update={"state": "requested"}))
    await deliver(repo, handlers.when_trip_overdue_tell_staff, late.model_copy(update={"attempt": 3}))

    assert repo.queued() == {("staff", "digest", 3)}
    assert [(f["attempt"], f["state"]) for f in repo.digest.values()] == [(2, "held"), (2, "requested"), (3, "held")]


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ["Tickets late, workshop idm-2006-bangkok (59 days before,", "7 sponsored places have no ticket;",
                "the cheapest fares ended on"]),
        ("fr", ["Billets en retard, atelier idm-2006-bangkok (59 jours avant,", "7 places financées sans billet",
                "les tarifs les plus bas ont pris fin le"]),
        ("es", ["Billetes pendientes, taller idm-2006-bangkok (59 días antes,", "7 plazas financiadas sin billete",
                "las tarifas más bajas terminaron el"]),
    ],
)  # fmt: skip
def test_the_digest_lists_places_without_tickets_as_booking_windows_close(
    email: Email, language: str, words: list[str]
) -> None:
    text = " ".join(compose(email("digest", language, version=6), RENDERER, SENDER).rendered.text.split())

    for word in words:
        assert word in text


async def test_each_booking_window_of_a_workshop_is_listed_once() -> None:
    repo = FakeRepository()
    window = sponsorship.BookingWindowClosing.model_validate(digest_items()[5]["facts"])
    tell = handlers.when_booking_window_closes_tell_staff
    for _ in range(2):
        await deliver(repo, tell, window)
    await deliver(repo, tell, window.model_copy(update={"detected_on": date(2006, 8, 27)}))  # the same, a day on
    await deliver(repo, tell, window.model_copy(update={"window": "early_booking_closed"}))

    assert repo.queued() == {("staff", "digest", 2)}


async def test_staffs_decision_on_a_change_is_told_to_the_delegate_once_per_quote() -> None:
    repo = FakeRepository()
    decided = travel.ChangeDecided.model_validate(event_facts("change_decided"))
    await deliver(repo, handlers.when_change_decided_tell_delegate, decided)
    await deliver(repo, handlers.when_change_decided_tell_delegate, decided)  # again
    requoted = decided.model_copy(update={"round": 2, "decision": "approved", "why": None})
    await deliver(repo, handlers.when_change_decided_tell_delegate, requoted)

    assert repo.queued() == {("GVA-901", "change_decided", 2002)}, "the newest decision, if both still wait"
    assert repo.queued("superseded") == {("GVA-901", "change_decided", 2001)}

"""Sponsorship's request use cases driven through the handlers on the fake repository: registration's copies,
staff's requests gated on an approved registration, eligibility overrides, allocation rules, subsistence rates and
travel's fare quotes as the airfare estimate."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from shared.contracts import sponsorship, travel
from shared.contracts.topics import SPONSORSHIP_AWARD
from shared.messaging.consumer import Refused

from ..driver import (
    GRANTED,
    PLACE,
    REFUSED,
    TODAY,
    Sponsorship,
    W,
    delegate,
    geneva,
    workshop,
)

D = Decimal
REQUESTED = sponsorship.SponsorshipRequested.TYPE


async def refused(service: Sponsorship, command: Any) -> str:
    published = len(service.repo.published)
    with pytest.raises(Refused) as refusal:
        await service.send(command)
    assert len(service.repo.published) == published
    return refusal.value.reason


def quoted(price: str | None, quoted_on: date = TODAY, **changes: Any) -> travel.FareQuoted:
    values: dict[str, Any] = {
        "workshop_id": W, "delegate_ref": "DEL-01", "venue_version": 1, "home_airport": "NBO",
        "quoted_on": quoted_on, "valid_until": quoted_on + timedelta(days=30), "price": price and D(price),
        "currency": "USD",
    }  # fmt: skip
    return travel.FareQuoted(**{**values, **changes})


def granted_totals(service: Sponsorship) -> dict[str, str]:
    return {e["delegate_ref"]: e["total"] for e in service.repo.events(GRANTED)}


# Registration's delegates, kept as requests.


async def test_an_updated_registration_keeps_its_place_in_the_order_of_requests() -> None:
    service = await geneva(PLACE, delegates=2, allocate=False)

    await service.send(delegate("DEL-01", language="fr", revision=2))
    await service.allocate()

    assert (service.granted(), service.waitlisted()) == (["DEL-01"], ["DEL-02"])


async def test_older_registration_news_is_ignored() -> None:
    service = await geneva(PLACE, delegates=1, allocate=False)
    await service.send(delegate("DEL-01", revision=3, home_airport="DKR"))

    await service.send(delegate("DEL-01", revision=2, approval="pending"), delegate("DEL-01", revision=3))
    await service.allocate()

    # Dakar-Geneva, 4,134 km: 1,830 + 1,050 + 152; the stale pending approval did not stop it.
    assert granted_totals(service) == {"DEL-01": "3032"}


async def test_only_approved_registrations_that_asked_for_sponsorship_are_allocated() -> None:
    service = await geneva(10 * PLACE, delegates=1, allocate=False)
    await service.send(
        delegate("DEL-02", sponsorship="none"),
        delegate("DEL-03", approval="pending"),
        delegate("DEL-04", approval="rejected"),
    )

    await service.allocate()
    before = service.statuses()
    await service.send(delegate("DEL-03", approval="approved", revision=2))
    await service.allocate()

    assert before == {"DEL-01": "granted"}
    assert service.statuses() == {"DEL-01": "granted", "DEL-03": "granted"}


# Staff's requests (the second application).


async def test_a_request_by_command_is_announced_and_placed_in_order_by_the_time_it_was_taken() -> None:
    service = await geneva(PLACE, delegates=0, allocate=False)
    await service.send(delegate("DEL-01", sponsorship="none"), delegate("DEL-02"))

    envelope = await service.send(sponsorship.RequestSponsorship(workshop_id=W, delegate_ref="DEL-01"))
    await service.allocate()

    [(topic, event)] = [(t, e) for t, e in service.repo.published if e.event_type == REQUESTED]
    assert (topic, event.event_type, event.aggregate_key) == (SPONSORSHIP_AWARD, REQUESTED, "DEL-01")
    assert event.payload == {
        "workshop_id": W,
        "delegate_ref": "DEL-01",
        "requested_at": envelope.occurred_at.isoformat().replace("+00:00", "Z"),
        "awaiting_approval": False,
    }
    assert (service.granted(), service.waitlisted()) == (["DEL-02"], ["DEL-01"])


async def test_a_request_from_a_pending_registration_waits_for_its_approval() -> None:
    service = await geneva(PLACE, delegates=0, allocate=False)
    await service.send(delegate("DEL-01", sponsorship="none", approval="pending"))

    await service.send(sponsorship.RequestSponsorship(workshop_id=W, delegate_ref="DEL-01"))
    await service.allocate()
    waiting = service.statuses()
    await service.send(delegate("DEL-01", sponsorship="none", approval="approved", revision=2))
    await service.allocate()

    assert service.repo.events(REQUESTED)[0]["awaiting_approval"] is True
    assert waiting == {}
    assert service.granted() == ["DEL-01"]


@pytest.mark.parametrize(
    ("ref", "workshop_id", "why"),
    [
        ("DEL-09", W, "delegate DEL-09 is not registered (not known to sponsorship yet)"),
        ("DEL-02", "idm-2006-lima", f"delegate DEL-02 is registered for workshop {W}, not idm-2006-lima"),
        ("DEL-03", W, "delegate DEL-03: the registration was rejected; no sponsorship request is taken"),
        ("DEL-01", W, f"delegate DEL-01 has already requested sponsorship for {W}"),
    ],
)
async def test_a_request_that_cannot_be_taken_is_refused_with_its_reason(ref: str, workshop_id: str, why: str) -> None:
    service = await geneva(PLACE, delegates=1, allocate=False)
    await service.send(
        delegate("DEL-02", sponsorship="none"), delegate("DEL-03", sponsorship="none", approval="rejected")
    )

    assert await refused(service, sponsorship.RequestSponsorship(workshop_id=workshop_id, delegate_ref=ref)) == why


async def test_the_same_request_sent_again_is_refused_as_a_second_one() -> None:
    service = await geneva(PLACE, delegates=0, allocate=False)
    await service.send(delegate("DEL-01", sponsorship="none"))
    await service.send(sponsorship.RequestSponsorship(workshop_id=W, delegate_ref="DEL-01"))

    reason = await refused(service, sponsorship.RequestSponsorship(workshop_id=W, delegate_ref="DEL-01"))

    assert reason == f"delegate DEL-01 has already requested sponsorship for {W}"
    assert len(service.repo.events(REQUESTED)) == 1


# Eligibility overrides and allocation rules.


async def test_an_official_of_an_unlisted_country_is_refused_until_staff_override_it() -> None:
    service = await geneva(2 * PLACE, delegates=0, allocate=False)
    await service.send(delegate("DEL-FR", country="FR"))
    await service.allocate()
    await service.allocate()  # a refusal is not decided again without an override
    [refusal] = service.repo.events(REFUSED)

    await service.send(sponsorship.OverrideEligibility(delegate_ref="DEL-FR", reason="speaker on remittances"))
    await service.allocate()

    assert refusal["reason"] == (
        "country FR is not on the list of eligible countries effective 2006-01-01"
        " (OECD DAC List of ODA Recipients (test copy))"
    )
    assert service.committed() == PLACE
    [grant] = service.repo.events(GRANTED)
    assert (grant["delegate_ref"], grant["award_version"]) == ("DEL-FR", 2)


async def test_an_override_for_a_delegate_sponsorship_does_not_know_is_refused() -> None:
    service = await geneva(PLACE, delegates=0, allocate=False)

    reason = await refused(service, sponsorship.OverrideEligibility(delegate_ref="DEL-09", reason="speaker"))

    assert reason == "delegate DEL-09 has not asked for sponsorship (not known to sponsorship)"
    assert service.repo.eligibility_overrides == {}


async def test_a_cap_per_country_makes_the_second_kenyan_wait_without_blocking_a_senegalese() -> None:
    service = await geneva(10 * PLACE, delegates=2, allocate=False)
    await service.send(delegate("DEL-SN", country="SN", home_airport="DKR"))

    await service.send(sponsorship.SetAllocationRules(workshop_id=W, max_per_country=1))
    await service.allocate()

    assert service.statuses() == {"DEL-01": "granted", "DEL-02": "waitlisted", "DEL-SN": "granted"}


# Subsistence rates staff set.


async def test_a_new_subsistence_rate_in_force_on_the_first_day_prices_the_next_allocation() -> None:
    service = await geneva(10 * PLACE, delegates=2, allocate=False)
    rate = sponsorship.SetSubsistenceRate(
        city="Geneva", currency="USD", rate_per_night=D("400"), effective_from=date(2006, 7, 12)
    )
    later = rate.model_copy(update={"rate_per_night": D("500"), "effective_from": date(2006, 7, 13)})

    await service.send(rate, later)
    await service.allocate()

    # 2,450 airfare + 3 nights at 400 + 152: the rate from 13 July is not in force on the first day.
    assert granted_totals(service) == {"DEL-01": "3802", "DEL-02": "3802"}


async def test_a_subsistence_rate_in_an_unknown_currency_is_refused() -> None:
    service = Sponsorship()

    reason = await refused(
        service,
        sponsorship.SetSubsistenceRate(
            city="Geneva", currency="XYZ", rate_per_night=D("400"), effective_from=date(2006, 1, 1)
        ),
    )

    assert reason == "currency XYZ is not an ISO 4217 code"
    assert service.repo.staff_rates == {}


# Travel's fare quotes.


async def test_a_usable_fare_quote_is_the_airfare_estimate_to_the_cent() -> None:
    service = await geneva(10 * PLACE, delegates=2, allocate=False)

    await service.send(quoted("1873.40"))
    await service.allocate()

    assert granted_totals(service) == {"DEL-01": "3075.40", "DEL-02": "3652"}
    assert (service.repo.awards_["DEL-01"]["estimate_source"], service.repo.awards_["DEL-02"]["estimate_source"]) == (
        "quote",
        "formula",
    )


async def test_an_older_quote_arriving_late_does_not_replace_the_newer_one() -> None:
    service = await geneva(10 * PLACE, delegates=1, allocate=False)

    await service.send(quoted("1900", date(2006, 4, 19)), quoted("1873.40"), quoted("1900", date(2006, 4, 19)))
    await service.allocate()

    assert granted_totals(service) == {"DEL-01": "3075.40"}


async def test_a_quote_for_a_venue_the_workshop_has_left_is_not_kept() -> None:
    service = await geneva(10 * PLACE, delegates=1, allocate=False)
    await service.send(workshop(city="Vienna", airport="VIE", venue_version=2, revision=2, change="moved"))

    await service.send(quoted("1873.40", venue_version=1))

    assert service.repo.quotes == {}


async def test_a_quote_older_than_thirty_days_on_the_allocations_date_gives_way_to_the_formula() -> None:
    service = await geneva(10 * PLACE, delegates=1, allocate=False)
    await service.send(quoted("1873.40", valid_until=date(2006, 12, 31)))

    await service.allocate(today=date(2006, 5, 21))  # 31 days after the quote

    assert granted_totals(service) == {"DEL-01": "3652"}
    assert service.repo.awards_["DEL-01"]["estimate_source"] == "formula"

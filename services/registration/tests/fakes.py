"""In-memory fakes of registration's ports (service/ports.py), for use-case tests that run in milliseconds."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from registration.domain.model import Delegate, Programme, Workshop
from registration.domain.places import Airport, Country, RetiredCode
from shared.contracts.envelope import Envelope


class FakeGazetteer:
    """The reference tables of registration's place rules (domain/places.py), with the few places the tests use
    (the real ones, adapters/gazetteer.py, read airportsdata, pycountry and registration's CSVs)."""

    AIRPORTS = (
        Airport("GVA", "Geneva International Airport", "Geneva", "CH"),
        Airport("VIE", "Vienna International Airport", "Vienna", "AT"),
        Airport("BKK", "Suvarnabhumi Airport", "Bangkok", "TH"),
        Airport("MNL", "Ninoy Aquino International Airport", "Manila", "PH"),
        Airport("NBO", "Jomo Kenyatta International Airport", "Nairobi", "KE"),
        Airport("MBA", "Moi International Airport", "Mombasa", "KE"),
        Airport("DKR", "Blaise Diagne International Airport", "Dakar", "SN"),
        Airport("LIM", "Jorge Chavez International Airport", "Lima", "PE"),
        Airport("RMO", "Chisinau International Airport", "Chisinau", "MD"),
    )
    COUNTRIES = (
        *(Country("CH", "Switzerland"), Country("AT", "Austria"), Country("TH", "Thailand")),
        *(Country("PH", "Philippines"), Country("KE", "Kenya"), Country("SN", "Senegal"), Country("PE", "Peru")),
        *(Country("MD", "Moldova, Republic of"), Country("GR", "Greece")),
    )
    RETIRED = (RetiredCode("KIV", "RMO", "Chisinau", date(2020, 1, 1), "test table"),)

    def airport(self, code: str) -> Airport | None:
        return next((a for a in self.AIRPORTS if a.code == code), None)

    def retired(self, code: str) -> RetiredCode | None:
        return next((r for r in self.RETIRED if r.code == code), None)

    def airports_in(self, country: str) -> Sequence[Airport]:
        return [a for a in self.AIRPORTS if a.country == country]

    def country(self, text: str) -> Country | None:
        typed = text.strip().casefold()
        return next((c for c in self.COUNTRIES if typed in (c.code.casefold(), c.name.casefold())), None)

    def countries_like(self, text: str) -> Sequence[Country]:
        return [c for c in self.COUNTRIES if text.strip().casefold() in c.name.casefold()]


GAZETTEER = FakeGazetteer()


class FakeRepository:
    """Registration's repository as dictionaries; `published` records each `publish(topic, envelope)` call.

    The PostgreSQL adapter upserts whole rows by key and adds outbox rows in the same transaction: a save here
    replaces the entry, a publish appends.
    """

    def __init__(self) -> None:
        self.workshops: dict[str, Workshop] = {}
        self.delegates: dict[str, Delegate] = {}
        self.programmes: dict[int, Programme] = {}
        self.published: list[tuple[str, Envelope]] = []
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)  # the service's clock

    async def workshop(self, workshop_id: str) -> Workshop | None:
        return self.workshops.get(workshop_id)

    async def save_workshop(self, workshop: Workshop) -> None:
        self.workshops[workshop.workshop_id] = workshop

    async def delegate(self, ref: str) -> Delegate | None:
        return self.delegates.get(ref)

    async def save_delegate(self, delegate: Delegate) -> None:
        self.delegates[delegate.ref] = delegate

    async def approved_count(self, workshop_id: str) -> int:
        return sum(1 for d in self.delegates.values() if (d.workshop_id, d.approval) == (workshop_id, "approved"))

    async def waitlisted(self, workshop_id: str) -> list[Delegate]:
        return [d for d in self.delegates.values() if (d.workshop_id, d.approval) == (workshop_id, "waitlisted")]

    async def programme(self, year: int) -> Programme | None:
        return self.programmes.get(year)

    async def save_programme(self, programme: Programme) -> None:
        self.programmes[programme.year] = programme

    async def publish(self, topic: str, envelope: Envelope) -> None:
        self.published.append((topic, envelope))

    def now(self) -> datetime:
        return self.clock()

    def payloads(self, event_type: str | None = None) -> list[dict[str, Any]]:
        """What was published, oldest first (of one event type, when given)."""
        return [e.payload for _, e in self.published if event_type is None or e.event_type == event_type]

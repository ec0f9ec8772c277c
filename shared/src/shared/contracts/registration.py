"""Commands registration accepts and events it publishes."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import EmailStr, Field

from shared.contracts.envelope import Contract

Role = Literal["speaker", "official", "observer"]
Language = Literal["en", "fr", "es"]
IATA = Field(pattern=r"^[A-Z]{3}$")
COUNTRY = Field(pattern=r"^[A-Z]{2}$")
# Identifiers travel in Kafka keys, Message-IDs and URLs: letters, digits, dot, dash, underscore.
IDENTIFIER = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"


class ScheduleWorkshop(Contract):
    """Create a workshop, or update it (idempotent by id)."""

    TYPE = "registration.schedule_workshop"
    workshop_id: str = Field(pattern=IDENTIFIER)
    title: str = Field(min_length=1, max_length=300)
    year: int = Field(ge=2000, le=2100)
    city: str = Field(min_length=1, max_length=100)
    country: str = COUNTRY
    airport: str = IATA
    starts: date
    ends: date
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    minimum_sponsored: int = Field(default=0, ge=0)
    # The date the system treats as today for this workshop (replays of past workshops); None: the real date.
    as_of: date | None = None


class RegisterDelegate(Contract):
    """Register a delegate for a workshop, or update the registration (idempotent by ref)."""

    TYPE = "registration.register_delegate"
    ref: str = Field(pattern=IDENTIFIER)
    workshop_id: str = Field(pattern=IDENTIFIER)
    given_name: str = Field(min_length=1, max_length=100)
    family_name: str = Field(min_length=1, max_length=100)
    email: EmailStr
    country: str = COUNTRY
    role: Role
    language: Language
    home_airport: str = IATA
    sponsorship: Literal["requested", "none"]


class WorkshopScheduled(Contract):
    """The workshop's current facts; `revision` grows with every change, `venue_version` with venue changes."""

    TYPE = "registration.workshop_scheduled"
    workshop_id: str
    title: str
    year: int
    city: str
    country: str
    airport: str
    starts: date
    ends: date
    currency: str
    status: Literal["scheduled", "confirmed", "postponed", "deferred", "cancelled"]
    venue_version: int
    revision: int
    minimum_sponsored: int = 0
    as_of: date | None = None


class DelegateRegistered(Contract):
    """A delegate's current registration (carries contact details: consumers must not log them)."""

    TYPE = "registration.delegate_registered"
    ref: str
    workshop_id: str
    given_name: str
    family_name: str
    email: str
    country: str
    role: Role
    language: Language
    home_airport: str
    sponsorship: Literal["requested", "none"]
    revision: int


class RegistrationCommandRefused(Contract):
    TYPE = "registration.command_refused"
    command_id: str
    command_type: str
    reason: str

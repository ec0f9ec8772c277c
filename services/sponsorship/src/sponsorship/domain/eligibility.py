"""Which countries' officials may be sponsored: a dated list, and staff overrides with their reasons."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class EligibleCountry:
    code: str  # ISO 3166-1 alpha-2
    name: str
    category: str  # developing | transition


@dataclass(frozen=True)
class EligibilityList:
    source: str
    effective: date
    countries: Mapping[str, EligibleCountry] = field(default_factory=dict)

    def refusal(self, country: str, *, overridden: bool = False) -> str | None:
        """Why a request from `country` is refused, or None when it may be considered."""
        if overridden or country in self.countries:
            return None
        return (
            f"country {country} is not on the list of eligible countries effective {self.effective.isoformat()}"
            f" ({self.source})"
        )

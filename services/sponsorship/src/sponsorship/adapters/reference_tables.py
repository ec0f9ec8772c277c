"""Shipped, dated reference tables (eligible countries, subsistence rates), read once at start-up.

Each CSV may open with `#` comment lines; `# key: value` lines among them carry its metadata.
"""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pycountry

from sponsorship.domain.costs import SubsistenceRate, SubsistenceTable
from sponsorship.domain.eligibility import EligibilityList, EligibleCountry

DATA = Path(__file__).resolve().parents[1] / "data"
ELIGIBLE_COUNTRIES = DATA / "eligible_countries.csv"
SUBSISTENCE_RATES = DATA / "subsistence_rates.csv"


def read_table(path: Path) -> tuple[dict[str, str], list[dict[str, str]]]:
    """Metadata from the leading comments, and the rows as dictionaries."""
    lines = path.read_text(encoding="utf-8").splitlines()
    metadata: dict[str, str] = {}
    body = []
    for line in lines:
        if line.startswith("#"):
            key, colon, value = line.lstrip("# ").partition(":")
            if colon and key.strip().isidentifier():
                metadata[key.strip()] = value.strip()
        elif line.strip():
            body.append(line)
    return metadata, list(csv.DictReader(body))


def load_eligibility(path: Path = ELIGIBLE_COUNTRIES) -> EligibilityList:
    metadata, rows = read_table(path)
    for key in ("source", "effective"):
        if key not in metadata:
            raise ValueError(f'{path.name}: the "# {key}:" line is missing')
    countries = {}
    for number, row in enumerate(rows, start=2):
        if row["category"] not in ("developing", "transition"):
            raise ValueError(f'{path.name}, row {number}: category "{row["category"]}" is not developing or transition')
        countries[row["code"]] = EligibleCountry(row["code"], row["name"], row["category"])
    return EligibilityList(metadata["source"], date.fromisoformat(metadata["effective"]), countries)


def load_subsistence_rates(path: Path = SUBSISTENCE_RATES) -> SubsistenceTable:
    """The dated table; each row says where its figure comes from (`source`, else the file's `# source:`)."""
    metadata, rows = read_table(path)
    rates = []
    for number, row in enumerate(rows, start=2):
        try:
            rate = Decimal(row["rate_per_night"])
        except InvalidOperation:
            raise ValueError(f'{path.name}, row {number}: "{row["rate_per_night"]}" is not an amount') from None
        if rate < 0:
            raise ValueError(f"{path.name}, row {number}: a rate cannot be negative")
        source = (row.get("source") or "").strip() or metadata.get("source")
        effective = date.fromisoformat(row["effective_from"])
        rates.append(SubsistenceRate(row["city"], row["currency"], rate, effective, source))
    return SubsistenceTable(rates)


def currency_codes() -> frozenset[str]:
    """ISO 4217 currency codes (pycountry's copy of the standard)."""
    return frozenset(currency.alpha_3 for currency in pycountry.currencies)

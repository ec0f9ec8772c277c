"""E-mail bodies from Jinja2 templates, one folder per language, with dates, times and money formatted by Babel.

Each language folder holds the same files: a text template per kind, `layout.html.j2` (the HTML part),
`subjects.txt` (one subject per kind), `letter.txt.j2` (the invitation letter, one block per part of the page),
`labels.txt` (the Babel locale, the names of cost lines and the words of the calendar file) and `cities.txt`
(venue cities as the language writes them: `Geneva=Genève`). All wording lives there; a language without a
folder falls back to English.
Country names come from Babel (CLDR) in the letter's locale.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_date, format_datetime, get_timezone
from babel.numbers import format_currency
from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape
from jinja2.runtime import Context

from notifications.adapters.letter import FONT_DIR, LetterParts, invitation_pdf
from notifications.domain.mail import Rendered

TEMPLATES = Path(__file__).with_name("templates")
FALLBACK = "en"


def read_pairs(path: Path) -> dict[str, str]:
    """`key=value` lines; blank lines and lines starting with # are ignored."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))


@pass_context
def date_filter(context: Context, value: str | date, format: str = "long") -> str:
    """A date (ISO string or date) in the delegate's locale: `format` is a Babel width or a CLDR pattern."""
    day = value if isinstance(value, date) else date.fromisoformat(value)
    return format_date(day, format, locale=context["locale"])


@pass_context
def datetime_filter(context: Context, value: str | datetime, zone: str, format: str = "medium") -> str:
    """An instant shown as the wall-clock time of `zone` (the airport's own time zone), in the locale."""
    instant = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return format_datetime(instant, format, tzinfo=get_timezone(zone), locale=context["locale"])


@pass_context
def money_filter(context: Context, amount: str | Decimal, currency: str) -> str:
    """An amount (a Decimal, or its JSON string) with its currency, in the locale."""
    return format_currency(Decimal(str(amount)), currency, locale=context["locale"])


@pass_context
def city_filter(context: Context, name: str) -> str:
    """A city's name in the e-mail's language (cities.txt); as registration has it when the table lacks it."""
    cities: dict[str, str] = context["cities"]
    return cities.get(name, name)


@pass_context
def country_filter(context: Context, code: str) -> str:
    """An ISO 3166 alpha-2 code as the country's name in the locale (CLDR); the code itself when unknown."""
    name = Locale.parse(context["locale"]).territories.get(code)
    return str(name) if name else code


@dataclass(frozen=True)
class LetterSettings:
    """What configuration says about the invitation letter: the signature block and the place of issue."""

    signatory: str = ""  # empty: the unit's name in the letter's language
    signatory_title: str = ""
    place: str = "Geneva"  # shown in the letter's language when labels.txt knows it
    office: str = "17 route des Morillons, CH-1211 Geneva 19, Switzerland"
    font_dir: Path = FONT_DIR


class TemplateRenderer:
    def __init__(self, templates: Path = TEMPLATES, letter: LetterSettings | None = None) -> None:
        self.templates = templates
        self.letter_settings = letter or LetterSettings()
        self.environment = Environment(
            loader=FileSystemLoader(templates),
            undefined=StrictUndefined,
            autoescape=select_autoescape(["html.j2"]),
            keep_trailing_newline=True,
        )
        self.environment.filters["date"] = date_filter
        self.environment.filters["datetime"] = datetime_filter
        self.environment.filters["money"] = money_filter
        self.environment.filters["city"] = city_filter
        self.environment.filters["country"] = country_filter

    def languages(self) -> list[str]:
        return sorted(path.name for path in self.templates.iterdir() if path.is_dir())

    def language(self, wanted: str) -> str:
        """The language the e-mail is written in: the one wanted when its templates exist, else English."""
        return wanted if (self.templates / wanted).is_dir() else FALLBACK

    def subjects(self, language: str) -> dict[str, str]:
        return read_pairs(self.templates / self.language(language) / "subjects.txt")

    def labels(self, language: str) -> dict[str, str]:
        return read_pairs(self.templates / self.language(language) / "labels.txt")

    def cities(self, language: str) -> dict[str, str]:
        return read_pairs(self.templates / self.language(language) / "cities.txt")

    def render(self, kind: str, language: str, context: dict[str, Any]) -> Rendered:
        language = self.language(language)
        labels, cities = self.labels(language), self.cities(language)
        context = {
            "reply": None,
            "place": None,
            **context,
            "labels": labels,
            "locale": labels["locale"],
            "cities": cities,
        }
        workshop = context["workshop"] or {}
        if "city" in workshop:
            workshop = {**workshop, "city": cities.get(workshop["city"], workshop["city"])}
        subject = self.subjects(language)[kind].format(**workshop, version=context.get("version"))
        text = self.environment.get_template(f"{language}/{kind}.txt.j2").render(context)
        if context.get("reply"):  # the official's personal link, after the e-mail's own text
            link, until = context["reply"]
            text += (
                "\n" + labels["reply"].format(until=format_date(until, "long", locale=labels["locale"])) + f"\n{link}\n"
            )
        html = self.environment.get_template(f"{language}/layout.html.j2").render(context, subject=subject, text=text)
        return Rendered(subject, text, html)

    def letter(self, language: str, context: dict[str, Any]) -> bytes:
        """The invitation letter for a visa application (`letter.txt.j2`, block by block) as a PDF, dated
        `context["issued"]` (the decision's day)."""
        language = self.language(language)
        labels = self.labels(language)
        letter = {key: value for key, value in asdict(self.letter_settings).items() if key != "font_dir"}
        context = {
            **context,
            "labels": labels,
            "locale": labels["locale"],
            "cities": self.cities(language),
            "letter": letter,
        }
        template = self.environment.get_template(f"{language}/letter.txt.j2")
        blocks = template.new_context(context)
        parts = {name: "".join(render(blocks)) for name, render in template.blocks.items()}
        return invitation_pdf(LetterParts(**parts), context["issued"], self.letter_settings.font_dir)

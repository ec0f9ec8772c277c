"""E-mail bodies from Jinja2 templates, one folder per language, with dates, times and money formatted by Babel.

Each language folder holds the same files: a text template per kind, `layout.html.j2` (the HTML part),
`subjects.txt` (one subject per kind) and `labels.txt` (the Babel locale, the names of cost lines and the
words of the calendar file). All wording lives there; a language without a folder falls back to English.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from babel.dates import format_date, format_datetime, get_timezone
from babel.numbers import format_currency
from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape
from jinja2.runtime import Context

from notifications.adapters.letter import invitation_pdf
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


class TemplateRenderer:
    def __init__(self, templates: Path = TEMPLATES) -> None:
        self.templates = templates
        self.environment = Environment(
            loader=FileSystemLoader(templates),
            undefined=StrictUndefined,
            autoescape=select_autoescape(["html.j2"]),
            keep_trailing_newline=True,
        )
        self.environment.filters["date"] = date_filter
        self.environment.filters["datetime"] = datetime_filter
        self.environment.filters["money"] = money_filter

    def languages(self) -> list[str]:
        return sorted(path.name for path in self.templates.iterdir() if path.is_dir())

    def language(self, wanted: str) -> str:
        """The language the e-mail is written in: the one wanted when its templates exist, else English."""
        return wanted if (self.templates / wanted).is_dir() else FALLBACK

    def subjects(self, language: str) -> dict[str, str]:
        return read_pairs(self.templates / self.language(language) / "subjects.txt")

    def labels(self, language: str) -> dict[str, str]:
        return read_pairs(self.templates / self.language(language) / "labels.txt")

    def render(self, kind: str, language: str, context: dict[str, Any]) -> Rendered:
        language = self.language(language)
        labels = self.labels(language)
        context = {**context, "labels": labels, "locale": labels["locale"]}
        subject = self.subjects(language)[kind].format(**(context["workshop"] or {}), version=context.get("version"))
        text = self.environment.get_template(f"{language}/{kind}.txt.j2").render(context)
        html = self.environment.get_template(f"{language}/layout.html.j2").render(context, subject=subject, text=text)
        return Rendered(subject, text, html)

    def letter(self, language: str, context: dict[str, Any]) -> bytes:
        """The invitation letter for a visa application (`letter.txt.j2`) as a PDF, dated `context["issued"]`."""
        language = self.language(language)
        labels = self.labels(language)
        context = {**context, "labels": labels, "locale": labels["locale"]}
        text = self.environment.get_template(f"{language}/letter.txt.j2").render(context)
        return invitation_pdf(text, context["issued"])

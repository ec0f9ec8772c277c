"""E-mail bodies from Jinja2 templates, one folder per language."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from notifications.domain.mail import Rendered

TEMPLATES = Path(__file__).with_name("templates")
LINE_NAMES = {
    "airfare": "Return economy airfare",
    "subsistence": "Daily subsistence allowance",
    "terminal": "Terminal expenses",
}


def localtime(value: str) -> str:
    return datetime.fromisoformat(value).strftime("%a %d %b %Y %H:%M")


class TemplateRenderer:
    def __init__(self) -> None:
        self.environment = Environment(
            loader=FileSystemLoader(TEMPLATES),
            undefined=StrictUndefined,
            autoescape=select_autoescape(["html.j2"]),
            keep_trailing_newline=True,
        )
        self.environment.filters["localtime"] = localtime

    def subjects(self, language: str) -> dict[str, str]:
        lines = (TEMPLATES / language / "subjects.txt").read_text().splitlines()
        return dict(line.split("=", 1) for line in lines if "=" in line)

    def render(self, kind: str, language: str, context: dict[str, Any]) -> Rendered:
        language = language if (TEMPLATES / language).is_dir() else "en"
        workshop = context["workshop"]
        subject = self.subjects(language)[kind].format(**workshop)
        text = self.environment.get_template(f"{language}/{kind}.txt.j2").render(**context, line_names=LINE_NAMES)
        html = self.environment.get_template(f"{language}/layout.html.j2").render(**context, subject=subject, text=text)
        return Rendered(subject, text, html)

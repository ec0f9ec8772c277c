"""The invitation letter for visa applications as a PDF (fpdf2): the letter's text, already rendered in the
delegate's language, laid out on one A4 page. Core PDF fonts cover Latin-1, which holds English, French and
Spanish; any other character is written without its accents, or as "?" when it has no Latin-1 form."""

from __future__ import annotations

import unicodedata
from datetime import datetime

from fpdf import FPDF

# Babel writes French and Spanish amounts with narrow or thin no-break spaces: Latin-1 has the plain one.
SPACES = {"\u202f": "\u00a0", "\u2009": " ", "\u2013": "-", "\u2014": "-", "\u2019": "'", "\u2026": "..."}


def latin1(text: str) -> str:
    def one(character: str) -> str:
        character = SPACES.get(character, character)
        if ord(character) < 256:
            return character
        plain = "".join(c for c in unicodedata.normalize("NFKD", character) if not unicodedata.combining(c))
        return plain if plain and all(ord(c) < 256 for c in plain) else "?"

    return "".join(one(character) for character in text)


def invitation_pdf(text: str, issued: datetime) -> bytes:
    """The first line is the letter's title, the second its letterhead; paragraphs are separated by blank lines."""
    title, letterhead, body = [*text.split("\n", 2), "", ""][:3]
    pdf = FPDF(format="A4")
    pdf.set_creation_date(issued)  # the same letter version gives the same document
    pdf.set_title(latin1(title))
    pdf.set_author("International Organization for Migration")
    pdf.set_margins(22, 20, 22)
    pdf.add_page()
    pdf.set_font("Helvetica", size=9)
    pdf.multi_cell(0, 5, latin1(letterhead), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("Helvetica", style="B", size=13)
    pdf.multi_cell(0, 7, latin1(title), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("Helvetica", size=11)
    for paragraph in body.strip("\n").split("\n\n"):
        pdf.multi_cell(0, 6, latin1(paragraph), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
    return bytes(pdf.output())

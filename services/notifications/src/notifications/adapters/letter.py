"""The invitation letter for visa applications as a PDF (fpdf2), laid out on A4 like the official document it is:
letterhead, place and date, reference, the person concerned, title, flowing paragraphs, signature block.

The text comes already rendered in the delegate's language, one part per block of `letter.txt.j2`. It is set in
DejaVu Sans (Debian's fonts-dejavu-core, embedded and subset), which covers Latin with every diacritic, Greek,
Cyrillic, Arabic and Vietnamese; with uharfbuzz installed, text is shaped (Arabic letters joined, right-to-left
runs ordered), so a name prints as it is written, in any of those scripts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path

from fpdf import FPDF

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
FAMILY = "DejaVu"
GREY = (90, 90, 90)


class FontMissing(Exception):
    """The letter's font is not installed: a step of the install was skipped."""


@dataclass(frozen=True)
class LetterParts:
    """The blocks of `letter.txt.j2`, rendered. In `body`, paragraphs are separated by blank lines and the lines
    of a paragraph flow together unless they start with "- " or two spaces (list items, kept as lines); the other
    blocks are printed line by line."""

    title: str
    letterhead: str  # first line: the organisation; the others: unit and address
    dateline: str
    reference: str
    person: str
    body: str
    signature: str


def flowing(paragraph: str) -> str:
    """A paragraph as the page should wrap it: the template's line breaks dropped, list items kept on their own
    lines (so a sentence never breaks where the template's source happened to)."""
    lines: list[str] = []
    for raw in paragraph.splitlines():
        line = raw.strip()
        if not line:
            continue
        if raw.startswith(("  ", "- ")) or not lines:
            lines.append(line)
        else:
            lines[-1] = f"{lines[-1]} {line}"
    return "\n".join(lines)


def paragraphs(text: str) -> list[str]:
    return [flowing(block) for block in text.strip("\n").split("\n\n") if block.strip()]


def lines_of(text: str) -> str:
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


def shaping_available() -> bool:
    try:
        import uharfbuzz  # noqa: F401
    except ImportError:
        return False
    return True


def invitation_pdf(parts: LetterParts, dated: date, font_dir: Path = FONT_DIR) -> bytes:
    """The letter as PDF bytes. The document's creation date is the letter's own date: the same letter version
    gives the same bytes."""
    pdf = FPDF(format="A4")
    for style, name in FONT_FILES.items():
        path = font_dir / name
        if not path.is_file():
            raise FontMissing(f"{path} is missing: install Debian's fonts-dejavu-core (deploy/local/stack.sh install)")
        pdf.add_font(FAMILY, style, str(path))
    if shaping_available():
        pdf.set_text_shaping(True)
    pdf.set_creation_date(datetime.combine(dated, time(), UTC))
    pdf.set_title(parts.title)
    pdf.set_author("International Organization for Migration")
    pdf.set_margins(22, 18, 22)
    pdf.set_auto_page_break(True, margin=18)
    pdf.add_page()

    organisation, _, rest = parts.letterhead.strip().partition("\n")
    pdf.set_font(FAMILY, "B", 12)
    pdf.multi_cell(0, 6, organisation, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, "", 8.5)
    pdf.set_text_color(*GREY)
    pdf.multi_cell(0, 4.2, lines_of(rest), new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.ln(2)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.ln(5)

    pdf.set_font(FAMILY, "", 10)
    pdf.multi_cell(0, 5, parts.dateline.strip(), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(0, 5, parts.reference.strip(), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.multi_cell(0, 5.2, lines_of(parts.person), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(5)

    pdf.set_font(FAMILY, "B", 13)
    pdf.multi_cell(0, 7, parts.title.strip(), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font(FAMILY, "", 10.5)
    for block in paragraphs(parts.body):
        pdf.multi_cell(0, 5.6, block, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2.5)

    pdf.ln(12)  # room for the signature and stamp
    pdf.multi_cell(0, 5.2, lines_of(parts.signature), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())

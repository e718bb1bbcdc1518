"""The DOCX: the synthesis as a Word document, French, with logos described."""

import io
import re

import docx
import docx.shared
from docx.enum.text import WD_BREAK
from docx.oxml.ns import qn
from PIL import Image

from atelier import markup

from ..models import Synthesis
from .content import (
    QUOTE_GLYPH,
    SECTION_GLYPH,
    Partner,
    date_line,
    load_content,
    parts,
    quotes_heading,
    revision_line,
    round_heading,
)

DOCX_LOGO_HEIGHT_CM = 2.0
DOCX_LOGO_MAX_WIDTH_CM = 6.0

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def render_docx(synthesis: Synthesis) -> bytes:
    content = load_content(synthesis, with_logos=True)
    workshop = content.workshop
    document = docx.Document()
    _set_french(document)
    properties = document.core_properties
    properties.title = workshop.title
    properties.language = "fr-FR"
    properties.author = ", ".join(p.name for p in content.carriers)

    document.add_heading(_clean(workshop.title), level=0)
    document.add_paragraph().add_run(date_line(workshop)).bold = True
    document.add_paragraph(revision_line(synthesis))
    if synthesis.intro:
        _add_markup(document, synthesis.intro)
    for number, sections in parts(content.sections):
        if number is not None:
            document.add_heading(round_heading(number), level=1)
        for section in sections:
            document.add_heading(f"{SECTION_GLYPH} {_clean(section.title)}", level=2)
            statements, quote_groups = section.parts()
            for statement in statements:
                _add_markup(document, statement.text)
            for actor_type, quotes in quote_groups:
                document.add_heading(quotes_heading(actor_type), level=3)
                for quote in quotes:
                    _add_quote(document, quote.text)
    for title, partners in (
        ("Une initiative portée par", content.carriers),
        ("Avec le soutien de", content.supporters),
    ):
        if partners:
            document.add_heading(title, level=2)
            for partner in partners:
                _add_partner(document, partner)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _set_french(document) -> None:
    """Declare the text French, so Word checks spelling and hyphenates in French."""
    run_properties = document.styles["Normal"].element.get_or_add_rPr()
    lang = run_properties.find(qn("w:lang"))
    if lang is None:
        lang = run_properties.makeelement(qn("w:lang"), {})
        run_properties.append(lang)
    lang.set(qn("w:val"), "fr-FR")


def _clean(text: str) -> str:
    """Word refuses control characters in its XML."""
    return _CONTROL.sub("", text)


def _add_markup(document, text: str) -> None:
    """Paragraphs of the light markup: bold/italic runs, bullets by depth.

    Reads the markup's own markdown-it tokens, so **…** means in Word exactly
    what it means on the web page."""
    depth = 0
    for token in markup._md.parse(text or ""):
        if token.type in ("bullet_list_open", "ordered_list_open"):
            depth += 1
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            depth -= 1
        elif token.type == "inline":
            _add_runs(document.add_paragraph(style=_bullet_style(depth)), token.children or [])


def _bullet_style(depth: int) -> str | None:
    """python-docx's default template has List Bullet, List Bullet 2 and 3."""
    if depth == 0:
        return None
    return "List Bullet" if depth == 1 else f"List Bullet {min(3, depth)}"


def _add_runs(paragraph, children, *, italic: bool = False) -> None:
    bold_level = italic_level = 0
    for child in children:
        if child.type == "strong_open":
            bold_level += 1
        elif child.type == "strong_close":
            bold_level -= 1
        elif child.type == "em_open":
            italic_level += 1
        elif child.type == "em_close":
            italic_level -= 1
        elif child.type in ("softbreak", "hardbreak"):
            paragraph.add_run().add_break(WD_BREAK.LINE)
        elif child.content:
            run = paragraph.add_run(_clean(child.content))
            run.bold = bold_level > 0 or None
            run.italic = italic or italic_level > 0 or None


def _add_quote(document, text: str) -> None:
    paragraph = document.add_paragraph()
    paragraph.paragraph_format.left_indent = docx.shared.Cm(0.75)
    paragraph.add_run(f"{QUOTE_GLYPH} ")
    paragraph.add_run("«\u00a0").italic = True
    _add_runs(paragraph, markup._md.parseInline(text or "")[0].children or [], italic=True)
    paragraph.add_run("\u00a0»").italic = True


def _add_partner(document, partner: Partner) -> None:
    if partner.png is None:
        document.add_paragraph().add_run(_clean(partner.name)).bold = True
        return
    with Image.open(io.BytesIO(partner.png)) as image:
        ratio = image.width / image.height
    height = DOCX_LOGO_HEIGHT_CM
    width = min(DOCX_LOGO_MAX_WIDTH_CM, height * ratio)
    shape = document.add_picture(
        io.BytesIO(partner.png), width=docx.shared.Cm(width), height=docx.shared.Cm(width / ratio)
    )
    # The alternative text screen readers announce.
    shape._inline.docPr.set("descr", _clean(partner.name))

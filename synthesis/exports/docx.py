"""The DOCX: the synthesis as a Word document, French, with logos described.

Word furniture a coordination expects of a document it sends: the short title
in the page header, "page X / Y" in the footer (Word's PAGE and NUMPAGES
fields, which Word and LibreOffice update), the title block of the reference
document, real heading and list styles, the partners' logos in two labelled
rows, the revision in a colophon at the end, and document properties (title,
author, language fr-FR). Typography comes from atelier/lib/typography.py.
"""

import io
import re
from functools import lru_cache

import docx
import docx.shared
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from PIL import Image, ImageDraw

from atelier import markup
from atelier.lib.typography import french, quoted

from ..models import Synthesis
from .content import (
    CARRIERS_HEADING,
    SECTION_GLYPH,
    SUPPORTERS_HEADING,
    Content,
    Partner,
    date_line,
    format_line,
    load_content,
    parts,
    quotes_heading,
    revision_line,
    round_heading,
    short_title,
)

DOCX_LOGO_HEIGHT_CM = 1.5
DOCX_LOGO_MAX_WIDTH_CM = 5.0
QUOTE_MARK_CM = 0.35
GREY = docx.shared.RGBColor(0x55, 0x55, 0x55)

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def render_docx(synthesis: Synthesis) -> bytes:
    content = load_content(synthesis, with_logos=True)
    workshop = content.workshop
    document = docx.Document()
    _set_french(document)
    _set_properties(document, content)
    _add_furniture(document, short_title(workshop))

    # The title block of the reference document; the revision goes to the colophon.
    document.add_heading(_clean(french(workshop.title)), level=0)
    document.add_paragraph().add_run(date_line(workshop)).bold = True
    if line := format_line(workshop):
        document.add_paragraph().add_run(line.upper()).bold = True
    if synthesis.intro:
        _add_markup(document, synthesis.intro)
    for number, sections in parts(content.sections):
        if number is not None:
            document.add_heading(french(round_heading(number)), level=1)
        for section in sections:
            document.add_heading(f"{SECTION_GLYPH} {_clean(french(section.title))}", level=2)
            statements, quote_groups = section.parts()
            for statement in statements:
                _add_markup(document, statement.text)
            for actor_type, quotes in quote_groups:
                document.add_heading(french(quotes_heading(actor_type)), level=3)
                for quote in quotes:
                    _add_quote(document, quote.text)
    for title, partners in (
        (CARRIERS_HEADING, content.carriers),
        (SUPPORTERS_HEADING, content.supporters),
    ):
        if partners:
            document.add_heading(title, level=2)
            _add_partners(document, partners)
    colophon = document.add_paragraph().add_run(revision_line(synthesis))
    colophon.font.size = docx.shared.Pt(8)
    colophon.font.color.rgb = GREY
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _set_properties(document, content: Content) -> None:
    properties = document.core_properties
    workshop, synthesis = content.workshop, content.synthesis
    # The coordination that carries the workshop signs the document.
    author = ", ".join(p.name for p in content.carriers) or "Coordination nationale"
    properties.title = _clean(workshop.title)
    properties.subject = "Synthèse de l'atelier"
    properties.author = _clean(author)
    properties.last_modified_by = _clean(author)
    properties.language = "fr-FR"
    properties.revision = synthesis.revision
    properties.comments = revision_line(synthesis)
    if synthesis.published_at:
        properties.created = properties.modified = synthesis.published_at


def _add_furniture(document, title: str) -> None:
    """The short title in the header, 'page X / Y' in the footer, on every page."""
    section = document.sections[0]
    header = section.header.paragraphs[0]
    header.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _small(header.add_run(_clean(french(title))))
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _small(footer.add_run("page "))
    _field(footer, "PAGE", "1")
    _small(footer.add_run(" / "))
    _field(footer, "NUMPAGES", "1")


def _field(paragraph, instruction: str, placeholder: str) -> None:
    """A Word field (PAGE, NUMPAGES): begin, instruction, separate, value, end."""
    for kind, text in (
        ("begin", None),
        ("instr", instruction),
        ("separate", None),
        ("value", placeholder),
        ("end", None),
    ):
        run = _small(paragraph.add_run())
        if kind == "instr":
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = f" {text} "
        elif kind == "value":
            run.text = text
            continue
        else:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
            if kind == "begin":
                element.set(qn("w:dirty"), "true")  # Word recomputes it on opening
        run._r.append(element)


def _small(run):
    run.font.size = docx.shared.Pt(8)
    run.font.color.rgb = GREY
    return run


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
    for token in markup._md.parse(french(text or "")):
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
    # A hanging indent: wrapped lines align after the pictogram.
    paragraph.paragraph_format.left_indent = docx.shared.Cm(1.25)
    paragraph.paragraph_format.first_line_indent = docx.shared.Cm(-0.5)
    mark = paragraph.add_run().add_picture(
        io.BytesIO(_quote_mark_png()), height=docx.shared.Cm(QUOTE_MARK_CM)
    )
    mark._inline.docPr.set("descr", "Citation")
    paragraph.add_run("\u00a0")
    _add_runs(paragraph, markup._md.parseInline(quoted(text))[0].children or [], italic=True)


@lru_cache(maxsize=1)
def _quote_mark_png() -> bytes:
    """The speech bubble of the page and the PDF (quote_mark.html), drawn once."""
    scale = 8
    image = Image.new("RGBA", (16 * scale, 16 * scale), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    ink, width = (68, 68, 68, 255), int(1.4 * scale)
    draw.rounded_rectangle(
        (1 * scale, 1.5 * scale, 15 * scale, 11.5 * scale),
        radius=2 * scale,
        outline=ink,
        width=width,
    )
    draw.polygon(
        [(3.6 * scale, 11 * scale), (3.6 * scale, 14.6 * scale), (7.6 * scale, 11 * scale)],
        fill=ink,
    )
    draw.line((4.5 * scale, 5 * scale, 11.5 * scale, 5 * scale), fill=ink, width=int(1.2 * scale))
    draw.line((4.5 * scale, 8 * scale, 9.5 * scale, 8 * scale), fill=ink, width=int(1.2 * scale))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _add_partners(document, partners: list[Partner]) -> None:
    """One row: the logos at one height, or the name where there is none."""
    paragraph = document.add_paragraph()
    for index, partner in enumerate(partners):
        if index:
            paragraph.add_run("\u2003\u2003")
        if partner.png is None:
            paragraph.add_run(_clean(partner.name)).bold = True
            continue
        width, height = partner.size
        logo_width = min(DOCX_LOGO_MAX_WIDTH_CM, DOCX_LOGO_HEIGHT_CM * width / height)
        shape = paragraph.add_run().add_picture(
            io.BytesIO(partner.png),
            width=docx.shared.Cm(logo_width),
            height=docx.shared.Cm(logo_width * height / width),
        )
        # The alternative text screen readers announce.
        shape._inline.docPr.set("descr", _clean(partner.name))

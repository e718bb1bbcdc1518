"""Turn one revision of a synthesis into a file: PDF, DOCX, Markdown, CSV, JSON.

Plain functions from a `Synthesis` to bytes, so the export job, a management
command or a test call them alike. Every failure the user can act on (a
corrupt logo, an unknown format, a document too big to lay out) comes out as
an `ExportError` carrying a French message; anything else is a bug and
propagates.

The PDF is laid out by WeasyPrint from templates/synthesis/print.html and
static/css/print.css. Its URL fetcher fetches nothing but `data:` URIs and our
own static files: the synthesis text cannot carry HTML (the markup escapes it),
and even if it could, nothing would be fetched from the network or the disk.
"""

import base64
import binascii
import csv
import io
import json
import os
import re
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib import parse, request

import docx
import docx.shared
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.db.models import Count, Prefetch
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from docx.enum.text import WD_BREAK
from docx.oxml.ns import qn
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError
from weasyprint import CSS, HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from atelier import markup
from atelier.models import ActorType, Contribution, Kind, Organisation, WorkingGroup, Workshop
from atelier.roster import safe_cell

from .models import Section, Statement, Synthesis

FORMATS: dict[str, tuple[str, str]] = {
    "pdf": ("application/pdf", "pdf"),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "docx",
    ),
    "md": ("text/markdown; charset=utf-8", "md"),
    "csv": ("text/csv; charset=utf-8", "csv"),
    "json": ("application/json", "json"),
}

PRINT_TEMPLATE = "synthesis/print.html"
PRINT_STYLESHEET = "css/print.css"
# PDF/UA-1: tagged PDF, document title shown by viewers, language declared.
PDF_VARIANT = "pdf/ua-1"

# Logos are re-read and re-encoded before they reach WeasyPrint or Word: only
# plain raster formats are opened (Pillow's EPS reader would run Ghostscript),
# and sizes are capped so a hostile upload cannot exhaust the worker.
LOGO_FORMATS = ("PNG", "JPEG", "GIF", "WEBP", "BMP")
LOGO_MAX_BYTES = 10 * 1024 * 1024
LOGO_MAX_PIXELS = 40_000_000
# 2 cm tall at 300 dpi is 236 px: this box keeps print quality for wide logos.
LOGO_BOX = (1200, 600)
DOCX_LOGO_HEIGHT_CM = 2.0
DOCX_LOGO_MAX_WIDTH_CM = 6.0

# Far beyond any real synthesis (the seed is ~10,000 characters, 5 pages) but small
# enough that WeasyPrint lays it out within the job's time limit.
MAX_PDF_CHARACTERS = 300_000

# What synthesis.importing accepts on a partner line.
MAX_ORGANISATION_LINE = 200

QUOTE_GLYPH = "☪"
SECTION_GLYPH = "►"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BLANK_LINES = re.compile(r"\n[ \t]*(?:\n[ \t]*)+")


class ExportError(Exception):
    """A failure the user can understand and fix; `message` is French."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


# --- Entry points -----------------------------------------------------------


def render(synthesis: Synthesis, fmt: str) -> bytes:
    """The revision as a file in format `fmt` (a key of FORMATS)."""
    # The synthesis is a French document whatever the language of the request
    # or worker: month names, headings and error messages stay French.
    with translation.override("fr"):
        renderer = RENDERERS.get(fmt)
        if renderer is None:
            raise ExportError(_("Format d'export inconnu : « %(format)s ».") % {"format": fmt})
        return renderer(synthesis)


def filename(synthesis: Synthesis, fmt: str) -> str:
    """'synthese-grand-atelier-atc-2021-r3.pdf'."""
    if fmt not in FORMATS:
        raise ExportError(_("Format d'export inconnu : « %(format)s ».") % {"format": fmt})
    extension = FORMATS[fmt][1]
    return f"synthese-{synthesis.workshop.slug}-r{synthesis.revision}.{extension}"


# --- What every format reads -------------------------------------------------


@dataclass
class Partner:
    name: str
    acronym: str
    png: bytes | None  # the logo, re-encoded; None: the name is shown instead

    @property
    def data_uri(self) -> str | None:
        if self.png is None:
            return None
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")


@dataclass
class Content:
    synthesis: Synthesis
    workshop: Workshop
    sections: list[Section]
    carriers: list[Partner]
    supporters: list[Partner]


def _sections(synthesis: Synthesis, *, with_sources: bool) -> list[Section]:
    """The sections with their statements in a fixed number of queries."""
    statements = Statement.objects.select_related("speaker_actor_type").order_by("order", "pk")
    if with_sources:
        # Deleted notes stay linked (nothing is ever unlinked) but were taken
        # back by their group: they are not published as open data.
        notes = (
            Contribution.objects.alive()
            .select_related("group__round", "group__actor_type", "speaker_actor_type")
            .order_by("group__round__order", "group__number", "pk")
        )
        statements = statements.prefetch_related(Prefetch("sources", queryset=notes))
    sections = synthesis.sections.select_related("round").prefetch_related(
        Prefetch("statements", queryset=statements)
    )
    return list(sections.order_by("order"))


def _content(synthesis: Synthesis, *, with_logos: bool) -> Content:
    workshop = synthesis.workshop
    return Content(
        synthesis=synthesis,
        workshop=workshop,
        sections=_sections(synthesis, with_sources=False),
        carriers=[_partner(org, with_logos) for org in workshop.carriers.all()],
        supporters=[_partner(org, with_logos) for org in workshop.supporters.all()],
    )


def _parts(sections: list[Section]) -> Iterator[tuple[int | None, list[Section]]]:
    """(round number, its sections) runs in section order, like {% regroup %}."""
    run: list[Section] = []
    current: int | None = None
    for section in sections:
        number = section.round.order if section.round else None
        if run and number != current:
            yield current, run
            run = []
        current = number
        run.append(section)
    if run:
        yield current, run


def _round_heading(number: int) -> str:
    # Not Round.label: the reference format says "TEMPS 1 :" in any language.
    return f"TEMPS {number} :"


def _quotes_heading(actor_type: ActorType | None) -> str:
    return f"{actor_type.quotes_heading} :" if actor_type else "Paroles d'acteurs :"


def _date_line(workshop: Workshop) -> str:
    """'29 JANVIER 2021', as the reference document (and the importer) has it."""
    return date_format(workshop.date, "j F Y").upper()


def _revision_line(synthesis: Synthesis) -> str:
    if synthesis.published_at:
        return _("Révision %(rev)s, publiée le %(date)s") % {
            "rev": synthesis.revision,
            "date": date_format(timezone.localtime(synthesis.published_at), "j F Y"),
        }
    return _("Révision %(rev)s (%(status)s)") % {
        "rev": synthesis.revision,
        "status": synthesis.get_status_display().lower(),
    }


# --- Logos ------------------------------------------------------------------


def _partner(org: Organisation, with_logo: bool) -> Partner:
    png = _logo_png(org) if with_logo and org.logo else None
    return Partner(name=org.name, acronym=org.acronym, png=png)


_decoding_lock = threading.Lock()


@contextmanager
def _strict_decoding() -> Iterator[None]:
    """Decode with truncated files refused. Importing WeasyPrint sets Pillow's
    LOAD_TRUNCATED_IMAGES for the whole process, which would print half an
    uploaded logo padded with grey instead of asking for a new one."""
    with _decoding_lock, warnings.catch_warnings():
        # Beyond Pillow's own limit a bomb is an error, not a warning.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        previous = ImageFile.LOAD_TRUNCATED_IMAGES
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        try:
            yield
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = previous


def _logo_png(org: Organisation) -> bytes:
    """The organisation's logo re-encoded as a PNG that fits LOGO_BOX.

    Re-encoding means WeasyPrint and Word only ever see pixels we produced: no
    SVG (scripts, external references), no odd format, no decompression bomb.
    """
    unreadable = ExportError(
        _("Le logo de « %(name)s » est illisible : remplacez-le dans l'administration.")
        % {"name": org.name}
    )
    try:
        with org.logo.open("rb") as file:
            data = file.read(LOGO_MAX_BYTES + 1)
        if len(data) > LOGO_MAX_BYTES:
            raise unreadable
        with _strict_decoding(), Image.open(io.BytesIO(data), formats=LOGO_FORMATS) as image:
            # Checked before decoding: the header gives the size for free.
            if image.width * image.height > LOGO_MAX_PIXELS:
                raise unreadable
            image.load()
            picture = ImageOps.exif_transpose(image)
            has_alpha = picture.mode in ("RGBA", "LA", "PA") or "transparency" in picture.info
            picture = picture.convert("RGBA" if has_alpha else "RGB")
            picture.thumbnail(LOGO_BOX)
            out = io.BytesIO()
            picture.save(out, format="PNG", optimize=True)
            return out.getvalue()
    except ExportError:
        raise
    # Pillow reports broken files with any of these (SyntaxError for some
    # malformed headers); storage reports a path outside MEDIA_ROOT as suspicious.
    except (
        OSError,
        ValueError,
        SyntaxError,
        EOFError,
        UnidentifiedImageError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
        SuspiciousOperation,
    ) as err:
        raise unreadable from err


# --- URL fetcher (PDF) ------------------------------------------------------


def _static_roots() -> list[str]:
    """Our own static directories (STATICFILES_DIRS), symlinks resolved."""
    roots = []
    for entry in settings.STATICFILES_DIRS:
        path = entry[1] if isinstance(entry, (tuple, list)) else entry
        roots.append(os.path.realpath(path))
    return roots


def _inside(path: str, root: str) -> bool:
    return os.path.commonpath([path, root]) == root


def url_fetcher(url: str, *args, **kwargs) -> URLFetcherResponse:
    """WeasyPrint's only way to the outside: `data:` URIs and files inside our
    static directories. Anything else raises ValueError, which WeasyPrint
    turns into a warning and skips the resource (no network, no other file,
    hence no redirect to follow either)."""
    scheme = parse.urlsplit(url).scheme.lower()
    if scheme == "data":
        return _data_response(url)
    if scheme == "file":
        return _static_file_response(url)
    raise ValueError(f"URL refused by the export fetcher: {url[:200]}")


def _data_response(url: str) -> URLFetcherResponse:
    """Decode a data: URI (RFC 2397) here: no urllib opener is ever involved.
    Only our own template writes them (the re-encoded logos)."""
    header, comma, payload = url[len("data:") :].partition(",")
    if not comma:
        raise ValueError("Malformed data: URI")
    encoded = header.endswith(";base64")
    media_type = header.removesuffix(";base64") or "text/plain"
    try:
        body = base64.b64decode(payload, validate=True) if encoded else b""
    except binascii.Error as err:
        raise ValueError("Malformed base64 in a data: URI") from err
    body = body if encoded else parse.unquote_to_bytes(payload)
    return URLFetcherResponse(url, body, {"Content-Type": media_type})


def _static_file_response(url: str) -> URLFetcherResponse:
    parts = parse.urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        raise ValueError(f"Remote file URL refused: {url[:200]}")
    # url2pathname decodes %2e%2e and friends; realpath then resolves "..",
    # and symlinks, before the containment check.
    path = os.path.realpath(request.url2pathname(parts.path))
    if not any(_inside(path, root) for root in _static_roots()) or not os.path.isfile(path):
        raise ValueError(f"File outside the static directories refused: {url[:200]}")
    content_type = {".css": "text/css", ".woff2": "font/woff2", ".ttf": "font/ttf"}.get(
        Path(path).suffix.lower(), "application/octet-stream"
    )
    return URLFetcherResponse(
        Path(path).as_uri(), Path(path).read_bytes(), {"Content-Type": content_type}
    )


class StaticOnlyFetcher(URLFetcher):
    """WeasyPrint 70 wants a URLFetcher instance; this one defers every URL to
    `url_fetcher` (looked up at call time, so tests can watch it)."""

    def fetch(self, url, headers=None):
        return url_fetcher(url)


# --- PDF --------------------------------------------------------------------


def _print_stylesheet() -> str:
    path = finders.find(PRINT_STYLESHEET)
    if not path:
        raise ImproperlyConfigured(f"{PRINT_STYLESHEET} is missing from the static files.")
    return str(path)


def _text_size(content: Content) -> int:
    statements = (s for section in content.sections for s in section.statements.all())
    return len(content.synthesis.intro) + sum(len(s.text) for s in statements)


def print_html(synthesis: Synthesis) -> str:
    """The standalone HTML the PDF is laid out from (handy to debug the layout)."""
    return _print_html(_content(synthesis, with_logos=True))


def _print_html(content: Content) -> str:
    carriers = [(p.name, p.data_uri) for p in content.carriers]
    supporters = [(p.name, p.data_uri) for p in content.supporters]
    return render_to_string(
        PRINT_TEMPLATE,
        {
            "synthesis": content.synthesis,
            "workshop": content.workshop,
            "sections": content.sections,
            "revision_line": _revision_line(content.synthesis),
            "carriers": carriers,
            "supporters": supporters,
            "authors": ", ".join(p.name for p in content.carriers),
        },
    )


def _pdf(synthesis: Synthesis) -> bytes:
    content = _content(synthesis, with_logos=True)
    if _text_size(content) > MAX_PDF_CHARACTERS:
        raise ExportError(
            _(
                "La synthèse est trop longue pour être mise en page en PDF : "
                "exportez-la en DOCX ou en Markdown."
            )
        )
    fetcher = StaticOnlyFetcher()
    stylesheet_url = Path(_print_stylesheet()).as_uri()
    base_url = Path(_static_roots()[0]).as_uri() + "/"
    try:
        document = HTML(string=_print_html(content), base_url=base_url, url_fetcher=fetcher)
        stylesheet = CSS(url=stylesheet_url, url_fetcher=fetcher)
        return document.write_pdf(stylesheets=[stylesheet], pdf_variant=PDF_VARIANT)
    except RecursionError as err:  # boxes nested deeper than Python's stack
        raise ExportError(
            _("La synthèse est trop imbriquée pour être mise en page (listes dans des listes…).")
        ) from err


# --- DOCX -------------------------------------------------------------------


def _docx(synthesis: Synthesis) -> bytes:
    content = _content(synthesis, with_logos=True)
    workshop = content.workshop
    document = docx.Document()
    _set_french(document)
    properties = document.core_properties
    properties.title = workshop.title
    properties.language = "fr-FR"
    properties.author = ", ".join(p.name for p in content.carriers)

    document.add_heading(_clean(workshop.title), level=0)
    document.add_paragraph().add_run(_date_line(workshop)).bold = True
    document.add_paragraph(_revision_line(synthesis))
    if synthesis.intro:
        _add_markup(document, synthesis.intro)
    for number, sections in _parts(content.sections):
        if number is not None:
            document.add_heading(_round_heading(number), level=1)
        for section in sections:
            document.add_heading(f"{SECTION_GLYPH} {_clean(section.title)}", level=2)
            statements, quote_groups = section.parts()
            for statement in statements:
                _add_markup(document, statement.text)
            for actor_type, quotes in quote_groups:
                document.add_heading(_quotes_heading(actor_type), level=3)
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


# --- Markdown (reference format) -----------------------------------------------


def _markdown(synthesis: Synthesis) -> bytes:
    """The synthesis in the reference format, which synthesis.importing reads
    back to the same sections, statements and quotes.

    Known limits of the format itself: a statement keeps no blank line (its
    paragraphs are joined), a quote stays on one line, and a statement line
    that looks like a heading ("► …", "Paroles de … :", "Avec le soutien de …")
    or is wholly in quotation marks reads back as such."""
    content = _content(synthesis, with_logos=False)
    workshop = content.workshop
    blocks = [_one_line(workshop.title), _date_line(workshop)]
    if synthesis.intro.strip():
        blocks.append(synthesis.intro.strip())
    last_round = 0
    for number, sections in _parts(content.sections):
        # The reader wants rounds 1, 2, 3… once each: fill gaps, never go back.
        if number is not None and number > last_round:
            blocks += [_round_heading(n) for n in range(last_round + 1, number + 1)]
            last_round = number
        for section in sections:
            blocks += _markdown_section(section)
    for title, partners in (
        ("Une initiative portée par", content.carriers),
        ("Avec le soutien de", content.supporters),
    ):
        if partners:
            blocks.append("\n".join([title, *(_organisation_line(p) for p in partners)]))
    return ("\n\n".join(blocks) + "\n").encode("utf-8")


def _markdown_section(section: Section) -> list[str]:
    blocks = [f"{SECTION_GLYPH} {_one_line(section.title)}"]
    statements, quote_groups = section.parts()
    blocks += [_BLANK_LINES.sub("\n", s.text.strip()) for s in statements]
    # Quotes outside any "Paroles de …" block have no speaker: they go first,
    # while no block is open (a heading or a plain paragraph closes one).
    quote_groups.sort(key=lambda group: group[0] is not None)
    for actor_type, quotes in quote_groups:
        lines = [_quotes_heading(actor_type)] if actor_type else []
        lines += [f"- {QUOTE_GLYPH} *{_quoted(_one_line(q.text))}*" for q in quotes]
        blocks.append("\n".join(lines))
    return blocks


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _quoted(text: str) -> str:
    """Quotation marks the reader strips: a pair whose closing mark is not in
    the quote (the reader keeps the marks when it is)."""
    for opening, closing in (('"', '"'), ("«", "»"), ("“", "”")):
        if closing not in text:
            return f"{opening}{text}{closing}"
    return text


def _organisation_line(partner: Partner) -> str:
    """'Name (ACRONYM)', which the reader splits back, within its length limit."""
    line = f"{partner.name} ({partner.acronym})" if partner.acronym else partner.name
    return line if len(line) <= MAX_ORGANISATION_LINE else partner.name


# --- Open data (CSV, JSON) ----------------------------------------------------

COLUMNS = [
    "revision",
    "statement_id",
    "round",
    "section_order",
    "section_title",
    "statement_order",
    "kind",
    "kind_label",
    "text",
    "plain_text",
    "speaker_actor_type",
    "groups_count",
    "groups_total",
    "actor_types",
    "source_ids",
    "source_groups",
    "source_rounds",
    "source_texts",
]


def _statement_rows(synthesis: Synthesis) -> list[dict]:
    """One dict per statement; support counted from the links to group notes."""
    sections = _sections(synthesis, with_sources=True)
    group_totals = dict(
        WorkingGroup.objects.filter(round__workshop_id=synthesis.workshop_id)
        .values_list("round_id")
        .annotate(n=Count("pk"))
    )
    rows = []
    for section in sections:
        for position, statement in enumerate(section.statements.all(), start=1):
            rows.append(_statement_row(synthesis, section, position, statement, group_totals))
    return rows


def _statement_row(synthesis, section, position, statement, group_totals) -> dict:
    notes = list(statement.sources.all())
    actor_types = {n.group.actor_type.name for n in notes if n.group.actor_type}
    actor_types |= {n.speaker_actor_type.name for n in notes if n.speaker_actor_type}
    return {
        "revision": synthesis.revision,
        "statement_id": statement.pk,
        "round": section.round.order if section.round else None,
        "section_order": section.order,
        "section_title": section.title,
        "statement_order": position,
        "kind": statement.kind,
        "kind_label": str(Kind(statement.kind).label),
        "text": statement.text,
        "plain_text": markup.plain(statement.text),
        "speaker_actor_type": (
            statement.speaker_actor_type.name if statement.speaker_actor_type else None
        ),
        "groups_count": len({n.group_id for n in notes}),
        "groups_total": group_totals.get(section.round_id, 0) if section.round_id else None,
        "actor_types": sorted(actor_types),
        "sources": [
            {
                "id": n.pk,
                "group": n.group.number,
                "round": n.group.round.order,
                "text": n.text,
            }
            for n in notes
        ],
    }


def _csv(synthesis: Synthesis) -> bytes:
    out = io.StringIO()
    out.write("\ufeff")  # Excel needs the BOM to read UTF-8
    writer = csv.writer(out, delimiter=";")
    writer.writerow(COLUMNS)
    for row in _statement_rows(synthesis):
        sources = row.pop("sources")
        row["actor_types"] = " | ".join(row["actor_types"])
        row["source_ids"] = "|".join(str(s["id"]) for s in sources)
        row["source_groups"] = "|".join(str(s["group"]) for s in sources)
        row["source_rounds"] = "|".join(str(s["round"]) for s in sources)
        # One note a line; a note's own line breaks become spaces (JSON keeps them).
        row["source_texts"] = "\n".join(_one_line(s["text"]) for s in sources)
        writer.writerow([safe_cell(row[column]) for column in COLUMNS])
    return out.getvalue().encode("utf-8")


def _json(synthesis: Synthesis) -> bytes:
    workshop = synthesis.workshop
    territory = workshop.territory
    document = {
        "workshop": {
            "slug": workshop.slug,
            "title": workshop.title,
            "date": workshop.date.isoformat(),
            "territory": (
                {"name": territory.name, "code": territory.code, "level": territory.level}
                if territory
                else None
            ),
        },
        "revision": synthesis.revision,
        "status": synthesis.status,
        "published_at": (
            timezone.localtime(synthesis.published_at).isoformat()
            if synthesis.published_at
            else None
        ),
        "statements": _statement_rows(synthesis),
    }
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")


RENDERERS: dict[str, Callable[[Synthesis], bytes]] = {
    "pdf": _pdf,
    "docx": _docx,
    "md": _markdown,
    "csv": _csv,
    "json": _json,
}

"""The PDF: print HTML laid out by WeasyPrint, through a fetcher limited to our static files."""

import base64
import binascii
import os
from pathlib import Path
from urllib import parse, request

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import ImproperlyConfigured
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from weasyprint import CSS, HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from ..models import Synthesis
from .content import Content, format_line, load_content, revision_line
from .errors import ExportError

PRINT_TEMPLATE = "synthesis/print.html"
PRINT_STYLESHEET = "css/print.css"
# PDF/UA-1: tagged PDF, document title shown by viewers, language declared.
PDF_VARIANT = "pdf/ua-1"

# Far beyond any real synthesis (the seed is ~10,000 characters, 5 pages) but small
# enough that WeasyPrint lays it out within the job's time limit.
MAX_PDF_CHARACTERS = 300_000


# --- URL fetcher --------------------------------------------------------------
# The PDF is laid out from templates/synthesis/print.html and
# static/css/print.css. The fetcher fetches nothing but `data:` URIs and our own
# static files: the synthesis text cannot carry HTML (the markup escapes it),
# and even if it could, nothing would be fetched from the network or the disk.


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


# --- PDF ----------------------------------------------------------------------


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
    return _print_html(load_content(synthesis, with_logos=True))


def _print_html(content: Content) -> str:
    return render_to_string(
        PRINT_TEMPLATE,
        {
            "synthesis": content.synthesis,
            "workshop": content.workshop,
            "sections": content.sections,
            "revision_line": revision_line(content.synthesis),
            "format_line": format_line(content.workshop),
            "carriers": content.carriers,
            "supporters": content.supporters,
            "authors": ", ".join(p.name for p in content.carriers),
        },
    )


def render_pdf(synthesis: Synthesis) -> bytes:
    content = load_content(synthesis, with_logos=True)
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

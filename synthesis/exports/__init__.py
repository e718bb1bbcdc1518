"""Turn one revision of a synthesis into a file: PDF, DOCX, Markdown, CSV, JSON.

Plain functions from a `Synthesis` to bytes, so the export job, a management
command or a test call them alike. Every failure the user can act on (a
corrupt logo, an unknown format, a document too big to lay out) comes out as
an `ExportError` carrying a French message; anything else is a bug and
propagates.

One module a job: `content` (what every format reads), `logos` (uploaded logos
re-encoded), `pdf` (WeasyPrint and its static-only URL fetcher), `docx`,
`markdown` (the reference format) and `opendata` (CSV and JSON without the
notes' texts, and the coordination's analysis CSV with them).
"""

from collections.abc import Callable

from django.utils import translation
from django.utils.translation import gettext as _

from ..models import Synthesis
from .docx import render_docx
from .errors import ExportError
from .markdown import render_markdown
from .opendata import ANALYSIS_COLUMNS, COLUMNS, render_analysis_csv, render_csv, render_json
from .pdf import StaticOnlyFetcher, _static_roots, print_html, render_pdf, url_fetcher

__all__ = [
    "ANALYSIS_COLUMNS",
    "COLUMNS",
    "FORMATS",
    "RENDERERS",
    "ExportError",
    "StaticOnlyFetcher",
    "_static_roots",
    "filename",
    "print_html",
    "render",
    "url_fetcher",
]

FORMATS: dict[str, tuple[str, str]] = {
    "pdf": ("application/pdf", "pdf"),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "docx",
    ),
    "md": ("text/markdown; charset=utf-8", "md"),
    "csv": ("text/csv; charset=utf-8", "csv"),
    "json": ("application/json", "json"),
    "analyse-csv": ("text/csv; charset=utf-8", "csv"),
}
# Told apart from the open data's CSV by its name: "synthese-…-r3-analyse.csv".
SUFFIXES: dict[str, str] = {"analyse-csv": "-analyse"}

RENDERERS: dict[str, Callable[[Synthesis], bytes]] = {
    "pdf": render_pdf,
    "docx": render_docx,
    "md": render_markdown,
    "csv": render_csv,
    "json": render_json,
    "analyse-csv": render_analysis_csv,
}


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
    extension, suffix = FORMATS[fmt][1], SUFFIXES.get(fmt, "")
    return f"synthese-{synthesis.workshop.slug}-r{synthesis.revision}{suffix}.{extension}"

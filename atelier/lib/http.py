"""Request and response helpers every app's views share: integer parameters,
the one check of a "next" address, CSV downloads."""

import csv
import io
from collections.abc import Iterable

from django.http import HttpResponse
from django.utils.http import url_has_allowed_host_and_scheme


def parse_int(value) -> int | None:
    """An integer from a POST or GET field (an id, a granularity); None for
    anything that is not one ("abc", "", None)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def safe_next(request, value: str | None, *, within: str = "/") -> str:
    """`value` if it is an address of this site under `within`, else "": a
    "next" parameter must never send anyone to another site."""
    value = value or ""
    if not url_has_allowed_host_and_scheme(
        value, {request.get_host()}, require_https=request.is_secure()
    ):
        return ""
    # Compare paths, not strings: "//evil.example" or "/recherche/../x" are not "/recherche/".
    path = value.split("?", 1)[0].split("#", 1)[0]
    if not path.startswith(within) or "/../" in path or path.startswith("//"):
        return ""
    return value


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """A cell a spreadsheet will show, never run: formulas get a leading quote."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in FORMULA_STARTS else text


def csv_response(filename: str, rows: Iterable[Iterable] | None = None, *, text: str = ""):
    """A CSV download as French spreadsheets open it: UTF-8 with a BOM, ";"
    between cells, formulas neutralised. Either rows to write, or the text."""
    if rows is not None:
        out = io.StringIO()
        writer = csv.writer(out, delimiter=";")
        for row in rows:
            writer.writerow([safe_cell(value) for value in row])
        text = "\ufeff" + out.getvalue()
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response

"""The French documentation page, rendered from docs/api.md: one text for the
repository and the site."""

from functools import cache
from pathlib import Path

import nh3
from django.conf import settings
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

SOURCE = Path(settings.BASE_DIR) / "docs" / "api.md"
TAGS = {"h1", "h2", "h3", "p", "ul", "ol", "li", "a", "code", "pre", "strong", "em"}
TAGS |= {"table", "thead", "tbody", "tr", "th", "td"}


@cache
def page() -> SafeString:
    html = MarkdownIt("commonmark", {"html": False}).enable("table").render(SOURCE.read_text())
    # Our own text, but cleaned all the same: the page runs under a strict CSP.
    html = nh3.clean(html, tags=TAGS, attributes={"a": {"href"}})
    # A wide table scrolls in its own box on a phone, reachable by keyboard;
    # each box its own name (landmarks must differ: axe's landmark-unique).
    parts = html.split("<table>")
    html = parts[0] + "".join(
        f'<div class="table-scroll" tabindex="0" role="region" aria-label="Tableau {n}"><table>'
        + part.replace("</table>", "</table></div>", 1)
        for n, part in enumerate(parts[1:], start=1)
    )
    return mark_safe(html)  # noqa: S308

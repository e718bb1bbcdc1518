"""What the pages built in Python share (the board's notes, the editor's
statements, the published page): rendered markup kept by text, and URL
patterns reversed once per page.

The markup (markdown-it and nh3) is the costly part of a row. It is kept in
this process under the text itself and the language: an edited note or
statement is a new text, hence a new key, so nothing needs invalidating and a
stale rendering can never be shown. 8,192 entries hold a 10,000-note
workshop's editor and its boards (a few MB per worker).
"""

from functools import lru_cache
from html import escape

from django.urls import reverse
from django.utils.text import Truncator
from django.utils.translation import get_language

from . import markup

# An id no row has: reversed once, then replaced by each row's own.
_MARK = "987654321987"


def rendered(text: str, *, inline: bool = False) -> tuple[str, str]:
    """(the text's markup as HTML, its first 40 characters escaped, for the
    buttons' accessible names)."""
    return _rendered(text or "", inline, get_language())


@lru_cache(maxsize=8192)
def _rendered(text, inline, language):
    # `language`: Truncator's ellipsis is translated.
    html = markup.render_inline(text) if inline else markup.render(text)
    return str(html), escape(Truncator(text).chars(40))


def url_pattern(name: str) -> str:
    """`name`'s URL, escaped, as a `str.format` pattern with `{pk}` where the
    row's id goes."""
    url = escape(reverse(name, args=[_MARK]))
    return literal(url).replace(_MARK, "{pk}")


def literal(text: str) -> str:
    """`text` as a `str.format` pattern that gives it back."""
    return text.replace("{", "{{").replace("}", "}}")

"""The light markup people type everywhere: **bold**, *italic*, "- " sub-bullets.

Rendering goes through markdown-it with raw HTML off (so typed tags come out
as text), then nh3 keeps only the handful of tags the markup can produce.
Links, images and headings are not part of the markup: nothing a person types
can point the browser (or WeasyPrint) anywhere.
"""

import re
import unicodedata

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

_md = MarkdownIt("zero", {"breaks": True, "html": False}).enable(
    ["emphasis", "list", "newline", "escape"]
)

ALLOWED_TAGS = {"p", "strong", "em", "ul", "ol", "li", "br"}

# Control characters other than tab and newline have no place in a note; NUL
# bytes are refused by PostgreSQL outright.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # C0, DEL and C1 (U+009B: CSI)


def clean_text(text: str) -> str:
    """Normalise what a person typed before it is stored."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    return _CONTROL.sub("", text).strip()


# Most notes are one line of words and everyday punctuation: nothing in them
# is markup (no emphasis, escape or new line, and a letter first, so no list
# marker) or needs escaping in HTML (no &, <, >, quotes or no-break space).
# For those, markdown-it and nh3 give back the text itself (in a paragraph,
# for `render`); skipping them saves a board's save most of its rendering.
# tests/test_markup.py checks both ways agree on thousands of such texts.
_PLAIN = re.compile(r"[^\W\d_](?:[^\W_]|[ .,;:!?'’()%/€«»…–—°@=+-])*(?<! )")


def render(text: str) -> SafeString:
    if _PLAIN.fullmatch(text or ""):
        return mark_safe(f"<p>{text}</p>\n")  # noqa: S308 (nothing in it is HTML: _PLAIN)
    return _markdown(text or "")


def render_inline(text: str) -> SafeString:
    """Render one line without the surrounding paragraph (titles, quotes)."""
    if _PLAIN.fullmatch(text or ""):
        return mark_safe(text)  # noqa: S308 (nothing in it is HTML: _PLAIN)
    return _markdown(text or "", inline=True)


def _markdown(text: str, *, inline: bool = False) -> SafeString:
    if inline:
        html = _md.renderInline(text)
        return mark_safe(nh3.clean(html, tags={"strong", "em", "br"}, attributes={}))  # noqa: S308
    return mark_safe(nh3.clean(_md.render(text), tags=ALLOWED_TAGS, attributes={}))  # noqa: S308


def plain(text: str) -> str:
    """The text without its markup, for search, previews and similarity."""
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text or "")
    text = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"\1", text)
    text = re.sub(r"^\s*[-•*]\s+", "", text, flags=re.M)
    return re.sub(r"[ \t]+", " ", text).strip()


def de(label: str) -> str:
    """French 'de' with elision: de(\"agents\") == \"d'agents\"."""
    first = unicodedata.normalize("NFD", label[:1]).lower()[:1]
    return f"d'{label}" if first in "aeiouyh" else f"de {label}"

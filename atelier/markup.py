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


def render(text: str) -> SafeString:
    html = _md.render(text or "")
    return mark_safe(nh3.clean(html, tags=ALLOWED_TAGS, attributes={}))  # noqa: S308


def render_inline(text: str) -> SafeString:
    """Render one line without the surrounding paragraph (titles, quotes)."""
    html = _md.renderInline(text or "")
    return mark_safe(nh3.clean(html, tags={"strong", "em", "br"}, attributes={}))  # noqa: S308


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

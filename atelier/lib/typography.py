"""French typography, from one place, for every rendering of a synthesis.

The page, the PDF and the DOCX all pass their text through `french()` (and
quotes through `quoted()`), so a quote never comes out as « « … » » in one
format and «…» in another. The rules are the French Imprimerie nationale's,
as word processors apply them:

- a narrow no-break space (U+202F) inside « », and before ; ! ?
- a no-break space (U+00A0) before : (a full space by tradition)
- a narrow no-break space between groups of three digits: 100 000
- straight double quotes around words become « »

Spaces are only ever made non-breaking or added: no word is changed, so the
text reads the same to a search, a diff or a screen reader. The text may be
our light markup (**bold**, *italic*, "- " bullets): the rules never touch
asterisks or a bullet's dash. Plain text in, plain text out: callers escape.
"""

import re

NNBSP = "\u202f"  # narrow no-break space
NBSP = "\u00a0"  # no-break space

# Quote marks a quote may already be typed with: opening -> closing.
QUOTE_PAIRS = {"«": "»", '"': '"', "“": "”", "„": "“", "”": "”"}

_SPACES = "[ \t\u00a0\u202f]"
# What may end a word before ; ! ? or : (letters, digits, closing marks, emphasis).
_WORD_END = r"[\w)\]»”'’*…%€]"
# The punctuation must close the word: followed by a space, the end, or closing
# marks. This keeps "http://", "14:30" and "?a=b" as they are.
_PUNCT_END = r"(?=[\s*»”)\]\"'’.…,]|$)"

_OPENING_GUILLEMET = re.compile(r"«" + _SPACES + "*")
_CLOSING_GUILLEMET = re.compile(_SPACES + "*»")
_SPACED_HIGH = re.compile(_SPACES + r"+(?=[;!?])")
_GLUED_HIGH = re.compile(r"(?<=" + _WORD_END + r")(?=[;!?]+" + _PUNCT_END + ")")
_SPACED_COLON = re.compile(_SPACES + r"+(?=:)")
_GLUED_COLON = re.compile(r"(?<=" + _WORD_END + r")(?=:" + _PUNCT_END + ")")
_THOUSANDS = re.compile(r"(?<=\d)[ \u00a0](?=\d{3}(?!\d))")
_STRAIGHT_QUOTES = re.compile(r'"(?=\S)([^"\n]*?\S)"')


def french(text: str) -> str:
    """The text with French spacing around punctuation and in numbers."""
    if not text:
        return text or ""
    text = _STRAIGHT_QUOTES.sub(r"«\1»", text)
    text = _OPENING_GUILLEMET.sub("«" + NNBSP, text)
    text = _CLOSING_GUILLEMET.sub(NNBSP + "»", text)
    text = _SPACED_HIGH.sub(NNBSP, text)
    text = _GLUED_HIGH.sub(NNBSP, text)
    text = _SPACED_COLON.sub(NBSP, text)
    text = _GLUED_COLON.sub(NBSP, text)
    return _THOUSANDS.sub(NNBSP, text)


def unquoted(text: str) -> str:
    """The quote without the one pair of quote marks (and italics) it may be
    typed with: '« On se sent… »', '"On se sent…"', '*"On…"*' -> 'On se sent…'."""
    text = (text or "").strip()
    if len(text) > 2 and text[0] == text[-1] == "*" and text[1] != "*" and text[-2] != "*":
        text = text[1:-1].strip()
    closing = QUOTE_PAIRS.get(text[:1])
    inner = text[1:-1]
    if closing and len(text) > 1 and text.endswith(closing) and closing not in inner:
        return inner.strip()
    return text


def quoted(text: str) -> str:
    """The quote between French guillemets, never doubled."""
    return french(f"« {unquoted(text)} »")

"""Text helpers shared by every app: one way to fold French text for matching,
searching and comparing, the two French stop-word lists with their reasons, one
decode() for the files people upload, and one rule for the control characters
a typed text may not hold (forms and importers alike)."""

import re
import unicodedata

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext

_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "Œ": "oe", "Æ": "ae", "’": "'"})


def fold(text: str) -> str:
    """Lowercase, without accents, ligatures or curly apostrophes: "Énoncé" →
    "enonce", "cœur" → "coeur". Animators type fast, often without accents, and
    "creee" must meet "créée"; for matching and comparing only, never shown."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return stripped.casefold()


# PostgreSQL's French stop words, the ones worth ignoring in a query: the
# search's Python engine must drop what PostgreSQL's `french` configuration
# drops, so that both engines find the same notes.
_SEARCH_STOP_WORDS = """
a ai au aux avec c ce ces cet cette d dans de des du elle elles en et eu eux il ils j je l la
le les leur leurs lui m ma mais me meme mes moi mon n ne nos notre nous on ou or par pas pour
qu que qui s sa se ses son sur t ta te tes toi ton tu un une vos votre vous y
"""
SEARCH_STOP_WORDS = frozenset(_SEARCH_STOP_WORDS.split())

# The draft's TF-IDF ignores more (folded, since texts are folded first):
# negations and quantities ("pas", "plus") too, which the character n-grams keep.
SIMILARITY_STOP_WORDS = frozenset((
    "a", "ai", "aie", "ainsi", "alors", "as", "au", "aucun", "aussi", "autre", "autres", "aux",
    "avait", "avec", "avez", "avoir", "avons", "c", "ca", "car", "ce", "ceci", "cela", "celle",
    "celles", "celui", "ces", "cet", "cette", "ceux", "chez", "comme", "d", "dans", "de", "des",
    "deja", "donc", "dont", "du", "elle", "elles", "en", "encore", "entre", "es", "est", "et",
    "etaient", "etait", "etant", "ete", "etre", "eu", "eux", "fait", "faire", "fois", "font",
    "hors", "il", "ils", "j", "je", "jusqu", "l", "la", "le", "les", "leur", "leurs", "lors",
    "lui", "m", "ma", "mais", "me", "meme", "mes", "moi", "mon", "n", "ne", "ni", "nos", "notre",
    "notamment", "nous", "on", "ont", "ou", "par", "parce", "pas", "peu", "peut", "plus", "pour",
    "qu", "quand", "que", "quel", "quelle", "quelles", "quels", "qui", "quoi", "s", "sa", "sans",
    "se", "ses", "si", "soi", "soit", "son", "sont", "sous", "sur", "t", "ta", "te", "tes", "toi",
    "ton", "tous", "tout", "toute", "toutes", "tres", "trop", "tu", "un", "une", "unes", "uns",
    "vers", "via", "voire", "vos", "votre", "vous", "y", "etc",
))  # fmt: skip


class UndecodableText(ValueError):
    """Bytes that are neither UTF-8 nor Windows-1252; `line` is where it fails."""

    def __init__(self, line: int):
        super().__init__(line)
        self.line = line


def decode(data: bytes) -> str:
    """The text of a file people export from their tools: UTF-8 (with or without
    BOM), else Windows-1252 (Excel's « CSV » on Windows), never a silent U+FFFD."""
    body = data.removeprefix(b"\xef\xbb\xbf")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return body.decode("cp1252")
    except UnicodeDecodeError as err:
        raise UndecodableText(body[: err.start].count(b"\n") + 1) from err


# C0 and C1 control characters but tab, line feed and carriage return (a
# textarea posts its line breaks as CR LF). Invisible on the page, they carry
# terminal escape sequences (ESC), break CSV exports, and PostgreSQL refuses
# NUL outright: a 500 instead of a message.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def control_characters(text: str) -> list[str]:
    """The forbidden control characters of `text`, each once, as "U+001B"."""
    return list(dict.fromkeys(f"U+{ord(c):04X}" for c in _CONTROL.findall(text)))


def strip_control_characters(text: str) -> str:
    """`text` without them: what the roster preview shows of a refused line."""
    return _CONTROL.sub("", text)


def control_characters_message(text: str) -> str:
    """French, for a form field or a line of an import; "" when `text` is clean."""
    found = control_characters(text)
    if not found:
        return ""
    return gettext("Caractère invisible interdit (%(codes)s) : retirez-le du texte.") % {
        "codes": ", ".join(found)
    }


def validate_plain_text(value) -> None:
    """A validator for every text people type: names, titles, statements."""
    message = control_characters_message(str(value))
    if message:
        raise ValidationError(message, code="control_characters")


class PlainTextForm:
    """Form mixin: every text field of the form (names, titles, texts) refuses
    control characters, with the message beside the field. One rule for the
    whole project instead of a clean_<field>() per form that someone forgets."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():  # each form instance has its own copies
            if isinstance(field, forms.CharField):
                field.validators.append(validate_plain_text)

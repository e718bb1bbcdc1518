"""Matching what people type (in a CSV, a document) to what the database holds:
case, accents, curly apostrophes, inclusive writing ("Délégué·e", "délégué.e",
"délégué(e)s", "délégué-e-s"), gender and number ("déléguées", "agents").

Two keys: `exact_key` (case and accents aside) and `name_key` (also inclusive
writing, gender and number). A `NameIndex` tries the exact key first, so that
two stored names the loose key merges ("Mont", "Monts") stay distinct when
typed as stored, and reports both when typed otherwise, rather than picking one.

Names no rule derives ("DDP", "CD59") are aliases the coordination adds
(`ActorTypeAlias`, `territories.TerritoryAlias`); they rank after every stored
name, so an alias never hides a name typed as it is stored.
"""

import re
from collections.abc import Iterable

from django.utils.text import slugify

from .lib.text import fold
from .models import ActorType, ActorTypeAlias

# What follows the stem in inclusive writing: "·e", "·rice", "·ne·s", "(e)s".
_SUFFIXES = "e|es|s|ne|nes|le|les|fe|fes|ve|ves|euse|euses|rice|rices|trice|trices|ice|ices"
_PARENTHESISED = re.compile(rf"\((?:{_SUFFIXES})\)")
_MIDPOINT = re.compile(r"(?:[·•‧∙⋅]\w{1,6})+$")  # a middle dot only ever marks one
_DOTTED = re.compile(rf"(?:\.(?:{_SUFFIXES}))+$")
# Not "-le(s)": "Villeneuve-le-Roi" keeps its article.
_HYPHENATED = re.compile(rf"(?:-(?:{_SUFFIXES.replace('|le|les', '')}))+$")
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")
_FEMININE = (("trice", "teur"), ("euse", "eur"), ("ive", "if"))


def exact_key(text: str) -> str:
    """Case, accents and spaces aside: 'Délégué·e  du Préfet' -> 'delegue·e du prefet'."""
    return " ".join(fold(text).split())


def name_key(text: str) -> str:
    """One key for a name however it is written: 'Délégué·e du préfet',
    'délégué.e', 'déléguées', 'délégué(e)s', 'délégué-e-s', 'Délégué du prefet'
    -> 'delegu du prefet'; 'Animatrices territoriales' and 'Animateur·rice
    territorial·e' -> 'animateur territorial'."""
    text = _PARENTHESISED.sub("", fold(text))
    words = []
    for word in text.split():
        word = word.rstrip(",;:.!?)")
        for pattern in (_MIDPOINT, _DOTTED, _HYPHENATED):
            word = pattern.sub("", word)
        words.extend(_word_stem(part) for part in _NOT_ALNUM.split(word) if part)
    return " ".join(words)


def _word_stem(word: str) -> str:
    """Masculine singular, roughly: 'citoyennes' -> 'citoyen', 'locaux' -> 'local'.
    A key, never shown; short words ('de', 'la') are left alone."""
    if len(word) <= 3:
        return word.removesuffix("s") if word.endswith("es") else word
    if word.endswith("aux") and not word.endswith("eaux"):
        return word[:-3] + "al"
    word = word.removesuffix("s")
    for feminine, masculine in _FEMININE:
        if word.endswith(feminine):
            return word[: -len(feminine)] + masculine
    while len(word) > 2 and word.endswith("e"):
        word = word[:-1]
    if word[-2:] in ("nn", "ll", "tt", "ff"):  # citoyenn(e), professionnell(e), cheff(e)
        word = word[:-1]
    return word


class NameIndex[T]:
    """Things under the names people may type for them.

    `find` gives the things stored under the exact spelling if any, else under
    the loose key; among those, only the ones named by the best `rank` (a name
    before a label). More than one distinct thing means the text is ambiguous.
    """

    def __init__(self) -> None:
        self._keys: dict[str, dict[T, int]] = {}

    def add(self, text: str, thing: T, rank: int = 0) -> None:
        for key in (f"={exact_key(text)}", name_key(text)):
            if key in ("=", ""):  # nothing to match: "", "·"
                continue
            ranks = self._keys.setdefault(key, {})
            ranks[thing] = min(rank, ranks.get(thing, rank))

    def find(self, text: str) -> list[T]:
        return self.find_ranked(text)[0]

    def find_ranked(self, text: str) -> tuple[list[T], int]:
        """`find`, with the rank the things were found under (an alias's, say)."""
        ranks = self._keys.get(f"={exact_key(text)}") or self._keys.get(name_key(text)) or {}
        best = min(ranks.values(), default=0)
        return [thing for thing, rank in ranks.items() if rank == best], best


# An actor type's name, quote label and slug rank 0, 1, 2; the aliases after.
ALIAS_RANK = 3


def actor_type_index(actor_types: Iterable[ActorType]) -> NameIndex[ActorType]:
    """Each actor type under its name, then its quote label, then its slug,
    then the other names the coordination gave it (one query)."""
    index: NameIndex[ActorType] = NameIndex()
    by_pk = {}
    for actor_type in actor_types:
        _add_actor_type(index, actor_type)
        by_pk[actor_type.pk] = actor_type
    by_pk.pop(None, None)  # unsaved ones have no alias
    if by_pk:
        aliases = ActorTypeAlias.objects.filter(actor_type__in=list(by_pk))
        for name, pk in aliases.values_list("name", "actor_type_id"):
            index.add(name, by_pk[pk], rank=ALIAS_RANK)
    return index


def _add_actor_type(index: NameIndex[ActorType], actor_type: ActorType) -> None:
    index.add(actor_type.name, actor_type, rank=0)
    index.add(actor_type.quote_label, actor_type, rank=1)
    index.add(actor_type.slug.replace("-", " "), actor_type, rank=2)


def find_or_create_actor_type(
    index: NameIndex[ActorType], name: str, *, quote_label: str = "", order: int = 0
) -> ActorType:
    """The actor type `name` (or else `quote_label`) designates, created once if
    none does: the synthesis import and the demo share one 'Délégué·e du préfet'."""
    found = index.find(name) or (index.find(quote_label) if quote_label else [])
    if found:
        return found[0]
    base = slugify(name)[:110] or "type"
    slug, suffix = base, 2
    while ActorType.objects.filter(slug=slug).exists():  # another name, same slug
        slug, suffix = f"{base}-{suffix}", suffix + 1
    actor_type = ActorType.objects.create(
        name=name, slug=slug, quote_label=quote_label, order=order
    )
    _add_actor_type(index, actor_type)
    return actor_type

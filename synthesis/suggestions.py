"""Suggested merges: pairs of statements of one section that probably say
the same thing, for the editor's "Rapprochements suggérés" panel.

A statement is compared through its live source notes, as the draft compares
notes (`similarity.matrix` on the stored vectors, `drafting.suggest` for the
pairs). Quotes are left out: they are kept word for word. A pair the
coordination dismissed is remembered by its notes (`pair_key`), so it stays
dismissed in later revisions, whose statements are copies.

Each section's pairs are kept in the cache under a fingerprint of what they
depend on (its statements, their links to notes, the notes' last change):
reopening the editor reads them back, and an edit recomputes its own section
only (a 10,000-note revision takes ~1.5 s to compute whole). Dismissals are
applied when reading, so dismissing recomputes nothing. The cache may be down
(a Redis outage): then the panel is computed again, never broken.
"""

import hashlib
import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Max, Sum

from atelier.models import Contribution, Kind

from . import drafting, editing, embeddings, similarity
from .models import DismissedSuggestion, Statement, Synthesis

log = logging.getLogger(__name__)

# Pairs shown per section, best first.
LIMIT = 10
# Pairs kept beyond LIMIT, to stand in for dismissed ones without computing again.
RESERVE = 20
# Bump when what is cached changes shape or meaning.
CACHE_VERSION = 2
CACHE_TIMEOUT = 7 * 24 * 3600

PairKey = tuple[int, int]


@dataclass(frozen=True)
class Side:
    """One statement of a suggested pair, as the coordinator saw it."""

    id: int
    text: str
    version: int


@dataclass(frozen=True)
class Pair:
    first: Side  # the first in reading order: the one a merge keeps
    second: Side
    score: float  # standard score: 0 an average pair of the section's notes

    @property
    def words(self) -> str:
        """ "très proches" / "proches", in the active language."""
        return drafting.closeness(self.score)


@dataclass(frozen=True)
class SectionSuggestions:
    section_id: int
    title: str
    pairs: list[Pair]


@dataclass(frozen=True)
class _Computed:
    """One section's pairs as cached: best first, each with its dismissal key,
    before dismissals are taken out. `full`: suggest had more to give."""

    section_id: int
    title: str
    pairs: list[tuple[Pair, PairKey | None]]
    full: bool


def pair_key(first_notes: Iterable[int], second_notes: Iterable[int]) -> PairKey | None:
    """How a dismissal remembers two statements: the smallest live source note
    of each, lower first. Two statements that share their smallest note take
    the next one of the second (else of the first). None when no key tells
    them apart (one note between them)."""
    a, b = set(first_notes), set(second_notes)
    if not a or not b:
        return None
    x, y = min(a), min(b)
    if x == y:
        rest_b, rest_a = b - {x}, a - {x}
        if rest_b:
            y = min(rest_b)
        elif rest_a:
            x = min(rest_a)
        else:
            return None
    return (x, y) if x < y else (y, x)


def for_synthesis(synthesis: Synthesis) -> list[SectionSuggestions]:
    """The sections of the revision that have suggestions, in reading order,
    each with its pairs best first, dismissed pairs left out."""
    marks = fingerprints(synthesis)
    keys = {section_id: _cache_key(section_id, mark) for section_id, mark in marks.items()}
    found = _cache_get_many(list(keys.values()))
    computed = {s: found[k] for s, k in keys.items() if isinstance(found.get(k), _Computed)}
    missing = [s for s in marks if s not in computed]
    if missing:
        fresh = compute(synthesis, missing)
        computed.update(fresh)
        _cache_set_many({keys[s]: fresh[s] for s in missing})
    dismissed = _dismissed(synthesis)
    result = []
    for section_id in marks:  # reading order
        entry = computed[section_id]
        pairs = [pair for pair, key in entry.pairs if key not in dismissed]
        if len(pairs) < min(LIMIT, len(entry.pairs)) and entry.full:
            # More dismissed than the reserve covers: this section once more, deeper.
            entry = compute(synthesis, [section_id], limit=LIMIT + len(dismissed))[section_id]
            _cache_set_many({keys[section_id]: entry})
            pairs = [pair for pair, key in entry.pairs if key not in dismissed]
        if pairs:
            result.append(SectionSuggestions(section_id, entry.title, pairs[:LIMIT]))
    return result


def compute(
    synthesis: Synthesis, section_ids: list[int], *, limit: int = LIMIT + RESERVE
) -> dict[int, _Computed]:
    """These sections' pairs, computed now, in a fixed number of queries
    whatever their size (vectors: one read per thousand texts)."""
    sections, notes = _statements(synthesis, section_ids)
    compared = {
        n
        for entries, _ in sections.values()
        if len(entries) > 1
        for e in entries
        for n in e.note_ids
    }
    themes = _themes(compared)
    # Each note read as the answer to its question: the vectors the draft stored.
    texts = list(dict.fromkeys(_in_context(notes[n]) for n in sorted(compared)))
    found = embeddings.vectors_for(texts) if texts else None
    vectors = {} if found is None else dict(zip(texts, found, strict=True))
    result = {}
    for section_id in section_ids:
        statements, title = sections.get(section_id, ([], ""))
        pairs, full = _section_pairs(statements, notes, themes, vectors, limit)
        result[section_id] = _Computed(section_id, title, pairs, full)
    return result


def accept(synthesis: Synthesis, first: tuple[int, int], second: tuple[int, int]):
    """Merge a suggested pair, given as (statement id, version) each, as the
    existing merge does (sources united, texts as sub-bullets). None when
    either statement changed since it was shown (edited, merged, moved,
    removed): then nothing is merged."""
    wanted = dict([first, second])
    if len(wanted) != 2:
        return None
    with transaction.atomic():
        statements = list(
            Statement.objects.select_for_update(of=("self",))
            .filter(pk__in=wanted, section__synthesis=synthesis)
            .select_related("section")
        )
        unchanged = len(statements) == 2 and all(s.version == wanted[s.pk] for s in statements)
        if not unchanged or statements[0].section_id != statements[1].section_id:
            return None
        return editing.merge(synthesis, statements)


def dismiss(synthesis: Synthesis, first_id: int, second_id: int, *, by=None) -> bool:
    """Remember that this pair is not to be merged, for this revision and the
    next ones. Idempotent; False when either statement has gone (or has no
    live note left to remember it by)."""
    notes: dict[int, list[int]] = {first_id: [], second_id: []}
    rows = Statement.sources.through.objects.filter(
        statement_id__in=[first_id, second_id],
        statement__section__synthesis=synthesis,
        contribution__deleted_at__isnull=True,
    ).values_list("statement_id", "contribution_id")
    for statement_id, note_id in rows:
        notes[statement_id].append(note_id)
    key = pair_key(notes[first_id], notes[second_id]) if first_id != second_id else None
    if key is None:
        return False
    DismissedSuggestion.objects.get_or_create(
        workshop_id=synthesis.workshop_id,
        first_note_id=key[0],
        second_note_id=key[1],
        defaults={"by": by},
    )
    return True


# --- Loading -------------------------------------------------------------------------


@dataclass
class _Statement:
    side: Side
    note_ids: list[int]


def _statements(synthesis: Synthesis, section_ids: list[int]):
    """section id -> (its non-quote statements with live sources in reading
    order, its title); and note id -> (group id, text) of those sources. One
    query for the statements, one for their links with the notes."""
    links: dict[int, list[int]] = {}
    notes: dict[int, tuple[int, str]] = {}
    rows = (
        Statement.sources.through.objects.filter(
            statement__section__synthesis=synthesis,
            statement__section__in=section_ids,
            contribution__deleted_at__isnull=True,
        )
        .exclude(statement__kind=Kind.QUOTE)
        .order_by("contribution_id")
        .values_list(
            "statement_id",
            "contribution_id",
            "contribution__group_id",
            "contribution__text",
            "contribution__question__title",
        )
    )
    for statement_id, note_id, group_id, text, question in rows:
        links.setdefault(statement_id, []).append(note_id)
        notes[note_id] = (group_id, text, question)
    statements = (
        Statement.objects.filter(section__synthesis=synthesis, section__in=section_ids)
        .exclude(kind=Kind.QUOTE)
        .order_by("order", "pk")
        .values_list("pk", "section_id", "section__title", "text", "version")
    )
    sections: dict[int, tuple[list[_Statement], str]] = {}
    for pk, section_id, title, text, version in statements:
        if pk in links:
            entries, _title = sections.setdefault(section_id, ([], title))
            entries.append(_Statement(Side(pk, text, version), links[pk]))
    return sections, notes


def _themes(note_ids: set[int]) -> dict[int, list[str]]:
    """note id -> its themes' names (shared themes are evidence for the backend)."""
    rows = (
        Contribution.themes.through.objects.filter(contribution_id__in=sorted(note_ids))
        .order_by("contribution_id", "theme__name")
        .values_list("contribution_id", "theme__name")
    )
    themes: dict[int, list[str]] = {}
    for note_id, name in rows:
        themes.setdefault(note_id, []).append(name)
    return themes


def _dismissed(synthesis: Synthesis) -> set[PairKey]:
    return set(
        DismissedSuggestion.objects.filter(workshop=synthesis.workshop_id).values_list(
            "first_note_id", "second_note_id"
        )
    )


# --- One section ---------------------------------------------------------------------


def _section_pairs(statements, notes, themes, vectors, limit):
    """(pairs best first with their dismissal keys, whether `limit` cut some)."""
    if len(statements) < 2:
        return [], False
    index: dict[int, int] = {}  # note id -> its row in the section's matrix
    members = [[index.setdefault(n, len(index)) for n in s.note_ids] for s in statements]
    ids = list(index)
    texts = [notes[n][1] for n in ids]
    rows = np.vstack([vectors[_in_context(notes[n])] for n in ids]) if vectors else None
    context = Counter(notes[n][2] for n in ids).most_common(1)[0][0]
    sims = similarity.matrix(
        texts, vectors=rows, themes=[themes.get(n, []) for n in ids], context=context
    )
    found = drafting.suggest(sims, members, [notes[n][0] for n in ids], limit=limit)
    pairs = []
    for suggestion in found:
        one, two = statements[suggestion.first], statements[suggestion.second]
        key = pair_key(one.note_ids, two.note_ids)
        pairs.append((Pair(one.side, two.side, suggestion.score), key))
    return pairs, len(found) == limit


def _in_context(note: tuple[int, str, str]) -> str:
    _group, text, question = note
    return similarity.in_context(question, text)


# --- Cache ---------------------------------------------------------------------------


def fingerprints(synthesis: Synthesis) -> dict[int, str]:
    """Section id -> a digest of what its suggestions depend on, sections in
    reading order. Two grouped aggregates: the statements (count, versions,
    last change, title) and their links to notes (which notes, and the
    notes' last change: text, deletion, themes)."""
    statements = (
        Statement.objects.filter(section__synthesis=synthesis)
        .values("section_id", "section__order", "section__title")
        .annotate(n=Count("pk"), ids=Sum("pk"), versions=Sum("version"), at=Max("updated_at"))
        .order_by("section__order", "section_id")
    )
    rows = (
        Statement.sources.through.objects.filter(statement__section__synthesis=synthesis)
        .values("statement__section_id")
        .annotate(
            n=Count("pk"),
            statements=Sum("statement_id"),
            notes=Sum("contribution_id"),
            at=Max("contribution__updated_at"),
        )
        .order_by()
    )
    links = {row.pop("statement__section_id"): row for row in rows}
    return {
        row["section_id"]: hashlib.sha256(
            repr((row, links.get(row["section_id"]))).encode()
        ).hexdigest()[:32]
        for row in statements
    }


def _cache_key(section_id: int, mark: str) -> str:
    return f"suggestions:{CACHE_VERSION}:{settings.DRAFTING_BACKEND}:{section_id}:{mark}"


def _cache_get_many(keys: list[str]) -> dict:
    try:
        return cache.get_many(keys)
    except Exception:  # a cache outage, or a value of older code: compute again
        log.warning("Suggestions cache unavailable; computing", exc_info=True)
        return {}


def _cache_set_many(values: dict) -> None:
    try:
        cache.set_many(values, CACHE_TIMEOUT)
    except Exception:
        log.warning("Suggestions cache unavailable; not kept", exc_info=True)

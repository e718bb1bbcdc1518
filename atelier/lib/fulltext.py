"""French full-text search over any queryset of rows with a `text` column: rank
the matches on ids, then load the rows shown with excerpts. Knows no app's
models: callers hand it querysets with their rights and filters applied, and
the path of the date that orders equal ranks, newest first (web/search.py is
the site's search page).

Two engines, chosen by the database vendor (`rank()` and `excerpts()`):

- **PostgreSQL**: the row's stored vector matched against
  `websearch_to_tsquery('french_unaccent', q)` (so "phrases", `or` and
  `-exclusion` work), ranked with `ts_rank`, excerpts from `ts_headline`.
  `french_unaccent` is the French configuration with `unaccent` before the
  stemmer (migration atelier 0004_search). The table must keep
  `to_tsvector('french_unaccent', text)` in a stored generated column named
  `search_vector` with a GIN index (notes and statements do: atelier and
  synthesis 0005_search_vector): the match is an index scan and ranking reads
  the stored vector, so every match is ranked, at little cost (~30 ms for
  12,000 matching notes of 100,000). Only ids, ranks and dates go through that
  sort; the objects and their `ts_headline` excerpts are then loaded for the
  hits shown.
- **Python** (SQLite, the embedded default, and any other database): no
  full-text engine is assumed. The texts of at most `CANDIDATE_CAP` candidates
  of the queryset (newest first) are matched in Python on folded text (accents
  dropped, case folded): every query word, crudely stemmed (final s/x, then
  final e), must begin a word of the text; French stop words are ignored;
  `-word` excludes. Matches are ranked by the number of matching words. Beyond
  the cap older texts are not searched: a large deployment runs on PostgreSQL.

Excerpts are safe HTML: the text is escaped and only the `<mark>` elements
around matches are markup.
"""

import re

from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Expression,
    Func,
    Model,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Length, Replace
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from atelier.lib.text import SEARCH_STOP_WORDS, fold

TS_CONFIG = "french_unaccent"
VECTOR_COLUMN = "search_vector"
CANDIDATE_CAP = 20_000
EXCERPT_MAX_WORDS = 35
EXCERPT_MIN_WORDS = 15
SHORT_TEXT = 280  # characters: shorter texts are shown whole

# Private-use characters mark the matches in ts_headline's output; the text is
# escaped afterwards and only they become <mark> elements.
_START, _STOP = "\ue000", "\ue001"


def clean_query(query: str | None, max_length: int) -> str:
    """The query as the engines read it: trimmed, at most `max_length` characters."""
    # PostgreSQL refuses NUL characters in a string.
    return (query or "").replace("\x00", "").strip()[:max_length]


def rank(queryset, query, *, limit, date, values=(), count_cap):
    """The best `limit` matches of `queryset` as rows `(pk, rank, date, *values)`
    — best rank first (`ts_rank`, or the number of matching words), then the
    newest `date` (a field path), then the newest row — and how many matched in
    all (PostgreSQL stops counting beyond `count_cap + 1`)."""
    engine = postgresql_rank if connection.vendor == "postgresql" else python_rank
    return engine(queryset, query, limit=limit, date=date, values=values, count_cap=count_cap)


def excerpts(queryset, query, pks) -> dict[int, tuple[Model, SafeString]]:
    """`{pk: (row, excerpt)}` for the rows of `pks` still in `queryset`: only
    these rows are loaded and get an excerpt."""
    if not pks:
        return {}
    engine = postgresql_excerpts if connection.vendor == "postgresql" else python_excerpts
    return engine(queryset, query, pks)


# --- PostgreSQL --------------------------------------------------------------------------


class StoredVector(Expression):
    """The `search_vector` column PostgreSQL keeps for a table
    (`to_tsvector('french_unaccent', text)`, GIN-indexed; migrations
    0005_search_vector). Not a model field, so that loading notes never fetches
    it: this reads it from the queryset's own table."""

    def __init__(self):
        from django.contrib.postgres.search import SearchVectorField

        super().__init__(output_field=SearchVectorField())

    def as_sql(self, compiler, connection):
        table = compiler.quote_name(compiler.query.base_table)
        return f"{table}.{compiler.quote_name(VECTOR_COLUMN)}", []


class Matches(Func):
    """`vector @@ query`, usable directly in `filter()`."""

    template = "(%(expressions)s)"
    arg_joiner = " @@ "
    output_field = BooleanField()


class HtmlEscaped(Func):
    """The column escaped for HTML in SQL, as django.utils.html.escape does."""

    def __init__(self, expression, **extra):
        escaped = expression
        for char, entity in _HTML_ENTITIES:
            escaped = Replace(escaped, Value(char), Value(entity))
        super().__init__(escaped, output_field=TextField(), **extra)

    template = "%(expressions)s"


_HTML_ENTITIES = [("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;"), ("'", "&#x27;")]


def tsquery(query):
    """`websearch_to_tsquery('french_unaccent', query)`."""
    from django.contrib.postgres.search import SearchQuery

    return SearchQuery(query, config=TS_CONFIG, search_type="websearch")


def postgresql_rank(queryset, query, *, limit, date, values=(), count_cap):
    """Every match is ranked, from its stored vector; only ids, ranks and dates
    go through the sort."""
    from django.contrib.postgres.search import SearchRank

    wanted = tsquery(query)
    matching = queryset.filter(Matches(StoredVector(), wanted))
    rows = list(
        matching.annotate(rank=SearchRank(StoredVector(), wanted))
        .order_by("-rank", f"-{date}", "-pk")
        .values_list("pk", "rank", date, *values)[:limit]
    )
    total = len(rows) if len(rows) < limit else matching.order_by()[: count_cap + 1].count()
    return rows, total


def postgresql_excerpts(queryset, query, pks):
    """Excerpts from ts_headline, run on these rows only."""
    from django.contrib.postgres.search import SearchHeadline

    wanted = tsquery(query)
    options = {"config": TS_CONFIG, "start_sel": _START, "stop_sel": _STOP}
    headline = Case(
        # A short note is shown whole, a long text around its best passage.
        When(
            text_length__lte=SHORT_TEXT,
            then=SearchHeadline(HtmlEscaped("text"), wanted, highlight_all=True, **options),
        ),
        default=SearchHeadline(
            HtmlEscaped("text"),
            wanted,
            max_words=EXCERPT_MAX_WORDS,
            min_words=EXCERPT_MIN_WORDS,
            **options,
        ),
    )
    rows = queryset.alias(text_length=Length("text")).annotate(headline=headline).in_bulk(pks)
    return {pk: (row, _headline_excerpt(row.text, row.headline, query)) for pk, row in rows.items()}


def _headline_excerpt(text, headline, query):
    """ts_headline ran on the escaped text: turn its sentinels into <mark>.

    Escaping first matters: on raw text PostgreSQL's parser takes "<b>" for a
    tag and ts_headline drops it, and it would hand back any markup unescaped."""
    if headline is None or _START in text or _STOP in text or "<" in headline or ">" in headline:
        # A sentinel typed in the text (or anything unexpected): highlight in Python.
        return python_excerpt(text, _parse_query(query)[0])
    html = headline.replace(_START, "<mark>").replace(_STOP, "</mark>")
    plain = headline.replace(_START, "").replace(_STOP, "").strip()
    escaped = escape(text).strip()
    if not escaped.startswith(plain):
        html = "… " + html
    if not escaped.endswith(plain):
        html += " …"
    return mark_safe(html)  # noqa: S308 — escaped in SQL (HtmlEscaped); only <mark> added


# --- Python (SQLite and any other database) ----------------------------------------------

_WORD = re.compile(r"\w+")


def stem(word):
    """A crude French stem of a folded word: "secretes" → "secret"."""
    if len(word) > 3 and word[-1] in "sx":
        word = word[:-1]
    if len(word) > 4 and word.endswith("e"):
        word = word[:-1]
    return word


def _parse_query(query):
    """(wanted stems, excluded stems) of a query."""
    wanted, excluded = [], []
    for chunk in fold(query).split():
        target = excluded if chunk.startswith("-") else wanted
        target += [stem(word) for word in _WORD.findall(chunk) if word not in SEARCH_STOP_WORDS]
    return wanted, excluded


def _word_matches(folded_word, stems):
    return any(folded_word == s or (len(s) >= 3 and folded_word.startswith(s)) for s in stems)


def _score(text, wanted, excluded):
    """How many words of `text` match; 0 unless every wanted stem matches and
    no excluded one does."""
    words = [fold(word) for word in _WORD.findall(text)]
    if excluded and any(_word_matches(word, excluded) for word in words):
        return 0
    if not all(any(_word_matches(word, [s]) for word in words) for s in wanted):
        return 0
    return sum(1 for word in words if _word_matches(word, wanted))


def python_rank(queryset, query, *, limit, date, values=(), count_cap=None):
    """The newest `CANDIDATE_CAP` rows matched in Python, ranked by their
    matching words; the scan counts every match (`count_cap` is not needed)."""
    wanted, excluded = _parse_query(query)
    if not wanted:
        return [], 0
    candidates = queryset.order_by(f"-{date}", "-pk").values_list("pk", "text", date, *values)
    rows = []
    for pk, text, *rest in candidates[:CANDIDATE_CAP].iterator(chunk_size=2000):
        if score := _score(text, wanted, excluded):
            rows.append((pk, score, *rest))
    # Stable sort: equal scores keep the newest-first order of the scan.
    rows.sort(key=lambda row: -row[1])
    return rows[:limit], len(rows)


def python_excerpts(queryset, query, pks):
    wanted, _excluded = _parse_query(query)
    rows = queryset.in_bulk(pks)
    return {pk: (row, python_excerpt(row.text, wanted)) for pk, row in rows.items()}


def python_excerpt(text, stems, *, max_words=EXCERPT_MAX_WORDS, before=10):
    """About `max_words` words around the first match, escaped, matches in <mark>."""
    tokens = list(_WORD.finditer(text))
    if not tokens:
        return escape(text[:300])
    matched = [i for i, m in enumerate(tokens) if _word_matches(fold(m.group()), stems)]
    first = matched[0] if matched else 0
    if len(text) <= SHORT_TEXT:
        start_index, end_index = 0, len(tokens)
    else:
        start_index = max(0, first - before)
        end_index = min(len(tokens), start_index + max_words)
    start = 0 if start_index == 0 else tokens[start_index].start()
    end = len(text) if end_index == len(tokens) else tokens[end_index - 1].end()
    parts, position = [], start
    for i in matched:
        if start_index <= i < end_index:
            token = tokens[i]
            parts += [escape(text[position : token.start()]), "<mark>", escape(token.group())]
            parts.append("</mark>")
            position = token.end()
    parts.append(escape(text[position:end]))
    html = "".join(parts).strip()
    if start > 0:
        html = "… " + html
    if end < len(text.rstrip()):
        html += " …"
    return mark_safe(html)  # noqa: S308 — every piece of text is escaped

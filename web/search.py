"""French full-text search over group notes, synthesis statements and quotes.

What a search may return (the same rules as the pages the hits link to):

- **Notes** (alive `Contribution` rows, any kind) are working material: the
  participants' words as typed during the day, not yet checked, grouped or
  anonymised. They follow the board's rule (`permissions.get_group_for_reader`):
  coordinators, and the animators of any group of the note's workshop. A
  delegate's territories never open notes; a public workshop does not either.
  Anonymous users never get notes.
- **Statements and quotes** (`Statement` rows; kind "quote" makes a quote)
  come only from each workshop's *latest published* revision: drafts, revisions
  in review and superseded publications are never searched, for anybody (the
  coordination searches drafts in the editor; a hit links to the published page,
  where a draft statement would not be). Who reads them is
  `permissions.can_read_published`, as a queryset: everybody for a public
  workshop; the people who see the workshop (`permissions.workshops_of`: its
  animators, the delegates of its territories); every delegate for a national
  workshop; coordinators for all.
- Inactive accounts are treated as anonymous.

Filters narrow the hits: workshop (slug), territory (id, descendants included
through `Territory.objects.covered_by`), kind (`Kind`), theme (id: notes
carrying the theme, statements with an alive source note carrying it) and the
workshop's date range.

Two engines, chosen by the database vendor:

- **PostgreSQL**: `to_tsvector('french_unaccent', text)` matched against
  `websearch_to_tsquery('french_unaccent', q)` (so "phrases", `or` and
  `-exclusion` work), ranked with `ts_rank`, excerpts from `ts_headline`.
  `french_unaccent` is the French configuration with `unaccent` before the
  stemmer (migration atelier 0004_search). Notes and statements keep that
  vector in a stored generated column with a GIN index (atelier and synthesis
  0005_search_vector): the match is an index scan and ranking reads the stored
  vector, so every match is ranked, at little cost (~30 ms for 12,000 matching
  notes of 100,000). Only ids, ranks and dates go through that sort; the
  objects and their `ts_headline` excerpts are then loaded for the hits shown.
- **SQLite** (the embedded default): no full-text engine is assumed. Rights
  and filters are applied in SQL; the texts of at most `SQLITE_CANDIDATE_CAP`
  candidates of each sort (newest workshops first) are then matched in Python
  on folded text (accents dropped, case folded): every query word, crudely
  stemmed (final s/x, then final e), must begin a word of the text; French
  stop words are ignored; `-word` excludes. Hits are ranked by the number of
  matching words. Beyond the cap older texts are not searched: a large
  deployment runs on PostgreSQL.

Excerpts are safe HTML: the text is escaped and only the `<mark>` elements
around matches are markup.
"""

import datetime
import re
from dataclasses import dataclass, field

from django import forms
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Exists,
    Expression,
    Func,
    OuterRef,
    Q,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Length, Replace
from django.forms.utils import flatatt
from django.shortcuts import render
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST, require_safe

from atelier import permissions
from atelier.forms import parse_int as _int
from atelier.lib.text import SEARCH_STOP_WORDS, fold
from atelier.models import Contribution, Kind, Theme, Workshop
from synthesis.models import Statement, Synthesis
from territories.models import Territory

TS_CONFIG = "french_unaccent"
VECTOR_COLUMN = "search_vector"
SQLITE_CANDIDATE_CAP = 20_000
QUERY_MAX_LENGTH = 200
EXCERPT_MAX_WORDS = 35
EXCERPT_MIN_WORDS = 15
SHORT_TEXT = 280  # characters: shorter texts are shown whole

NOTE, STATEMENT, QUOTE = "note", "statement", "quote"
NOTE_WORKSHOP = "group__round__workshop"
STATEMENT_WORKSHOP = "section__synthesis__workshop"

# Private-use characters mark the matches in ts_headline's output; the text is
# escaped afterwards and only they become <mark> elements.
_START, _STOP = "\ue000", "\ue001"


@dataclass
class Hit:
    type: str  # NOTE, STATEMENT or QUOTE
    object: Contribution | Statement
    workshop: Workshop
    text: str
    excerpt: SafeString
    rank: float
    date: datetime.date

    @property
    def type_label(self):
        return {NOTE: _("Note"), STATEMENT: _("Énoncé"), QUOTE: _("Parole")}[self.type]


# Beyond this many matches the page says "more than": counting 12,000 matches
# exactly costs as much as ranking them, and tells a reader nothing more.
COUNT_CAP = 1000


@dataclass
class SearchResults:
    hits: list[Hit] = field(default_factory=list)
    total: int = 0  # at most COUNT_CAP + 1

    @property
    def capped(self):
        return self.total > COUNT_CAP

    @property
    def cap(self):
        return COUNT_CAP


# --- Rights, as querysets ----------------------------------------------------------------


def _active(user):
    return user.is_authenticated and user.is_active


def readable_notes(user):
    """Alive notes the user may read: coordinators all; animators those of the
    workshops where they animate a group; nobody else any."""
    notes = Contribution.objects.alive()
    if permissions.is_coordinator(user):
        return notes
    if not _active(user):
        return notes.none()
    animated = Workshop.objects.filter(rounds__groups__animators=user).values("pk")
    return notes.filter(**{f"{NOTE_WORKSHOP}__in": animated})


def readable_statements(user):
    """Statements of the latest published revisions the user may read
    (`permissions.can_read_published` as a queryset)."""
    statements = Statement.objects.filter(
        section__synthesis__in=Synthesis.objects.latest_published().values("pk")
    )
    if permissions.is_coordinator(user):
        return statements
    condition = Q(**{f"{STATEMENT_WORKSHOP}__is_public": True})
    if _active(user):
        condition |= Q(**{f"{STATEMENT_WORKSHOP}__in": permissions.workshops_of(user).values("pk")})
        if user.is_delegate:
            condition |= Q(**{f"{STATEMENT_WORKSHOP}__territory__isnull": True})
    return statements.filter(condition)


def readable_workshops(user):
    """Workshops where the user may find something: the filter's choices."""
    if permissions.is_coordinator(user):
        return Workshop.objects.all()
    condition = Q(is_public=True)
    if _active(user):
        condition |= Q(pk__in=permissions.workshops_of(user).values("pk"))
        if user.is_delegate:
            condition |= Q(territory__isnull=True)
    return Workshop.objects.filter(condition)


def filter_territories(user):
    """The territories of the readable workshops and those above them."""
    paths = readable_workshops(user).filter(territory__isnull=False)
    paths = set(paths.values_list("territory__path", flat=True))
    prefixes = {path[: match.end()] for path in paths for match in re.finditer("/", path)}
    return Territory.objects.filter(path__in=prefixes)


# --- Filters -----------------------------------------------------------------------------


def _filtered(queryset, prefix, *, workshop, territory, kind, date_from, date_to):
    if workshop is not None:
        slug = workshop.slug if isinstance(workshop, Workshop) else workshop
        queryset = queryset.filter(**{f"{prefix}__slug": slug})
    if territory is not None:
        if not isinstance(territory, Territory):
            territory = Territory.objects.filter(pk=territory).first()
            if territory is None:
                return queryset.none()
        covered = Territory.objects.covered_by([territory]).values("pk")
        queryset = queryset.filter(**{f"{prefix}__territory__in": covered})
    if kind:
        queryset = queryset.filter(kind=kind)
    if date_from is not None:
        queryset = queryset.filter(**{f"{prefix}__date__gte": _as_date(date_from)})
    if date_to is not None:
        queryset = queryset.filter(**{f"{prefix}__date__lte": _as_date(date_to)})
    return queryset


def _as_date(value):
    return datetime.date.fromisoformat(value) if isinstance(value, str) else value


def _theme_id(theme):
    return theme.pk if isinstance(theme, Theme) else int(theme)


# --- Search ------------------------------------------------------------------------------


def search(
    user,
    query: str,
    *,
    workshop=None,
    territory=None,
    kind=None,
    theme=None,
    date_from=None,
    date_to=None,
    limit=50,
) -> SearchResults:
    """The best `limit` hits the user may read, and how many matched in all.

    `workshop` is a slug (or a Workshop), `territory` and `theme` ids (or
    instances), dates `datetime.date` or ISO strings. An empty query finds nothing.
    """
    # PostgreSQL refuses NUL characters in a string.
    query = (query or "").replace("\x00", "").strip()[:QUERY_MAX_LENGTH]
    if not query or limit <= 0:
        return SearchResults()
    filters = {
        "workshop": workshop,
        "territory": territory,
        "kind": kind,
        "date_from": date_from,
        "date_to": date_to,
    }
    notes = _filtered(readable_notes(user), NOTE_WORKSHOP, **filters).select_related(NOTE_WORKSHOP)
    statements = _filtered(readable_statements(user), STATEMENT_WORKSHOP, **filters).select_related(
        STATEMENT_WORKSHOP
    )
    if theme is not None:
        theme_id = _theme_id(theme)
        notes = notes.filter(themes=theme_id)
        themed_source = Contribution.objects.alive().filter(
            statements=OuterRef("pk"), themes=theme_id
        )
        statements = statements.filter(Exists(themed_source))
    if connection.vendor == "postgresql":
        rank, load = _postgresql_rank, _postgresql_hits
    else:
        rank, load = _python_rank, _python_hits
    # Rank first, on narrow rows; then load the objects and excerpts of the
    # hits shown only, the best `limit` of both sorts.
    note_matches, note_total = rank(notes, query, limit, NOTE_WORKSHOP)
    statement_matches, statement_total = rank(statements, query, limit, STATEMENT_WORKSHOP)
    shown = sorted(note_matches + statement_matches, key=Match.order)[:limit]
    hits = [
        *load(notes, query, [match for match in shown if match.type == NOTE]),
        *load(statements, query, [match for match in shown if match.type != NOTE]),
    ]
    hits.sort(key=lambda hit: (-hit.rank, -hit.date.toordinal(), hit.type, -hit.object.pk))
    return SearchResults(hits=hits, total=min(note_total + statement_total, COUNT_CAP + 1))


@dataclass(frozen=True)
class Match:
    """A hit before its object is loaded: what orders the hits of all sorts."""

    pk: int
    type: str
    rank: float
    date: datetime.date

    def order(self):
        """Best first: rank, then the newest workshop, then the newest row."""
        return (-self.rank, -self.date.toordinal(), self.type, -self.pk)


def _match(queryset, pk, kind, rank, date):
    if queryset.model is Contribution:
        return Match(pk=pk, type=NOTE, rank=float(rank or 0), date=date)
    type_ = QUOTE if kind == Kind.QUOTE else STATEMENT
    return Match(pk=pk, type=type_, rank=float(rank or 0), date=date)


def _hit(obj, match, excerpt):
    workshop = obj.group.round.workshop if match.type == NOTE else obj.section.synthesis.workshop
    return Hit(
        type=match.type,
        object=obj,
        workshop=workshop,
        text=obj.text,
        excerpt=excerpt,
        rank=match.rank,
        date=workshop.date,
    )


# --- PostgreSQL --------------------------------------------------------------------------


class StoredVector(Expression):
    """The `search_vector` column PostgreSQL keeps for notes and statements
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


def _tsquery(query):
    from django.contrib.postgres.search import SearchQuery

    return SearchQuery(query, config=TS_CONFIG, search_type="websearch")


def _postgresql_rank(queryset, query, limit, workshop_path):
    """The best `limit` matches and how many matched in all. Every match is
    ranked, from its stored vector; only ids, ranks and dates go through the
    sort."""
    from django.contrib.postgres.search import SearchRank

    tsquery = _tsquery(query)
    matching = queryset.filter(Matches(StoredVector(), tsquery))
    rows = list(
        matching.annotate(rank=SearchRank(StoredVector(), tsquery))
        .order_by("-rank", f"-{workshop_path}__date", "-pk")
        .values_list("pk", "kind", "rank", f"{workshop_path}__date")[:limit]
    )
    total = len(rows) if len(rows) < limit else matching.order_by()[: COUNT_CAP + 1].count()
    return [_match(queryset, *row) for row in rows], total


def _postgresql_hits(queryset, query, matches):
    """The hits of `matches`, with excerpts from ts_headline (run on these rows only)."""
    from django.contrib.postgres.search import SearchHeadline

    if not matches:
        return []
    tsquery = _tsquery(query)
    options = {"config": TS_CONFIG, "start_sel": _START, "stop_sel": _STOP}
    headline = Case(
        # A short note is shown whole, a long text around its best passage.
        When(
            text_length__lte=SHORT_TEXT,
            then=SearchHeadline(HtmlEscaped("text"), tsquery, highlight_all=True, **options),
        ),
        default=SearchHeadline(
            HtmlEscaped("text"),
            tsquery,
            max_words=EXCERPT_MAX_WORDS,
            min_words=EXCERPT_MIN_WORDS,
            **options,
        ),
    )
    objects = (
        queryset.alias(text_length=Length("text"))
        .annotate(headline=headline)
        .in_bulk([match.pk for match in matches])
    )
    hits = []
    for match in matches:
        if obj := objects.get(match.pk):  # gone since it was ranked
            hits.append(_hit(obj, match, _headline_excerpt(obj.text, obj.headline, query)))
    return hits


def _headline_excerpt(text, headline, query):
    """ts_headline ran on the escaped text: turn its sentinels into <mark>.

    Escaping first matters: on raw text PostgreSQL's parser takes "<b>" for a
    tag and ts_headline drops it, and it would hand back any markup unescaped."""
    if headline is None or _START in text or _STOP in text or "<" in headline or ">" in headline:
        # A sentinel typed in the text (or anything unexpected): highlight in Python.
        return _python_excerpt(text, _parse_query(query)[0])
    html = headline.replace(_START, "<mark>").replace(_STOP, "</mark>")
    plain = headline.replace(_START, "").replace(_STOP, "").strip()
    escaped = escape(text).strip()
    if not escaped.startswith(plain):
        html = "… " + html
    if not escaped.endswith(plain):
        html += " …"
    return mark_safe(html)  # noqa: S308 — escaped in SQL (HtmlEscaped); only <mark> added


# --- SQLite (and any other database): match in Python ------------------------------------

_WORD = re.compile(r"\w+")
STOP_WORDS = SEARCH_STOP_WORDS


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
        target += [stem(word) for word in _WORD.findall(chunk) if word not in STOP_WORDS]
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


def _python_rank(queryset, query, limit, workshop_path):
    wanted, excluded = _parse_query(query)
    if not wanted:
        return [], 0
    candidates = queryset.order_by(f"-{workshop_path}__date", "-pk").values_list(
        "pk", "kind", "text", f"{workshop_path}__date"
    )
    matches = []
    for pk, kind, text, date in candidates[:SQLITE_CANDIDATE_CAP].iterator(chunk_size=2000):
        if score := _score(text, wanted, excluded):
            matches.append(_match(queryset, pk, kind, score, date))
    # Stable sort: equal scores keep the newest-first order of the scan.
    matches.sort(key=lambda match: -match.rank)
    return matches[:limit], len(matches)


def _python_hits(queryset, query, matches):
    if not matches:
        return []
    wanted, _excluded = _parse_query(query)
    objects = queryset.in_bulk([match.pk for match in matches])
    hits = []
    for match in matches:
        if obj := objects.get(match.pk):  # gone since it was ranked
            hits.append(_hit(obj, match, _python_excerpt(obj.text, wanted)))
    return hits


def _python_excerpt(text, stems, *, max_words=EXCERPT_MAX_WORDS, before=10):
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


# --- The page ----------------------------------------------------------------------------


class QuickSelect(forms.Select):
    """A `<select>` written in Python, as Django's templates write it (option
    groups aside: these lists have none). The templates render each option
    through two includes, ~0.15 ms an option on a slow server, and the
    coordination's lists hold every workshop and territory."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        options = format_html_join(
            "\n",
            '<option value="{}"{}>{}</option>',
            (
                (option["value"], flatatt(option["attrs"]), option["label"])
                for _group, group_options, _index in widget["optgroups"]
                for option in group_options
            ),
        )
        return format_html(
            '<select name="{}"{}>\n{}\n</select>', widget["name"], flatatt(widget["attrs"]), options
        )


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Rechercher"),
        required=False,
        max_length=QUERY_MAX_LENGTH,
        widget=forms.TextInput(attrs={"type": "search"}),
        help_text=_("Accents et majuscules sont indifférents ; « -mot » exclut un mot."),
    )
    atelier = forms.ModelChoiceField(
        label=_("Atelier"),
        widget=QuickSelect,
        queryset=Workshop.objects.none(),
        to_field_name="slug",
        required=False,
        empty_label=_("Tous les ateliers"),
    )
    territoire = forms.ModelChoiceField(
        label=_("Territoire"),
        widget=QuickSelect,
        queryset=Territory.objects.none(),
        required=False,
        empty_label=_("Tous les territoires"),
    )
    type = forms.ChoiceField(
        label=_("Type"),
        choices=[("", _("Tous les types")), *Kind.choices],
        required=False,
        widget=QuickSelect,
    )
    theme = forms.ModelChoiceField(
        label=_("Thème"),
        widget=QuickSelect,
        queryset=Theme.objects.all(),
        required=False,
        empty_label=_("Tous les thèmes"),
    )
    du = forms.DateField(
        label=_("Du"),
        required=False,
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )
    au = forms.DateField(
        label=_("Au"),
        required=False,
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # Only workshops and territories the user could find something in: the
        # list must not reveal the others.
        self.fields["atelier"].queryset = readable_workshops(user).order_by("-date", "title")
        self.fields["territoire"].queryset = filter_territories(user).order_by("path")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("du") and cleaned.get("au") and cleaned["du"] > cleaned["au"]:
            raise forms.ValidationError(_("La date de début suit la date de fin."))
        return cleaned


@require_safe
def search_view(request):
    form = SearchForm(request.GET or None, user=request.user)
    results = None
    if form.is_bound and form.is_valid() and form.cleaned_data["q"].strip():
        data = form.cleaned_data
        results = search(
            request.user,
            data["q"],
            workshop=data["atelier"],
            territory=data["territoire"],
            kind=data["type"] or None,
            theme=data["theme"],
            date_from=data["du"],
            date_to=data["au"],
        )
    can_tag = permissions.is_coordinator(request.user)
    return render(
        request,
        "atelier/search.html",
        {
            "form": form,
            "results": results,
            "query": form.data.get("q", ""),
            "can_tag": can_tag,
            "tag_themes": Theme.objects.all() if can_tag and results else [],
        },
    )


@login_required
@require_POST
def tag_view(request):
    """The coordination classes ticked results under a theme: notes directly,
    statements through their source notes."""
    from django.contrib import messages
    from django.shortcuts import redirect
    from django.utils.translation import gettext

    permissions.require_coordinator(request.user)
    theme = Theme.objects.filter(pk=_int(request.POST.get("theme"))).first()
    ids = [_int(v) for v in request.POST.getlist("notes")]
    statement_ids = [_int(v) for v in request.POST.getlist("statements")]
    notes = (
        Contribution.objects.alive()
        .filter(
            Q(pk__in=[i for i in ids if i]) | Q(statements__pk__in=[i for i in statement_ids if i])
        )
        .distinct()
    )
    if theme is None or not notes.exists():
        messages.error(request, gettext("Cochez des résultats et choisissez un thème."))
    else:
        through = Contribution.themes.through
        already = set(through.objects.filter(theme=theme).values_list("contribution_id", flat=True))
        fresh = [n for n in notes.values_list("pk", flat=True) if n not in already]
        through.objects.bulk_create([through(contribution_id=n, theme=theme) for n in fresh])
        messages.success(
            request,
            gettext("%(n)s note·s classée·s sous « %(theme)s ».")
            % {"n": len(fresh), "theme": theme.name},
        )
    back = request.POST.get("next", "")
    return redirect(back if back.startswith("/recherche/") else "search")

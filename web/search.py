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

The words are matched by `atelier/lib/fulltext.py` (PostgreSQL full-text
search on stored vectors, or a Python fallback elsewhere): it ranks on ids,
then loads only the hits shown, with safe HTML excerpts. Here: what is
searched, for whom, and the page (form, results, bulk classing under a theme).
The page stays beside the rights, a little over 400 lines: its filter lists
are those rights (a list must not name a workshop the user cannot search).
"""

import datetime
import re
from dataclasses import dataclass, field

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Exists, OuterRef, Q
from django.forms.utils import flatatt
from django.shortcuts import redirect, render
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST, require_safe

from atelier import markup, permissions
from atelier.forms import parse_int as _int
from atelier.lib import fulltext
from atelier.lib.http import safe_next
from atelier.models import Contribution, Kind, Theme, Workshop
from synthesis.models import Statement, Synthesis
from territories.models import Territory

QUERY_MAX_LENGTH = 200

NOTE, STATEMENT, QUOTE = "note", "statement", "quote"
NOTE_WORKSHOP = "group__round__workshop"
STATEMENT_WORKSHOP = "section__synthesis__workshop"


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
    query = fulltext.clean_query(query, QUERY_MAX_LENGTH)
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
    # Rank first, on narrow rows; then load the objects and excerpts of the
    # hits shown only, the best `limit` of both sorts.
    note_matches, note_total = _rank(notes, query, limit, NOTE_WORKSHOP)
    statement_matches, statement_total = _rank(statements, query, limit, STATEMENT_WORKSHOP)
    shown = sorted(note_matches + statement_matches, key=Match.order)[:limit]
    hits = [
        *_hits(notes, query, [match for match in shown if match.type == NOTE]),
        *_hits(statements, query, [match for match in shown if match.type != NOTE]),
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


def _rank(queryset, query, limit, workshop_path):
    """The best `limit` matches of one sort, and how many matched in all."""
    rows, total = fulltext.rank(
        queryset,
        query,
        limit=limit,
        date=f"{workshop_path}__date",
        values=("kind",),
        count_cap=COUNT_CAP,
    )
    return [_match(queryset, *row) for row in rows], total


def _match(queryset, pk, rank, date, kind):
    if queryset.model is Contribution:
        return Match(pk=pk, type=NOTE, rank=float(rank or 0), date=date)
    type_ = QUOTE if kind == Kind.QUOTE else STATEMENT
    return Match(pk=pk, type=type_, rank=float(rank or 0), date=date)


def _hits(queryset, query, matches):
    """The hits of `matches`, with their excerpts (made for these rows only)."""
    loaded = fulltext.excerpts(queryset, query, [match.pk for match in matches])
    # A row gone since it was ranked is left out.
    return [_hit(*loaded[match.pk], match) for match in matches if match.pk in loaded]


def _hit(obj, excerpt, match):
    workshop = obj.group.round.workshop if match.type == NOTE else obj.section.synthesis.workshop
    return Hit(
        type=match.type,
        object=obj,
        workshop=workshop,
        text=obj.text,
        excerpt=_without_markup(excerpt),
        rank=match.rank,
        date=workshop.date,
    )


def _without_markup(excerpt):
    """Stripped, not rendered: an excerpt is cut anywhere, often inside a
    **bold** span, and already carries its <mark>s. Only markup characters are
    removed from the escaped HTML, so it stays safe."""
    return mark_safe(markup.plain(excerpt).replace("**", "").replace("__", ""))  # noqa: S308


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
        # The one way to tag notes: live boards see the tags on their next poll.
        fresh = Contribution.objects.filter(pk__in=notes.values("pk")).tag(theme)
        messages.success(
            request,
            ngettext(
                "%(n)s note classée sous « %(theme)s ».",
                "%(n)s notes classées sous « %(theme)s ».",
                fresh,
            )
            % {"n": fresh, "theme": theme.name},
        )
    return redirect(safe_next(request, request.POST.get("next"), within="/recherche/") or "search")

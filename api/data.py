"""The API's and the dataset's rows, as plain dicts: one way to read
workshops, syntheses, statements, territories, themes and figures, so that the
JSON answers and the CSV files never disagree.

Every function takes a queryset the caller has already narrowed to what the
reader may see (api/access.py) and costs a fixed number of queries whatever
the number of rows. No note text, no participant and no user leaves here:
a statement carries its support counted from its source notes (how many
groups, which actor types, which themes), never the notes themselves."""

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Exists, OuterRef, Prefetch, QuerySet, Sum
from django.db.models.functions import TruncQuarter
from django.utils import timezone
from django.utils.translation import ngettext

from atelier import markup
from atelier.models import Contribution, Kind, Theme, WorkingGroup, Workshop
from synthesis.exports.opendata import actor_types_of, statement_fields
from synthesis.models import Section, Statement, Synthesis
from territories.models import NoteCount, Territory, ThemeCount


@dataclass(frozen=True)
class Filters:
    """The filters every list accepts (each where it means something)."""

    territory: Territory | None = None  # the territory and everything beneath it
    date_from: date | None = None  # the workshop's date, inclusive
    date_to: date | None = None
    theme: Theme | None = None  # a source note of the statement carries it
    kind: str | None = None  # the statement's kind


def filter_workshops(queryset: QuerySet, filters: Filters, prefix: str = "") -> QuerySet:
    """Territory and dates, on a queryset whose workshop is at `prefix`."""
    if filters.territory is not None:
        covered = Territory.objects.covered_by([filters.territory]).values("pk")
        queryset = queryset.filter(**{f"{prefix}territory__in": covered})
    if filters.date_from:
        queryset = queryset.filter(**{f"{prefix}date__gte": filters.date_from})
    if filters.date_to:
        queryset = queryset.filter(**{f"{prefix}date__lte": filters.date_to})
    return queryset


def _tagged(theme: Theme, statement: str = "pk"):
    """A live source note of the statement carries `theme`."""
    tags = Contribution.themes.through.objects.filter(
        theme=theme,
        contribution__deleted_at__isnull=True,
        contribution__statements=OuterRef(statement),
    )
    return Exists(tags)


def filter_statements(queryset: QuerySet, filters: Filters) -> QuerySet:
    queryset = filter_workshops(queryset, filters, "section__synthesis__workshop__")
    if filters.kind:
        queryset = queryset.filter(kind=filters.kind)
    if filters.theme is not None:
        queryset = queryset.filter(_tagged(filters.theme))
    return queryset


def filter_syntheses(queryset: QuerySet, filters: Filters) -> QuerySet:
    """Syntheses of the workshops filtered, holding a statement of the kind or
    theme asked for."""
    queryset = filter_workshops(queryset, filters, "workshop__")
    if filters.kind or filters.theme is not None:
        statements = filter_statements(
            Statement.objects.filter(section__synthesis=OuterRef("pk")),
            Filters(kind=filters.kind, theme=filters.theme),
        )
        queryset = queryset.filter(Exists(statements))
    return queryset


# --- Rows ---------------------------------------------------------------------------


def territory_row(territory: Territory | None) -> dict | None:
    if territory is None:
        return None
    return {
        "id": territory.pk,
        "code": territory.code,
        "level": territory.level,
        "name": territory.name,
        "parent_id": territory.parent_id,
    }


def workshop_rows(queryset: QuerySet) -> list[dict]:
    workshops = queryset.select_related("territory").prefetch_related("carriers", "supporters")
    return [workshop_row(w) for w in workshops]


def workshop_row(workshop: Workshop) -> dict:
    return {
        "slug": workshop.slug,
        "title": workshop.title,
        "date": workshop.date,
        "format": workshop.format,
        "is_public": workshop.is_public,
        "archived": workshop.archived_at is not None,
        "territory": territory_row(workshop.territory),
        "carriers": [org.name for org in workshop.carriers.all()],
        "supporters": [org.name for org in workshop.supporters.all()],
    }


def synthesis_rows(queryset: QuerySet) -> list[dict]:
    syntheses = queryset.select_related("workshop__territory").annotate(
        statement_count=Count("sections__statements")
    )
    return [synthesis_row(s) for s in syntheses]


def synthesis_row(synthesis: Synthesis) -> dict:
    workshop = synthesis.workshop
    return {
        "workshop": workshop.slug,
        "title": workshop.title,
        "date": workshop.date,
        "territory": territory_row(workshop.territory),
        "revision": synthesis.revision,
        "published_at": timezone.localtime(synthesis.published_at),
        "statement_count": getattr(synthesis, "statement_count", None),
        "url": synthesis.get_absolute_url(),
    }


def synthesis_document(synthesis: Synthesis) -> dict:
    """One published synthesis with its sections, statements and quotes
    grouped by the speaker's actor type, as on its page."""
    sections = list(synthesis.sections.select_related("round").order_by("order"))
    statements = statement_rows(
        Statement.objects.filter(section__synthesis=synthesis).order_by("order", "pk")
    )
    by_section: dict[int, list[dict]] = {}
    for row in statements:
        by_section.setdefault(row["section"]["id"], []).append(row)
    return {
        **synthesis_row(synthesis),
        "statement_count": len(statements),
        "intro": synthesis.intro,
        "intro_plain": markup.plain(synthesis.intro),
        "sections": [_section_document(s, by_section.get(s.pk, [])) for s in sections],
    }


def _section_document(section: Section, rows: list[dict]) -> dict:
    quotes: dict[str | None, list[dict]] = {}
    others = []
    for row in rows:
        if row["kind"] == Kind.QUOTE:
            quotes.setdefault(row["speaker_actor_type"], []).append(row)
        else:
            others.append(row)
    return {
        "order": section.order,
        "title": section.title,
        "round": section.round.order if section.round else None,
        "statements": others,
        "quotes": [{"actor_type": name, "statements": rows} for name, rows in quotes.items()],
    }


def statement_rows(queryset: QuerySet) -> list[dict]:
    """Statements with their support, in five queries: the statements, their
    live source notes with the groups' actor types, the notes' themes, and
    the number of groups of each round."""
    notes = (
        Contribution.objects.alive()
        .select_related("group__actor_type", "speaker_actor_type")
        .only(
            "pk",
            "group__id",
            "group__actor_type__name",
            "speaker_actor_type__name",
            "kind",
        )
        .prefetch_related(Prefetch("themes", queryset=Theme.objects.only("slug", "name")))
    )
    statements = list(
        queryset.select_related(
            "speaker_actor_type", "section__round", "section__synthesis__workshop"
        ).prefetch_related(Prefetch("sources", queryset=notes))
    )
    rounds = {s.section.round_id for s in statements if s.section.round_id}
    totals = dict(
        WorkingGroup.objects.filter(round__in=rounds)
        .values_list("round")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return [statement_row(s, totals) for s in statements]


def statement_row(statement: Statement, group_totals: dict[int, int]) -> dict:
    notes = list(statement.sources.all())
    section = statement.section
    groups = len({n.group_id for n in notes})
    total = group_totals.get(section.round_id) if section.round_id else None
    themes = {t.slug: t.name for n in notes for t in n.themes.all()}
    return {
        "id": statement.pk,
        "workshop": section.synthesis.workshop.slug,
        "revision": section.synthesis.revision,
        "section": {"id": section.pk, "order": section.order, "title": section.title},
        "round": section.round.order if section.round else None,
        "order": statement.order,
        **statement_fields(statement),
        "support": {"groups": groups, "groups_total": total, "label": support_label(groups, total)},
        "actor_types": actor_types_of(notes),
        "themes": [{"slug": slug, "name": themes[slug]} for slug in sorted(themes)],
    }


def support_label(groups: int, total: int | None) -> str:
    if total is None:
        return ngettext("%(n)s groupe", "%(n)s groupes", groups) % {"n": groups}
    return ngettext("%(n)s groupe sur %(total)s", "%(n)s groupes sur %(total)s", groups) % {
        "n": groups,
        "total": total,
    }


def theme_row(theme: Theme) -> dict:
    return {"slug": theme.slug, "name": theme.name, "description": theme.description}


# --- Figures ------------------------------------------------------------------------

COUNTED_KINDS = [k.value for k in Kind]


def quarter_label(day: date) -> str:
    return f"{day.year}-T{(day.month - 1) // 3 + 1}"


def figures(workshops: QuerySet, filters: Filters) -> dict:
    """Live notes of `workshops` (already narrowed to a territory and to what
    the reader may see) by kind, by theme and kind, and by quarter and kind,
    summed from the counts the database keeps (territories/counts.py): four
    queries whatever the number of notes."""
    workshops = filter_workshops(workshops, filters)
    ids = list(workshops.values_list("pk", flat=True))
    notes = NoteCount.objects.filter(workshop__in=ids, n__gt=0)
    tagged = ThemeCount.objects.filter(workshop__in=ids, n__gt=0)
    if filters.kind:
        notes, tagged = notes.filter(kind=filters.kind), tagged.filter(kind=filters.kind)
    if filters.theme is not None:
        tagged = tagged.filter(theme=filters.theme)
    # Under a theme, the notes counted are those tagged with it.
    counted = tagged if filters.theme is not None else notes
    by_kind = dict(counted.values_list("kind").annotate(n=Sum("n")).order_by())
    themes = tagged.values_list("theme__slug", "theme__name", "kind").annotate(n=Sum("n"))
    quarters = (
        counted.annotate(quarter=TruncQuarter("workshop__date"))
        .values_list("quarter", "kind")
        .annotate(n=Sum("n"))
        .order_by("quarter", "kind")
    )
    return {
        "workshop_count": len(ids),
        "notes_by_kind": [{"kind": k, "notes": by_kind[k]} for k in COUNTED_KINDS if k in by_kind],
        "themes": [
            {"theme": slug, "name": name, "kind": kind, "notes": n}
            for slug, name, kind, n in themes.order_by("-n", "theme__name", "kind")
        ],
        "quarters": [
            {"quarter": quarter_label(q), "kind": kind, "notes": n} for q, kind, n in quarters
        ],
    }

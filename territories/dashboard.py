"""A territory's dashboard: what its workshops said, in numbers a delegate
reads at a glance. Every figure covers the territory and everything beneath
it, and costs a fixed number of queries whatever the data size."""

from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q

from atelier.models import ActorType, Contribution, Kind, Participant, Theme, Workshop
from synthesis.models import Export, ExportStatus, Statement, Synthesis

from .models import Territory

TOP_THEMES = 8
RECENT_QUOTES = 8
# Okabe–Ito: distinguishable with the common colour-vision deficiencies.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
KIND_COLOURS = {
    Kind.SUCCESS_FACTOR: "#009E73",
    Kind.OBSTACLE: "#D55E00",
    Kind.LESSON: "#0072B2",
    Kind.COMMITMENT: "#CC79A7",
    Kind.QUOTE: "#E69F00",
    Kind.OTHER: "#555555",
}


@dataclass
class Bar:
    label: str
    value: int
    colour: str = PALETTE[0]
    share: float | None = None  # percent, for themes
    national: float | None = None


@dataclass
class Chart:
    title: str
    bars: list[Bar] = field(default_factory=list)

    @property
    def maximum(self):
        return max([b.value for b in self.bars] + [1])


def workshops_in(territory: Territory):
    covered = Territory.objects.covered_by([territory]).values("pk")
    return Workshop.objects.filter(territory__in=covered)


def build(territory: Territory) -> dict:
    workshops = workshops_in(territory)
    notes = Contribution.objects.alive().filter(group__round__workshop__in=workshops)
    latest = Synthesis.objects.latest_published().filter(workshop__in=workshops)
    return {
        "territory": territory,
        "workshops": _workshops(workshops),
        "participation": _participation(workshops),
        "balance": _balance(notes),
        "themes": _themes(notes),
        "quotes": _quotes(latest),
        "commitments": _commitments(latest),
        "syntheses": _syntheses(latest),
    }


def _workshops(workshops):
    published = Synthesis.objects.published().filter(workshop=OuterRef("pk"))
    return list(
        workshops.select_related("territory")
        .annotate(
            participant_count=Count("participants", distinct=True),
            is_published=Exists(published),
        )
        .order_by("-date")
    )


def _participation(workshops) -> Chart:
    rows = (
        Participant.objects.filter(workshop__in=workshops)
        .values("actor_type")
        .annotate(n=Count("pk"))
        .order_by("-n")
    )
    names = dict(ActorType.objects.values_list("pk", "name"))
    chart = Chart("Participation par type d'acteur")
    for i, row in enumerate(rows):
        label = names.get(row["actor_type"], "Non renseigné")
        chart.bars.append(Bar(label, row["n"], PALETTE[i % len(PALETTE)]))
    return chart


def _balance(notes) -> Chart:
    counts = dict(notes.values_list("kind").annotate(n=Count("pk")))
    chart = Chart("Ce qui a été dit, par type")
    for kind in Kind:
        if kind == Kind.OTHER and not counts.get(kind):
            continue
        chart.bars.append(Bar(str(kind.label), counts.get(kind, 0), KIND_COLOURS[kind]))
    return chart


def _themes(notes) -> Chart:
    """Top themes of the territory, each with its share of the territory's
    notes beside its share of all notes (national)."""
    local_total = notes.count() or 1
    national_notes = Contribution.objects.alive()
    national_total = national_notes.count() or 1
    local = (
        Theme.objects.annotate(
            n=Count("contributions", filter=Q(contributions__in=notes.values("pk")))
        )
        .filter(n__gt=0)
        .order_by("-n", "name")[:TOP_THEMES]
    )
    local = list(local)
    national = dict(
        Theme.objects.filter(pk__in=[t.pk for t in local])
        .annotate(n=Count("contributions", filter=Q(contributions__deleted_at__isnull=True)))
        .values_list("pk", "n")
    )
    chart = Chart("Thèmes les plus présents")
    for theme in local:
        chart.bars.append(
            Bar(
                theme.name,
                theme.n,
                PALETTE[0],
                share=round(100 * theme.n / local_total, 1),
                national=round(100 * national.get(theme.pk, 0) / national_total, 1),
            )
        )
    return chart


def _quotes(latest):
    return list(
        Statement.objects.filter(section__synthesis__in=latest, kind=Kind.QUOTE)
        .select_related("speaker_actor_type", "section__synthesis__workshop")
        .order_by("-section__synthesis__workshop__date", "section__order", "order")[:RECENT_QUOTES]
    )


def _commitments(latest):
    from synthesis.models import FollowUp

    statements = list(
        Statement.objects.filter(section__synthesis__in=latest, kind=Kind.COMMITMENT)
        .select_related("section__synthesis__workshop")
        .order_by("-section__synthesis__workshop__date", "section__order", "order")
    )
    history = {}
    for follow_up in FollowUp.objects.filter(statement__in=statements).select_related("by"):
        history.setdefault(follow_up.statement_id, []).append(follow_up)
    for statement in statements:
        statement.history = history.get(statement.pk, [])
        statement.follow_up = statement.history[-1] if statement.history else None
    return statements


def _syntheses(latest):
    pdfs = {
        e.synthesis_id: e
        for e in Export.objects.filter(synthesis__in=latest, format="pdf", status=ExportStatus.DONE)
    }
    syntheses = list(latest.select_related("workshop").order_by("-workshop__date"))
    for synthesis in syntheses:
        synthesis.pdf = pdfs.get(synthesis.pk)
    return syntheses


def csv_rows(data: dict):
    """The dashboard's numbers as (section, label, value, territory %, national %)."""
    yield ("rubrique", "libellé", "valeur", "part territoire (%)", "part nationale (%)")
    for workshop in data["workshops"]:
        yield (
            "atelier",
            f"{workshop.title} ({workshop.date:%d/%m/%Y})",
            workshop.participant_count,
            "",
            "",
        )
    for key in ("participation", "balance"):
        for bar in data[key].bars:
            yield (data[key].title, bar.label, bar.value, "", "")
    for bar in data["themes"].bars:
        yield (data["themes"].title, bar.label, bar.value, bar.share, bar.national)
    for statement in data["commitments"]:
        status = statement.follow_up.get_status_display() if statement.follow_up else "à faire"
        yield ("engagement", statement.text[:200], "", status, "")

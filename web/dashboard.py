"""A territory's dashboard: what its workshops said, in numbers a delegate
reads at a glance. Every figure covers the territory and everything beneath
it, and costs a fixed number of queries whatever the data size: the notes are
not counted here but summed from the per-workshop counts the database keeps
up to date (counts.py)."""

from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Sum

from atelier.models import Kind, Participant, Workshop
from synthesis.models import Export, ExportStatus, FollowUp, Statement, Synthesis
from territories.models import NoteCount, Territory, ThemeCount

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

    @property
    def empty(self) -> bool:
        """Nothing counted: bars of zero would draw an empty chart."""
        return not any(b.value for b in self.bars)


def workshops_in(territory: Territory):
    covered = Territory.objects.covered_by([territory]).values("pk")
    return Workshop.objects.filter(territory__in=covered)


def build(territory: Territory) -> dict:
    # The workshops and the syntheses are fetched first: every other query
    # then filters on a short list of ids instead of repeating the subqueries.
    workshops = _workshops(workshops_in(territory))
    ids = [w.pk for w in workshops]
    syntheses = _syntheses(ids)
    balance = _balance(ids)
    return {
        "territory": territory,
        "workshops": workshops,
        "participation": _participation(ids),
        "balance": balance,
        "themes": _themes(ids, sum(bar.value for bar in balance.bars)),
        "quotes": _quotes([s.pk for s in syntheses]),
        "commitments": _commitments([s.pk for s in syntheses]),
        "syntheses": syntheses,
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


def _participation(workshop_ids) -> Chart:
    rows = (
        Participant.objects.filter(workshop__in=workshop_ids)
        .values_list("actor_type__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "actor_type__name")
    )
    chart = Chart("Participation par type d'acteur")
    for i, (name, n) in enumerate(rows):
        chart.bars.append(Bar(name or "Non renseigné", n, PALETTE[i % len(PALETTE)]))
    return chart


def _balance(workshops) -> Chart:
    """Live notes by kind, from the counts the database keeps (counts.py)."""
    counts = dict(
        NoteCount.objects.filter(workshop__in=workshops)
        .values_list("kind")
        .annotate(n=Sum("n"))
        .order_by()
    )
    chart = Chart("Ce qui a été dit, par type")
    for kind in Kind:
        if kind == Kind.OTHER and not counts.get(kind):
            continue
        chart.bars.append(Bar(str(kind.label), counts.get(kind, 0), KIND_COLOURS[kind]))
    return chart


def _themes(workshops, local_total) -> Chart:
    """Top themes of the territory, each with its share of the territory's
    notes beside its share of all notes (national)."""
    local = list(
        ThemeCount.objects.filter(workshop__in=workshops)
        .values_list("theme", "theme__name")
        .annotate(n=Sum("n"))
        .filter(n__gt=0)
        .order_by("-n", "theme__name")[:TOP_THEMES]
    )
    national = dict(
        ThemeCount.objects.filter(theme__in=[theme for theme, _, _ in local])
        .values_list("theme")
        .annotate(n=Sum("n"))
        .order_by()
    )
    national_total = NoteCount.objects.aggregate(n=Sum("n"))["n"] or 1
    chart = Chart("Thèmes les plus présents")
    for theme, name, n in local:
        chart.bars.append(
            Bar(
                name,
                n,
                PALETTE[0],
                share=round(100 * n / (local_total or 1), 1),
                national=round(100 * national.get(theme, 0) / national_total, 1),
            )
        )
    return chart


def _quotes(synthesis_ids):
    return list(
        Statement.objects.filter(section__synthesis__in=synthesis_ids, kind=Kind.QUOTE)
        .select_related("speaker_actor_type", "section__synthesis__workshop")
        .order_by("-section__synthesis__workshop__date", "section__order", "order")[:RECENT_QUOTES]
    )


def _commitments(synthesis_ids):
    statements = list(
        Statement.objects.filter(section__synthesis__in=synthesis_ids, kind=Kind.COMMITMENT)
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


def _syntheses(workshop_ids):
    """Each workshop's newest published revision, with its PDF when made."""
    syntheses = list(
        Synthesis.objects.latest_published()
        .filter(workshop__in=workshop_ids)
        .select_related("workshop")
        .order_by("-workshop__date")
    )
    done = Export.objects.filter(synthesis__in=syntheses, format="pdf", status=ExportStatus.DONE)
    pdfs = {e.synthesis_id: e for e in done}
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

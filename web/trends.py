"""National trends for the coordination: what recurs across territories.

Summed from the per-workshop counts of live notes the database keeps
(counts.py), like the dashboards: a few thousand rows, not every note."""

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncQuarter
from django.utils.translation import gettext as _

from atelier.models import Kind
from territories.models import Level, NoteCount, Territory, ThemeCount

from .dashboard import KIND_COLOURS, Bar, Chart

TOP = 10


def build() -> dict:
    tagged = ThemeCount.objects.filter(n__gt=0)
    success_factors = _top_themes(tagged, Kind.SUCCESS_FACTOR)
    obstacles = _top_themes(tagged, Kind.OBSTACLE)
    quarters = _by_quarter(NoteCount.objects.filter(n__gt=0))
    return {
        "matrix": _theme_by_region(tagged),
        "success_factors": success_factors,
        "obstacles": obstacles,
        # The same lists drawn as bars (by number of workshops) above their tables.
        "success_factors_chart": _chart(
            _("Facteurs de réussite, par nombre d'ateliers"), success_factors, Kind.SUCCESS_FACTOR
        ),
        "obstacles_chart": _chart(_("Freins, par nombre d'ateliers"), obstacles, Kind.OBSTACLE),
        "quarters": quarters,
        # The table's totals drawn as bars, one a quarter, above it.
        "quarters_chart": Chart(
            _("Notes des groupes, par trimestre"),
            [Bar(row["label"], row["total"]) for row in quarters["rows"]],
        ),
    }


def _chart(title, rows, kind) -> Chart:
    bars = [Bar(row["themes__name"], row["workshops"], KIND_COLOURS[kind]) for row in rows]
    return Chart(title, bars)


def _theme_by_region(tagged):
    """Themes (rows) x régions (columns), counted from tagged notes; a workshop's
    région is the first segment of its territory's path."""
    regions = {t.path: t for t in Territory.objects.filter(level=Level.REGION)}
    rows = (
        tagged.values_list("theme", "theme__name", "workshop__territory__path")
        .annotate(n=Sum("n"))
        .order_by()
    )
    counts, themes = {}, {}
    for theme_id, name, path, n in rows:
        region = regions.get(path.split("/", 1)[0] + "/") if path else None
        key = (theme_id, region.pk if region else None)
        counts[key] = counts.get(key, 0) + n
        themes[theme_id] = name
    columns = sorted(
        {r for _, r in counts} - {None},
        key=lambda pk: next(t.name for t in regions.values() if t.pk == pk),
    )
    column_regions = [next(t for t in regions.values() if t.pk == pk) for pk in columns]
    has_national = any(r is None for _, r in counts)
    table = []
    for theme_id, name in sorted(themes.items(), key=lambda item: item[1]):
        cells = [counts.get((theme_id, pk), 0) for pk in columns]
        national = counts.get((theme_id, None), 0)
        table.append(
            {
                "theme_id": theme_id,
                "name": name,
                "cells": cells,
                "national": national,
                "total": sum(cells) + national,
            }
        )
    table.sort(key=lambda row: -row["total"])
    return {"regions": column_regions, "rows": table, "has_national": has_national}


def _top_themes(tagged, kind):
    """Themes of this kind of note, by the number of workshops that raised them."""
    rows = (
        tagged.filter(kind=kind)
        .values_list("theme", "theme__name")
        .annotate(workshops=Count("workshop", distinct=True), n=Sum("n"))
        .order_by("-workshops", "-n", "theme__name")[:TOP]
    )
    return [
        {"themes__pk": pk, "themes__name": name, "workshops": workshops, "n": n}
        for pk, name, workshops, n in rows
    ]


def _by_quarter(counts):
    kinds = [Kind.SUCCESS_FACTOR, Kind.OBSTACLE, Kind.LESSON, Kind.COMMITMENT, Kind.QUOTE]
    rows = (
        counts.annotate(quarter=TruncQuarter("workshop__date"))
        .values("quarter")
        .annotate(**{k.value: Sum("n", filter=Q(kind=k), default=0) for k in kinds})
        # Every note of the quarter, "other" ones too (the table has no column for them).
        .annotate(total=Sum("n", default=0))
        .order_by("quarter")
    )
    return {
        "kinds": [(k.value, k.label) for k in kinds],
        "rows": [
            {
                # "T" for trimestre: "2021 T1" (English: "2021 Q1").
                "label": _("%(year)s T%(quarter)s")
                % {"year": r["quarter"].year, "quarter": (r["quarter"].month - 1) // 3 + 1},
                "counts": [r[k.value] for k in kinds],
                "total": r["total"],
            }
            for r in rows
        ],
    }

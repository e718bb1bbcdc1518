"""National trends for the coordination: what recurs across territories."""

from django.db.models import Count, Q
from django.db.models.functions import TruncQuarter

from atelier.models import Contribution, Kind

from .models import Level, Territory

TOP = 10


def build() -> dict:
    notes = Contribution.objects.alive()
    return {
        "matrix": _theme_by_region(notes),
        "success_factors": _top_themes(notes, Kind.SUCCESS_FACTOR),
        "obstacles": _top_themes(notes, Kind.OBSTACLE),
        "quarters": _by_quarter(notes),
    }


def _theme_by_region(notes):
    """Themes (rows) x régions (columns), counted from tagged notes; a workshop's
    région is the first segment of its territory's path."""
    regions = {t.path: t for t in Territory.objects.filter(level=Level.REGION)}
    rows = (
        notes.filter(themes__isnull=False)
        .values_list("themes__pk", "themes__name", "group__round__workshop__territory__path")
        .annotate(n=Count("pk", distinct=True))
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


def _top_themes(notes, kind):
    """Themes of this kind of note, by the number of workshops that raised them."""
    return list(
        notes.filter(kind=kind, themes__isnull=False)
        .values("themes__pk", "themes__name")
        .annotate(workshops=Count("group__round__workshop", distinct=True), n=Count("pk"))
        .order_by("-workshops", "-n", "themes__name")[:TOP]
    )


def _by_quarter(notes):
    kinds = [Kind.SUCCESS_FACTOR, Kind.OBSTACLE, Kind.LESSON, Kind.COMMITMENT, Kind.QUOTE]
    rows = (
        notes.annotate(quarter=TruncQuarter("group__round__workshop__date"))
        .values("quarter")
        .annotate(**{k.value: Count("pk", filter=Q(kind=k)) for k in kinds})
        .order_by("quarter")
    )
    return {
        "kinds": [(k.value, k.label) for k in kinds],
        "rows": [
            {
                "label": f"{r['quarter'].year} T{(r['quarter'].month - 1) // 3 + 1}",
                "counts": [r[k.value] for k in kinds],
            }
            for r in rows
        ],
    }

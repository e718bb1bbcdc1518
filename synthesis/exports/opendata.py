"""The open data: one row per statement with its sources, as CSV and as JSON."""

import csv
import io
import json

from django.db.models import Count
from django.utils import timezone

from atelier import markup
from atelier.lib.http import safe_cell
from atelier.models import Kind, WorkingGroup

from ..models import Synthesis
from .content import load_sections, one_line

COLUMNS = [
    "revision",
    "statement_id",
    "round",
    "section_order",
    "section_title",
    "statement_order",
    "kind",
    "kind_label",
    "text",
    "plain_text",
    "speaker_actor_type",
    "groups_count",
    "groups_total",
    "actor_types",
    "source_ids",
    "source_groups",
    "source_rounds",
    "source_texts",
]


def _statement_rows(synthesis: Synthesis) -> list[dict]:
    """One dict per statement; support counted from the links to group notes."""
    sections = load_sections(synthesis, with_sources=True)
    group_totals = dict(
        WorkingGroup.objects.filter(round__workshop_id=synthesis.workshop_id)
        .values_list("round_id")
        .annotate(n=Count("pk"))
    )
    rows = []
    for section in sections:
        for position, statement in enumerate(section.statements.all(), start=1):
            rows.append(_statement_row(synthesis, section, position, statement, group_totals))
    return rows


def _statement_row(synthesis, section, position, statement, group_totals) -> dict:
    notes = list(statement.sources.all())
    actor_types = {n.group.actor_type.name for n in notes if n.group.actor_type}
    actor_types |= {n.speaker_actor_type.name for n in notes if n.speaker_actor_type}
    return {
        "revision": synthesis.revision,
        "statement_id": statement.pk,
        "round": section.round.order if section.round else None,
        "section_order": section.order,
        "section_title": section.title,
        "statement_order": position,
        "kind": statement.kind,
        "kind_label": str(Kind(statement.kind).label),
        "text": statement.text,
        "plain_text": markup.plain(statement.text),
        "speaker_actor_type": (
            statement.speaker_actor_type.name if statement.speaker_actor_type else None
        ),
        "groups_count": len({n.group_id for n in notes}),
        "groups_total": group_totals.get(section.round_id, 0) if section.round_id else None,
        "actor_types": sorted(actor_types),
        "sources": [
            {
                "id": n.pk,
                "group": n.group.number,
                "round": n.group.round.order,
                "text": n.text,
            }
            for n in notes
        ],
    }


def render_csv(synthesis: Synthesis) -> bytes:
    out = io.StringIO()
    out.write("\ufeff")  # Excel needs the BOM to read UTF-8
    writer = csv.writer(out, delimiter=";")
    writer.writerow(COLUMNS)
    for row in _statement_rows(synthesis):
        sources = row.pop("sources")
        row["actor_types"] = " | ".join(row["actor_types"])
        row["source_ids"] = "|".join(str(s["id"]) for s in sources)
        row["source_groups"] = "|".join(str(s["group"]) for s in sources)
        row["source_rounds"] = "|".join(str(s["round"]) for s in sources)
        # One note a line; a note's own line breaks become spaces (JSON keeps them).
        row["source_texts"] = "\n".join(one_line(s["text"]) for s in sources)
        writer.writerow([safe_cell(row[column]) for column in COLUMNS])
    return out.getvalue().encode("utf-8")


def render_json(synthesis: Synthesis) -> bytes:
    workshop = synthesis.workshop
    territory = workshop.territory
    document = {
        "workshop": {
            "slug": workshop.slug,
            "title": workshop.title,
            "date": workshop.date.isoformat(),
            "territory": (
                {"name": territory.name, "code": territory.code, "level": territory.level}
                if territory
                else None
            ),
        },
        "revision": synthesis.revision,
        "status": synthesis.status,
        "published_at": (
            timezone.localtime(synthesis.published_at).isoformat()
            if synthesis.published_at
            else None
        ),
        "statements": _statement_rows(synthesis),
    }
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")

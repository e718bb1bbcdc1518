"""The open data: one row per statement, as CSV and as JSON; and the
coordination's analysis CSV, the same rows with their source notes.

Group notes are working material (docs/decisions.md): the open data, which
delegates and, for a public workshop, anybody may download, carries each
statement with its support, actor types and themes, never a note's text. Only
the analysis export, for coordinators alone, lists the sources.
"""

import csv
import io
import json

from django.db.models import Count, prefetch_related_objects
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
    "themes",
]
ANALYSIS_COLUMNS = [
    *COLUMNS,
    "source_ids",
    "source_groups",
    "source_rounds",
    "source_texts",
]


def _statement_rows(synthesis: Synthesis, *, with_sources: bool = False) -> list[dict]:
    """One dict per statement; support counted from the links to group notes.
    `sources` (the notes themselves) only when asked, for the analysis export."""
    sections = load_sections(synthesis, with_sources=True)
    notes = [n for s in sections for st in s.statements.all() for n in st.sources.all()]
    prefetch_related_objects(notes, "themes")  # one query, whatever the number of notes
    group_totals = dict(
        WorkingGroup.objects.filter(round__workshop_id=synthesis.workshop_id)
        .values_list("round_id")
        .annotate(n=Count("pk"))
    )
    rows = []
    for section in sections:
        for position, statement in enumerate(section.statements.all(), start=1):
            row = _statement_row(synthesis, section, position, statement, group_totals)
            if not with_sources:
                del row["sources"]
            rows.append(row)
    return rows


def statement_fields(statement) -> dict:
    """What every open-data form of a statement says of its text (the CSV and
    JSON files here, the API): its kind, its markup and its plain text."""
    return {
        "kind": statement.kind,
        "kind_label": str(Kind(statement.kind).label),
        "text": statement.text,
        "plain_text": markup.plain(statement.text),
        "speaker_actor_type": (
            statement.speaker_actor_type.name if statement.speaker_actor_type else None
        ),
    }


def actor_types_of(notes) -> list[str]:
    """The actor types behind a statement: its groups' and its quotes' speakers."""
    names = {n.group.actor_type.name for n in notes if n.group.actor_type}
    return sorted(names | {n.speaker_actor_type.name for n in notes if n.speaker_actor_type})


def _statement_row(synthesis, section, position, statement, group_totals) -> dict:
    notes = list(statement.sources.all())
    return {
        "revision": synthesis.revision,
        "statement_id": statement.pk,
        "round": section.round.order if section.round else None,
        "section_order": section.order,
        "section_title": section.title,
        "statement_order": position,
        **statement_fields(statement),
        "groups_count": len({n.group_id for n in notes}),
        "groups_total": group_totals.get(section.round_id, 0) if section.round_id else None,
        "actor_types": actor_types_of(notes),
        "themes": sorted({theme.name for n in notes for theme in n.themes.all()}),
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


def _csv(rows: list[dict], columns: list[str]) -> bytes:
    out = io.StringIO()
    out.write("\ufeff")  # Excel needs the BOM to read UTF-8
    writer = csv.writer(out, delimiter=";")
    writer.writerow(columns)
    for row in rows:
        row["actor_types"] = " | ".join(row["actor_types"])
        row["themes"] = " | ".join(row["themes"])
        sources = row.pop("sources", None)
        if sources is not None:
            row["source_ids"] = "|".join(str(s["id"]) for s in sources)
            row["source_groups"] = "|".join(str(s["group"]) for s in sources)
            row["source_rounds"] = "|".join(str(s["round"]) for s in sources)
            # One note a line; a note's own line breaks become spaces.
            row["source_texts"] = "\n".join(one_line(s["text"]) for s in sources)
        writer.writerow([safe_cell(row[column]) for column in columns])
    return out.getvalue().encode("utf-8")


def render_csv(synthesis: Synthesis) -> bytes:
    return _csv(_statement_rows(synthesis), COLUMNS)


def render_analysis_csv(synthesis: Synthesis) -> bytes:
    """The open data plus each statement's source notes: coordinators only."""
    return _csv(_statement_rows(synthesis, with_sources=True), ANALYSIS_COLUMNS)


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

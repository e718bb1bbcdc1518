"""The facilitators' live overview: every group x question of a round."""

from dataclasses import dataclass, field

from django.db.models import Count, F, Window
from django.db.models.functions import RowNumber

from .markup import plain
from .models import Contribution, Question, Round, WorkingGroup, Workshop

LATEST_PER_CELL = 2


@dataclass
class Cell:
    question: Question
    count: int = 0
    latest: list[Contribution] = field(default_factory=list)


@dataclass
class Row:
    group: WorkingGroup
    cells: list[Cell]

    @property
    def total(self):
        return sum(cell.count for cell in self.cells)


def selected_round(workshop: Workshop, order: str | None, rounds: list[Round]) -> Round | None:
    by_order = {str(r.order): r for r in rounds}
    if order in by_order:
        return by_order[order]
    live = workshop.current_round_id
    return next((r for r in rounds if r.pk == live), rounds[0] if rounds else None)


def build(workshop: Workshop, order: str | None) -> dict:
    rounds = list(workshop.rounds.order_by("order"))
    round_ = selected_round(workshop, order, rounds)
    context = {"workshop": workshop, "rounds": rounds, "round": round_, "rows": [], "questions": []}
    if round_ is None:
        return context
    questions = list(round_.questions.order_by("order"))
    groups = list(round_.groups.order_by("number").prefetch_related("animators"))
    notes = Contribution.objects.alive().filter(group__round=round_)
    counts = {
        (c["group_id"], c["question_id"]): c["n"]
        for c in notes.values("group_id", "question_id").annotate(n=Count("pk"))
    }
    latest = {}
    ranked = (
        notes.annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("group_id"), F("question_id")],
                order_by=[F("created_at").desc(), F("pk").desc()],
            )
        )
        .filter(rank__lte=LATEST_PER_CELL)
        .select_related("speaker_actor_type")
    )
    for note in ranked:
        # Stripped, not rendered: the cell shows the note cut to a line.
        note.excerpt = plain(note.text)
        latest.setdefault((note.group_id, note.question_id), []).append(note)
    context["questions"] = questions
    context["rows"] = [
        Row(
            group,
            [
                Cell(q, counts.get((group.pk, q.pk), 0), latest.get((group.pk, q.pk), []))
                for q in questions
            ],
        )
        for group in groups
    ]
    context["silent"] = [row.group for row in context["rows"] if row.total == 0]
    return context

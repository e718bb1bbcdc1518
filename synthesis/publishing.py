"""What a coordinator checks before publishing a revision: its unresolved
comments, and what readers will see change.

"Since the last review" is read against the previous published revision
(docs/decisions.md): any edit of an approved revision sends it back to draft
(Synthesis.editable), so nothing can change between approval and publication;
what is worth a last look is what changed since readers last got a reviewed
text. A first publication has nothing to compare with: every statement is new."""

import hashlib
from dataclasses import dataclass, field

from . import diff
from .models import Comment, Statement, Status, Synthesis


@dataclass
class Review:
    synthesis: Synthesis
    open_comments: list[Comment]
    previous: Synthesis | None  # the revision readers read now, if any
    changes: list[diff.SectionChanges] = field(default_factory=list)
    statement_count: int = 0
    fingerprint: str = ""

    @property
    def change_count(self) -> int:
        return sum(len(section.changes) for section in self.changes)


def review(synthesis: Synthesis) -> Review:
    comments = list(
        Comment.objects.filter(statement__section__synthesis=synthesis, resolved_at__isnull=True)
        .select_related("author", "statement__section")
        .order_by("statement__section__order", "statement__order", "statement", "created_at")
    )
    statements = list(
        Statement.objects.filter(section__synthesis=synthesis)
        .order_by("pk")
        .values_list("pk", "version", "section_id", "order")
    )
    previous = (
        synthesis.workshop.syntheses.filter(
            status=Status.PUBLISHED, revision__lt=synthesis.revision
        )
        .order_by("-revision")
        .first()
    )
    return Review(
        synthesis=synthesis,
        open_comments=comments,
        previous=previous,
        changes=diff.compare(previous, synthesis) if previous else [],
        statement_count=len(statements),
        fingerprint=_fingerprint(synthesis, comments, statements),
    )


def _fingerprint(synthesis, comments, statements) -> str:
    """Changes when anything the confirmation lists changes: a statement
    edited, moved, added or removed, a comment added or resolved. The
    publish POST carries the one the coordinator saw."""
    seen = repr((synthesis.pk, [c.pk for c in comments], statements))
    return hashlib.sha256(seen.encode()).hexdigest()[:32]

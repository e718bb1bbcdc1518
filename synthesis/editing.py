"""What the coordination does to a draft: merge, split, move, reorder,
remove statements and attach notes. No note is ever deleted: a removed
statement's notes go to the synthesis's "unassigned" panel."""

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from atelier.models import Contribution

from .models import Section, Statement, Synthesis


class EditError(ValueError):
    """A request that cannot be applied; the message is French, for the user."""


def _next_order(section: Section) -> int:
    return (section.statements.aggregate(m=Max("order"))["m"] or 0) + 1


def _same_revision(synthesis: Synthesis, statements) -> None:
    if any(s.section.synthesis_id != synthesis.pk for s in statements):
        raise EditError(_("Ces énoncés n'appartiennent pas à cette révision."))


@transaction.atomic
def merge(synthesis: Synthesis, statements: list[Statement]) -> Statement:
    """The first statement (in reading order) takes the others' sources; its
    text stays, the others' texts follow as sub-bullets so nothing is lost."""
    if len(statements) < 2:
        raise EditError(_("Cochez au moins deux énoncés à fusionner."))
    _same_revision(synthesis, statements)
    statements = sorted(statements, key=lambda s: (s.section.order, s.order, s.pk))
    target, others = statements[0], statements[1:]
    sources = Contribution.objects.filter(statements__in=others).distinct()
    target.sources.add(*sources)
    extra = "\n".join(f"- {other.text.splitlines()[0]}" for other in others)
    Statement.objects.filter(pk=target.pk).update(
        text=f"{target.text}\n{extra}", version=target.version + 1, updated_at=timezone.now()
    )
    Statement.objects.filter(pk__in=[o.pk for o in others]).delete()
    target.refresh_from_db()
    return target


@transaction.atomic
def split(synthesis: Synthesis, statement: Statement, note_ids: list[int]) -> Statement:
    """Chosen sources leave for a new statement placed right after this one."""
    _same_revision(synthesis, [statement])
    chosen = list(statement.sources.filter(pk__in=note_ids).order_by("created_at"))
    if not chosen or len(chosen) == statement.sources.count():
        raise EditError(_("Choisissez une partie des notes sources (pas toutes, pas aucune)."))
    statement.section.statements.filter(order__gt=statement.order).update(order=_shifted())
    new = Statement.objects.create(
        section=statement.section,
        order=statement.order + 1,
        text=chosen[0].text,
        kind=statement.kind,
        speaker_actor_type=statement.speaker_actor_type,
    )
    new.sources.set(chosen)
    statement.sources.remove(*chosen)
    return new


def _shifted():
    from django.db.models import F

    return F("order") + 1


@transaction.atomic
def move(synthesis: Synthesis, statements: list[Statement], section: Section) -> None:
    if section.synthesis_id != synthesis.pk:
        raise EditError(_("Cette rubrique appartient à une autre révision."))
    _same_revision(synthesis, statements)
    order = _next_order(section)
    for offset, statement in enumerate(sorted(statements, key=lambda s: (s.order, s.pk))):
        Statement.objects.filter(pk=statement.pk).update(
            section=section, order=order + offset, updated_at=timezone.now()
        )


@transaction.atomic
def reorder(statement: Statement, offset: int) -> bool:
    """Move a statement `offset` places among its section's statements."""
    siblings = list(statement.section.statements.order_by("order", "pk").only("pk", "order"))
    index = next(i for i, s in enumerate(siblings) if s.pk == statement.pk)
    target = index + offset
    if not 0 <= target < len(siblings):
        return False
    siblings.insert(target, siblings.pop(index))
    for order, sibling in enumerate(siblings, start=1):
        sibling.order = order
    Statement.objects.bulk_update(siblings, ["order"])
    return True


@transaction.atomic
def remove(synthesis: Synthesis, statement: Statement) -> int:
    """Delete the statement; its notes wait in the unassigned panel."""
    _same_revision(synthesis, [statement])
    notes = list(statement.sources.all())
    synthesis.set_aside.add(*notes)
    statement.delete()
    return len(notes)


@transaction.atomic
def attach(synthesis: Synthesis, notes: list[Contribution], statement: Statement) -> None:
    _same_revision(synthesis, [statement])
    workshop_notes = [n for n in notes if n.group.round.workshop_id == synthesis.workshop_id]
    if len(workshop_notes) != len(notes) or not notes:
        raise EditError(_("Cochez des notes de cet atelier à rattacher."))
    statement.sources.add(*notes)
    synthesis.set_aside.remove(*notes)


def unassigned(synthesis: Synthesis):
    """Notes of the workshop in no statement of this revision (set aside, or
    typed after the last draft)."""
    linked = Statement.sources.through.objects.filter(
        statement__section__synthesis=synthesis
    ).values("contribution_id")
    return (
        Contribution.objects.alive()
        .filter(group__round__workshop=synthesis.workshop_id)
        .exclude(pk__in=linked)
        .select_related("group__round", "question")
        .order_by("group__round__order", "question__order", "group__number", "pk")
    )

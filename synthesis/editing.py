"""What the coordination does to a draft: merge, split, move, reorder,
remove statements and attach notes. No note is ever deleted: a removed
statement's notes go to the synthesis's "unassigned" panel."""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Exists, Max, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from atelier.models import Contribution, WorkingGroup

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
        text=f"{target.text}\n{extra}",
        version=target.version + 1,
        updated_at=timezone.now(),
        drafted=False,
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
    Statement.objects.filter(pk=statement.pk).update(drafted=False, updated_at=timezone.now())
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
            section=section, order=order + offset, updated_at=timezone.now(), drafted=False
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
    Statement.objects.filter(pk=statement.pk).update(drafted=False, updated_at=timezone.now())


@dataclass
class Support:
    """Who raised the statements of a revision, and how many notes wait."""

    rounds: dict[int, int]  # the workshop's groups: id -> round id
    statements: dict[int, tuple[int, list[str]]]  # id -> (groups that raised it, actor types)
    unassigned: int | None  # live notes of the workshop in no statement (whole revision only)

    def of(self, statement_id: int) -> tuple[int, list[str]]:
        return self.statements.get(statement_id, (0, []))


def support(synthesis: Synthesis, statement: Statement | None = None) -> Support:
    """How many groups raised each statement of the revision (or `statement`
    alone) and their actor types, counted from the links to the notes (never
    typed); for the whole revision, how many of the workshop's notes wait.

    The links and the notes are read as two plain lists and joined here: the
    same join in the database probes the notes' primary key once per link
    (10,000 probes for a 10,000-note workshop), which costs twice as much.
    Rows are read in chunks and not kept: 20,000 tuples held at once would
    make Python's garbage collector run a full pass (~100 ms) every few pages."""
    rows = WorkingGroup.objects.filter(round__workshop=synthesis.workshop_id).values_list(
        "pk", "round", "actor_type__name"
    )
    rounds, types = {}, {}
    for pk, round_id, actor_type in rows:
        rounds[pk], types[pk] = round_id, actor_type
    links = Statement.sources.through.objects.filter(
        statement__section__synthesis=synthesis
    ).values_list("statement_id", "contribution_id")
    # The workshop's notes (filtered on a short list of groups, which lets
    # PostgreSQL take the groups' index even without statistics); for one
    # statement, its notes only.
    notes = Contribution.objects.order_by().values_list("pk", "group_id", "deleted_at")
    if statement is None:
        notes = notes.filter(group__in=list(rounds))
    else:
        links = links.filter(statement=statement)
        notes = notes.filter(pk__in=links.values("contribution_id"))
    group_of, alive = {}, set()
    for pk, group_id, deleted_at in notes.iterator(chunk_size=CHUNK):
        group_of[pk] = group_id
        if deleted_at is None:
            alive.add(pk)
    raised, linked, foreign = {}, set(), []
    for statement_id, note in links.iterator(chunk_size=CHUNK):
        linked.add(note)
        if note in group_of:
            raised.setdefault(statement_id, set()).add(group_of[note])
        else:  # a source from another workshop: never made by the editor, but counted
            foreign.append((statement_id, note))
    if foreign:
        group_of = dict(
            Contribution.objects.filter(pk__in=[n for _, n in foreign]).values_list(
                "pk", "group_id"
            )
        )
        for statement_id, note in foreign:
            raised.setdefault(statement_id, set()).add(group_of[note])
    other_groups = set().union(*raised.values()) - types.keys()
    if other_groups:
        rows = WorkingGroup.objects.filter(pk__in=other_groups).values_list(
            "pk", "actor_type__name"
        )
        types.update(rows)
    by_statement = {
        pk: (len(ids), sorted({types[g] for g in ids if types[g]})) for pk, ids in raised.items()
    }
    waiting = len(alive - linked) if statement is None else None
    return Support(rounds, by_statement, waiting)


CHUNK = 2000


def unassigned(synthesis: Synthesis, group_ids: list[int] | None = None):
    """Notes of the workshop in no statement of this revision (set aside, or
    typed after the last draft). `group_ids`, the workshop's groups when the
    caller has them: filtering on a short list of ids lets PostgreSQL take
    the groups' index even before it has statistics on the notes."""
    linked = Statement.sources.through.objects.filter(
        statement__section__synthesis=synthesis, contribution=OuterRef("pk")
    )
    if group_ids is None:
        group_ids = WorkingGroup.objects.filter(round__workshop=synthesis.workshop_id).values("pk")
    return (
        Contribution.objects.alive()
        .filter(group__in=group_ids)
        .filter(~Exists(linked))
        .select_related("group__round", "question")
        .order_by("group__round__order", "question__order", "group__number", "pk")
    )

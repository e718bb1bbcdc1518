"""Forming a round's working groups in the database, around the pure
algorithm of `grouping.py`: locked groups are kept, groups that already hold
notes are never dissolved, and earlier rounds count as history."""

import csv
import io
import math
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from . import grouping
from .lib.http import safe_cell
from .models import GroupingMode, Participant, Round, WorkingGroup


class GroupsError(ValueError):
    """A request that cannot be met; the message is French and for the user."""


@dataclass
class Request:
    mode: str  # "random" or "peer"
    group_count: int | None = None
    group_size: int | None = None
    seed: int = 0


def people_of(round_: Round) -> list[grouping.Person]:
    return [
        grouping.Person(p.pk, p.actor_type_id, p.territory_id)
        for p in round_.workshop.participants.order_by("pk")
    ]


def history_of(round_: Round) -> list[list[list[int]]]:
    """The groups of the rounds before this one, as lists of participant ids."""
    earlier = {}
    memberships = WorkingGroup.members.through.objects.filter(
        workinggroup__round__workshop=round_.workshop_id,
        workinggroup__round__order__lt=round_.order,
    ).values_list("workinggroup__round_id", "workinggroup_id", "participant_id")
    for round_id, group_id, person_id in memberships:
        earlier.setdefault(round_id, {}).setdefault(group_id, []).append(person_id)
    return [list(groups.values()) for _, groups in sorted(earlier.items())]


def current_groups(round_: Round) -> list[WorkingGroup]:
    return list(
        round_.groups.order_by("number")
        .select_related("actor_type")
        .prefetch_related(
            "animators", "members__actor_type", "members__territory", "members__organisation"
        )
    )


def report(round_: Round, groups: list[WorkingGroup] | None = None) -> dict:
    """The quality report of the groups as they are now (after hand moves too)."""
    groups = current_groups(round_) if groups is None else groups
    people = {p.id: p for p in people_of(round_)}
    members = [[m.pk for m in g.members.all()] for g in groups]
    return grouping.evaluate(members, people, history_of(round_), mode=round_.grouping_mode)


@transaction.atomic
def generate(round_: Round, request: Request) -> grouping.Grouping:
    groups = current_groups(round_)
    locked = [g for g in groups if g.locked]
    taken = {m.pk for g in locked for m in g.members.all()}
    people = [p for p in people_of(round_) if p.id not in taken]
    count = _group_count(request, len(people) + len(taken), len(locked))
    _check_notes(groups, count, len(locked))
    try:
        result = grouping.form_groups(
            people,
            group_count=count,
            mode=request.mode,
            history=history_of(round_),
            seed=request.seed,
        )
    except grouping.GroupingError as error:
        raise GroupsError(str(error)) from error
    _write(round_, groups, locked, result)
    round_.grouping_mode = GroupingMode.PEER if request.mode == "peer" else GroupingMode.RANDOM
    round_.save(update_fields=["grouping_mode"])
    return result


def _group_count(request: Request, total: int, locked: int) -> int:
    if request.group_size is not None:
        if request.group_size < 1:
            raise GroupsError(_("La taille d'un groupe doit être d'au moins une personne."))
        wanted = math.ceil(total / request.group_size) if total else 0
    else:
        wanted = request.group_count or 0
    if wanted < 1:
        raise GroupsError(_("Il faut au moins un groupe."))
    if wanted > total:
        raise GroupsError(
            _("Impossible de former %(groups)s groupes avec %(people)s participant·es.")
            % {"groups": wanted, "people": total}
        )
    remaining = wanted - locked
    if remaining < 1:
        raise GroupsError(
            _(
                "Tous les groupes demandés sont verrouillés : déverrouillez-en un "
                "ou demandez plus de groupes."
            )
        )
    return remaining


def _check_notes(groups, count, locked):
    """Regenerating must not dissolve a group whose notes would lose their home."""
    unlocked = [g for g in groups if not g.locked]
    with_notes = [g for g in unlocked if g.contributions.exists()]
    if with_notes:
        numbers = ", ".join(str(g.number) for g in with_notes)
        raise GroupsError(
            _("Les groupes %(numbers)s ont déjà des notes : verrouillez-les avant de régénérer.")
            % {"numbers": numbers}
        )


def _write(round_, groups, locked, result):
    by_id = {p.pk: p for p in round_.workshop.participants.select_related("actor_type")}
    unlocked = [g for g in groups if not g.locked]
    locked_numbers = {g.number for g in locked}
    free_numbers = (n for n in range(1, 10_000) if n not in locked_numbers)
    for index, member_ids in enumerate(result.groups):
        group = unlocked[index] if index < len(unlocked) else WorkingGroup(round=round_)
        group.number = next(free_numbers)
        types = {by_id[i].actor_type for i in member_ids}
        group.actor_type = types.pop() if len(types) == 1 else None
        _save_number(group)
        group.members.set(member_ids)
    for group in unlocked[len(result.groups) :]:
        group.delete()  # empty of notes (checked above)


def _save_number(group):
    """Numbers are unique in a round: park a renumbered group out of the way first."""
    if (
        group.pk
        and WorkingGroup.objects.filter(round=group.round, number=group.number)
        .exclude(pk=group.pk)
        .exists()
    ):
        clash = WorkingGroup.objects.get(round=group.round, number=group.number)
        clash.number = 10_000 + clash.pk
        clash.save(update_fields=["number"])
    group.save()


def move(round_: Round, participant_id: int, group_id: int) -> tuple[Participant, WorkingGroup]:
    """Move a participant by hand into another group of the round."""
    participant = round_.workshop.participants.filter(pk=participant_id).first()
    target = round_.groups.filter(pk=group_id).first()
    if participant is None or target is None:
        raise GroupsError(_("Participant·e ou groupe introuvable dans ce temps."))
    with transaction.atomic():
        for group in round_.groups.filter(members=participant):
            group.members.remove(participant)
        target.members.add(participant)
    return participant, target


def export(round_: Round) -> str:
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";")
    writer.writerow(
        [
            "groupe",
            "type de groupe",
            "animateur·rices",
            "prénom",
            "nom",
            "type d'acteur",
            "territoire",
            "structure",
        ]
    )
    for group in current_groups(round_):
        animators = ", ".join(a.get_full_name() or a.username for a in group.animators.all())
        for m in group.members.all():
            writer.writerow(
                [
                    safe_cell(v)
                    for v in (
                        group.number,
                        group.actor_type.name if group.actor_type else "",
                        animators,
                        m.first_name,
                        m.last_name,
                        m.actor_type.name if m.actor_type else "",
                        m.territory.name if m.territory else "",
                        m.organisation.name if m.organisation else "",
                    )
                ]
            )
    return out.getvalue()

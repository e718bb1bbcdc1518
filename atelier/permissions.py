"""Who may see and do what in a workshop: its pages, groups, boards and notes.
Every view asks its app's permissions module (this one, territories' and
synthesis'); nothing else decides.

Outsiders get 404 (a guessed URL must not confirm that a workshop exists);
people who may read but not write get 403.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404

# The roles and the territory rules, for the callers of this module.
from atelier.lib.roles import can_administer, is_coordinator, require_coordinator  # noqa: F401
from territories.permissions import get_territory_for_reader, territories_of  # noqa: F401


def workshops_of(user, queryset=None):
    """The workshops whose pages a user may open (not only their public synthesis)."""
    from .models import Workshop

    queryset = Workshop.objects.all() if queryset is None else queryset
    if is_coordinator(user):
        return queryset
    if not (user.is_authenticated and user.is_active):
        return queryset.none()
    condition = Q(rounds__groups__animators=user)
    if user.is_delegate:
        condition |= Q(territory__in=territories_of(user).values("pk"))
    ids = Workshop.objects.filter(condition).values("pk")
    return queryset.filter(pk__in=ids)


def get_workshop_or_404(user, slug):
    from .models import Workshop

    workshops = workshops_of(user, Workshop.objects.select_related("territory"))
    try:
        return workshops.get(slug=slug)
    except Workshop.DoesNotExist:
        raise Http404 from None


def can_read_published(user, workshop) -> bool:
    """A published synthesis: public ones for all; else the workshop's people,
    and every delegate for a national workshop (it concerns all territories)."""
    if workshop.is_public:
        return True
    if not (user.is_authenticated and user.is_active):
        return False
    if user.is_delegate and workshop.territory_id is None:
        return True
    return workshops_of(user).filter(pk=workshop.pk).exists()


def _group_with_rights(user, group_id):
    """The group, annotated with the user's relation to it, in one query."""
    from django.db.models import Exists, OuterRef

    from .models import WorkingGroup

    animates_workshop = WorkingGroup.objects.filter(
        round__workshop=OuterRef("round__workshop"), animators=user
    )
    return (
        WorkingGroup.objects.select_related("round__workshop", "actor_type")
        .annotate(
            is_animator=Exists(
                WorkingGroup.animators.through.objects.filter(
                    workinggroup=OuterRef("pk"), user=user
                )
            ),
            animates_workshop=Exists(animates_workshop),
        )
        .filter(pk=group_id)
        .order_by()  # one row: the default ordering would only cost a sort
        .first()
    )


def _group_for_writer(user, group_id):
    """The group when `user` writes on it (one of its animators, or a
    coordinator), else None. Every note saved and every board's poll asks
    this first: a plain join, cheaper to build and to run than the two EXISTS
    of `_group_with_rights`, which only the other cases need."""
    from .models import WorkingGroup

    groups = WorkingGroup.objects.select_related("round__workshop", "actor_type").order_by()
    if is_coordinator(user):
        group = groups.filter(pk=group_id).first()
    elif user.is_authenticated:
        group = groups.filter(pk=group_id, animators=user).first()
    else:
        return None
    if group is not None:
        group.can_write = True
    return group


def get_group_for_reader(user, group_id):
    """A group's board may be read by coordinators and by every animator of
    the workshop (they help each other during the day); others get 404."""
    group = _group_for_writer(user, group_id)
    if group is not None:
        return group
    group = _group_with_rights(user, group_id)
    if group is None or not (is_coordinator(user) or group.animates_workshop):
        raise Http404
    group.can_write = is_coordinator(user) or group.is_animator
    return group


def get_group_for_writer(user, group_id):
    """Only the group's animators and coordinators write; fellow animators of
    the workshop may look (403), others do not see the group exists (404)."""
    group = get_group_for_reader(user, group_id)
    if not group.can_write:
        raise PermissionDenied
    return group


def get_note_for_writer(user, note_id):
    from .models import Contribution

    group_id = Contribution.objects.filter(pk=note_id).values_list("group_id", flat=True).first()
    if group_id is None:
        raise Http404
    group = get_group_for_writer(user, group_id)
    note = (
        Contribution.objects.select_related("speaker_actor_type", "question")
        .prefetch_related("themes")
        .get(pk=note_id)
    )
    note.group = group
    return note


def get_workshop_for_facilitator(user, slug):
    """The live overview: coordinators, and the animators of the workshop."""
    from .models import Workshop

    workshop = Workshop.objects.filter(slug=slug).first()
    if workshop is None:
        raise Http404
    if is_coordinator(user):
        return workshop
    if user.is_authenticated and workshop.rounds.filter(groups__animators=user).exists():
        return workshop
    raise Http404


def get_workshop_for_coordinator(user, slug):
    """Setting a workshop up is the coordination's job: people who may see the
    workshop get 403, everybody else 404."""
    workshop = get_workshop_or_404(user, slug)
    require_coordinator(user)
    return workshop


def get_round_for_coordinator(user, round_id):
    from .models import Round

    round_ = Round.objects.select_related("workshop").filter(pk=round_id).first()
    if round_ is None:
        raise Http404
    get_workshop_for_coordinator(user, round_.workshop.slug)
    return round_

"""Who may see and do what. Every view asks here; nothing else decides.

Outsiders get 404 (a guessed URL must not confirm that a workshop exists);
people who may read but not write get 403.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404

from territories.models import Territory


def is_coordinator(user) -> bool:
    return user.is_authenticated and user.is_coordinator


def can_administer(user) -> bool:
    """The Django admin is the coordinators' back office."""
    return is_coordinator(user)


def territories_of(user, queryset=None):
    """The territories a user may read: a delegate's own and their descendants."""
    queryset = Territory.objects.all() if queryset is None else queryset
    if is_coordinator(user):
        return queryset
    if not (user.is_authenticated and user.is_delegate):
        return queryset.none()
    return queryset.covered_by(user.territories.all())


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


def require_coordinator(user):
    if not is_coordinator(user):
        raise PermissionDenied


def get_readable_synthesis_or_404(user, slug):
    """The latest published revision of a workshop's synthesis, if the user may
    read it: anybody for a public workshop, else those who see the workshop."""
    from synthesis.models import Synthesis

    synthesis = (
        Synthesis.objects.published()
        .filter(workshop__slug=slug)
        .select_related("workshop")
        .order_by("-revision")
        .first()
    )
    if synthesis is None:
        raise Http404
    # The same 404 for "absent" and "not yours".
    public = synthesis.workshop.is_public
    if not public and not workshops_of(user).filter(pk=synthesis.workshop_id).exists():
        raise Http404
    return synthesis

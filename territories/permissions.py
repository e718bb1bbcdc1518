"""Who may read which territories. Outsiders get 404."""

from django.http import Http404

from atelier.lib.roles import is_coordinator

from .models import Territory


def territories_of(user, queryset=None):
    """The territories a user may read: a delegate's own and their descendants."""
    queryset = Territory.objects.all() if queryset is None else queryset
    if is_coordinator(user):
        return queryset
    if not (user.is_authenticated and user.is_delegate):
        return queryset.none()
    return queryset.covered_by(user.territories.all())


def get_territory_for_reader(user, territory_id):
    """A territory's dashboard: its delegates (and theirs above it) and the
    coordination; everybody else gets 404."""
    territory = territories_of(user).filter(pk=territory_id).first()
    if territory is None:
        raise Http404
    return territory

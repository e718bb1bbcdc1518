"""What the API may show a caller, built on the site's own rules
(atelier/permissions.py, territories/permissions.py): an anonymous caller
sees what an anonymous visitor sees, a token what its owner sees."""

from django.db.models import Q

from atelier.models import Workshop
from atelier.permissions import territories_of, workshops_of  # noqa: F401 — re-exported
from synthesis.models import Synthesis


def readable_workshops(user):
    """Workshops the API lists: public ones for everybody, and those whose
    page the user may open."""
    return Workshop.objects.filter(Q(is_public=True) | Q(pk__in=workshops_of(user).values("pk")))


def readable_syntheses(user):
    """Each workshop's newest published revision the user may read: the
    queryset form of atelier.permissions.can_read_published (public ones;
    the workshop's people; every delegate for a national workshop)."""
    condition = Q(workshop__is_public=True) | Q(workshop__in=workshops_of(user).values("pk"))
    if user.is_authenticated and user.is_active and user.is_delegate:
        condition |= Q(workshop__territory__isnull=True)
    return Synthesis.objects.latest_published().filter(condition)

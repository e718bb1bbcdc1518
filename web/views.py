from django.contrib.auth import login, logout
from django.db import connection
from django.db.models import (
    Case,
    Count,
    F,
    Max,
    Prefetch,
    Q,
    Value,
    When,
    prefetch_related_objects,
)
from django.http import HttpResponse, HttpResponseServerError
from django.shortcuts import redirect, render
from django.template import loader
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from atelier import permissions
from atelier.forms import LoginForm
from atelier.lib.http import safe_next
from atelier.models import Question, WorkingGroup
from synthesis.models import Status, Synthesis


def home(request):
    user = request.user
    context = {"public_syntheses": _public_syntheses()}
    if user.is_authenticated:
        groups = user.animated_groups.select_related("round__workshop", "actor_type").annotate(
            note_count=Count("contributions", filter=Q(contributions__deleted_at__isnull=True))
        )
        context["groups"] = _upcoming_first(groups, "round__workshop__date").order_by(
            "is_past", "upcoming_date", "-round__workshop__date", "round__order", "number"
        )
        if permissions.is_coordinator(user) or user.is_delegate:
            context["workshops"] = _workshop_rows(permissions.workshops_of(user))
        if user.is_delegate:
            context["territories"] = user.territories.select_related("parent").order_by("path")
    return render(request, "atelier/home.html", context)


def _public_syntheses():
    return (
        Synthesis.objects.latest_published()
        .filter(workshop__is_public=True)
        .select_related("workshop")
        .order_by("-workshop__date")
    )


def _upcoming_first(queryset, date):
    """Annotated for ordering current and upcoming workshops first (the
    soonest first), then past and archived ones (the latest first)."""
    # An archived workshop is never among the current ones, whatever its date.
    archived = date.removesuffix("date") + "archived_at"
    upcoming = Q(**{f"{date}__gte": timezone.localdate(), f"{archived}__isnull": True})
    return queryset.annotate(
        is_past=Case(When(upcoming, then=Value(False)), default=Value(True)),
        upcoming_date=Case(When(upcoming, then=F(date))),
    )


def _workshop_rows(workshops):
    return (
        _upcoming_first(workshops, "date")
        .select_related("territory")
        .annotate(
            round_count=Count("rounds", distinct=True),
            participant_count=Count("participants", distinct=True),
            published_revision=Max(
                "syntheses__revision", filter=Q(syntheses__status=Status.PUBLISHED)
            ),
        )
        .order_by("is_past", "upcoming_date", "-date", "title")
    )


def workshop(request, slug):
    """The workshop's hub: each role finds here the pages it may open next."""
    user = request.user
    if user.is_authenticated and user.is_delegate:
        # Read once for the three territory rules below, not once by rule.
        prefetch_related_objects([user], "territories")
    workshop = permissions.get_workshop_or_404(user, slug)
    groups = WorkingGroup.objects.select_related("actor_type").annotate(
        member_count=Count("members", distinct=True),
        note_count=Count(
            "contributions", filter=Q(contributions__deleted_at__isnull=True), distinct=True
        ),
    )
    rounds = list(
        workshop.rounds.prefetch_related(
            Prefetch("questions", queryset=Question.objects.order_by("order")),
            Prefetch("groups", queryset=groups.order_by("number")),
        )
    )
    is_coordinator = permissions.is_coordinator(user)
    my_groups = _my_groups(user, workshop, rounds)
    # The rule of get_workshop_for_facilitator and get_group_for_reader: the
    # coordination and the workshop's animators follow it live and read its boards.
    can_facilitate = is_coordinator or bool(my_groups)
    can_read_published = permissions.can_read_published(user, workshop)
    published = (
        workshop.syntheses.published().order_by("-revision").first() if can_read_published else None
    )
    # A delegate's way to their territory's dashboard (the coordination reads them all).
    territory = workshop.territory
    if (
        territory is not None
        and not permissions.territories_of(user).filter(pk=territory.pk).exists()
    ):
        territory = None
    return render(
        request,
        "atelier/workshop.html",
        {
            "workshop": workshop,
            "rounds": rounds,
            "published": published,
            "participant_count": workshop.participants.count(),
            "is_coordinator": is_coordinator,
            "can_administer": permissions.can_administer(user),
            "can_facilitate": can_facilitate,
            "current_group": next((g for g in my_groups if g.is_current), None),
            "other_groups": [g for g in my_groups if not g.is_current],
            "my_group_ids": {g.pk for g in my_groups},
            "my_territory": territory,
        },
    )


def _my_groups(user, workshop, rounds):
    """The groups the user animates in this workshop, round by round; the one
    of the current round (else the first round) is marked `is_current`."""
    if not user.is_authenticated:
        return []
    current_id = workshop.current_round_id or (rounds[0].pk if rounds else None)
    animated = set(
        user.animated_groups.filter(round__workshop=workshop).values_list("pk", flat=True)
    )
    mine = [group for round_ in rounds for group in round_.groups.all() if group.pk in animated]
    for group in mine:
        group.is_current = group.round_id == current_id
    return mine


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def login_view(request):
    next_url = safe_next(request, request.POST.get("next") or request.GET.get("next"))
    form = LoginForm(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        login(request, form.get_user())
        return redirect(next_url or "home")
    return render(request, "registration/login.html", {"form": form, "next": next_url})


@require_POST
def logout_view(request):
    logout(request)
    return redirect("home")


def health(request):
    """For load balancers and docker health checks: answers only if the
    database does."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")


# The error pages (handler403/404/500 in atelier/urls.py). An htmx request gets
# the page's message alone, to swap into the page it came from.


def forbidden(request, exception=None):
    return _error_page(request, "403.html", 403)


def not_found(request, exception=None):
    return _error_page(request, "404.html", 404)


def server_error(request):
    # No request context: the database may be what failed.
    name = "500.html#message" if getattr(request, "htmx", False) else "500.html"
    return HttpResponseServerError(loader.get_template(name).render())


def _error_page(request, template, status):
    name = f"{template}#message" if getattr(request, "htmx", False) else template
    return render(request, name, status=status)

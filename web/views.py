from django.contrib.auth import login, logout
from django.db import connection
from django.db.models import Count, Max, Prefetch, Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
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
        context["groups"] = (
            user.animated_groups.select_related("round__workshop", "actor_type")
            .annotate(
                note_count=Count("contributions", filter=Q(contributions__deleted_at__isnull=True))
            )
            .order_by("-round__workshop__date", "round__order", "number")
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


def _workshop_rows(workshops):
    return (
        workshops.select_related("territory")
        .annotate(
            round_count=Count("rounds", distinct=True),
            participant_count=Count("participants", distinct=True),
            published_revision=Max(
                "syntheses__revision", filter=Q(syntheses__status=Status.PUBLISHED)
            ),
        )
        .order_by("-date", "title")
    )


def workshop(request, slug):
    workshop = permissions.get_workshop_or_404(request.user, slug)
    groups = WorkingGroup.objects.select_related("actor_type").annotate(
        member_count=Count("members", distinct=True),
        note_count=Count(
            "contributions", filter=Q(contributions__deleted_at__isnull=True), distinct=True
        ),
    )
    rounds = workshop.rounds.prefetch_related(
        Prefetch("questions", queryset=Question.objects.order_by("order")),
        Prefetch("groups", queryset=groups.order_by("number")),
    )
    published = workshop.syntheses.published().order_by("-revision").first()
    return render(
        request,
        "atelier/workshop.html",
        {
            "workshop": workshop,
            "rounds": rounds,
            "published": published,
            "participant_count": workshop.participants.count(),
            "my_group_ids": set(request.user.animated_groups.values_list("pk", flat=True)),
        },
    )


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

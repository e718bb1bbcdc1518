"""The draft job in the editor: ask for it, follow its progress, choose how
fine the statements are. The draft itself runs in a worker
(synthesis/drafting_jobs.py); these views only read and write the job row."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from atelier import permissions
from atelier.forms import parse_int

from . import drafting_jobs
from .models import Status

PANEL = "synthesis/includes/draft_job.html"
GRANULARITY_LABELS = {
    -2: gettext_lazy("Beaucoup moins d'énoncés"),
    -1: gettext_lazy("Moins d'énoncés"),
    0: gettext_lazy("Réglage par défaut"),
    1: gettext_lazy("Plus d'énoncés"),
    2: gettext_lazy("Beaucoup plus d'énoncés"),
}


def draft_context(workshop, synthesis, *, fresh=False):
    """What the editor's draft panel shows. `fresh`: the answer to this
    page's own request or poll, so a finished job offers to show its work."""
    return {
        "workshop": workshop,
        "draft_job": drafting_jobs.latest(workshop),
        "can_draft": synthesis is None or synthesis.status != Status.PUBLISHED,
        "has_synthesis": synthesis is not None,
        "draft_fresh": fresh,
    }


def _editor_url(workshop, anchor="brouillon"):
    return f"{reverse('synthesis_editor', args=[workshop.slug])}#{anchor}"


@login_required
@require_POST
def draft(request, slug):
    """Ask for a draft: of the new notes, or with `redraft` the statements
    nobody touched again at `granularity`. A second click finds the job
    already under way."""
    workshop, synthesis = permissions.get_synthesis_for_editor(request.user, slug)
    if synthesis is not None and synthesis.status == Status.PUBLISHED:
        refused = _("Cette révision est publiée : ouvrez une nouvelle révision pour la compléter.")
        if request.htmx:
            context = {**draft_context(workshop, synthesis), "draft_refused": refused}
            return render(request, f"{PANEL}#job", context, status=409)
        messages.error(request, refused)
        return redirect(_editor_url(workshop))
    granularity = parse_int(request.POST.get("granularity"))
    drafting_jobs.request(
        workshop,
        by=request.user,
        granularity=granularity if granularity in GRANULARITY_LABELS else None,
        redraft=request.POST.get("redraft") == "1",
    )
    if not request.htmx:
        return redirect(_editor_url(workshop))
    return render(request, f"{PANEL}#job", draft_context(workshop, synthesis, fresh=True))


@login_required
@require_GET
@vary_on_headers("HX-Request")
def draft_job(request, slug):
    """The progress of the latest draft job, polled every 2 s while it runs."""
    workshop, synthesis = permissions.get_synthesis_for_editor(request.user, slug)
    if not request.htmx:
        return redirect(_editor_url(workshop))
    return render(request, f"{PANEL}#job", draft_context(workshop, synthesis, fresh=True))


@login_required
@require_GET
@vary_on_headers("HX-Request")
def draft_granularity(request, slug):
    """How many statements each granularity gives, and the form to apply one.
    Loaded when the coordinator opens the control: it drafts every question
    five times over (writing nothing)."""
    from . import drafting

    workshop, synthesis = permissions.get_synthesis_for_editor(request.user, slug)
    context = {"workshop": workshop, "synthesis": synthesis, "choices": []}
    if synthesis is not None and synthesis.status != Status.PUBLISHED:
        counts = drafting.granularity_preview(synthesis)
        context["choices"] = [
            (value, _("Réglage actuel") if value == synthesis.granularity else label, counts[value])
            for value, label in GRANULARITY_LABELS.items()
        ]
        # Imported or hand-edited statements only: no setting would change a thing.
        context["unchanged"] = len(set(counts.values())) == 1
    if request.htmx:
        return render(request, f"{PANEL}#granularity", context)
    return render(request, "synthesis/granularity.html", context)

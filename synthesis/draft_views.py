"""The draft job in the editor: ask for it, follow its progress, choose how
fine the statements are. The draft itself runs in a worker
(synthesis/drafting_jobs.py); these views only read and write the job row."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from atelier.forms import parse_int
from atelier.models import Workshop

from . import drafting_jobs, permissions
from .models import AssistedGrouping, Status

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
    from . import llm

    return {
        "workshop": workshop,
        "draft_job": drafting_jobs.latest(workshop),
        "can_draft": synthesis is None or synthesis.status != Status.PUBLISHED,
        "has_synthesis": synthesis is not None,
        "draft_fresh": fresh,
        # The language model option exists only where the deployment set one up.
        "llm_label": llm.label() if llm.configured() else "",
        "assisted": AssistedGrouping.objects.filter(workshop=workshop, enabled=True).exists()
        if llm.configured()
        else False,
    }


@login_required
@require_POST
def assisted_grouping(request, slug):
    """Turn the language model's grouping on or off for this workshop: the
    coordinator's consent to send the notes' texts (docs/deploy.md)."""
    from . import llm

    workshop, _synthesis = permissions.get_synthesis_for_editor(request.user, slug)
    if not llm.configured():
        messages.error(request, _("Aucun modèle de langage n'est configuré sur ce déploiement."))
        return redirect(_editor_url(workshop))
    enabled = request.POST.get("enabled") == "1"
    AssistedGrouping.objects.update_or_create(
        workshop=workshop, defaults={"enabled": enabled, "changed_by": request.user}
    )
    if enabled:
        messages.success(
            request,
            _(
                "Regroupement assisté activé : le prochain brouillon enverra le texte des notes "
                "(sans citations ni noms) au %(model)s."
            )
            % {"model": llm.label()},
        )
    else:
        messages.success(
            request, _("Regroupement assisté désactivé : plus rien n'est envoyé au modèle.")
        )
    return redirect(_editor_url(workshop, "regroupement-assiste"))


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
        if request.POST.get("open_revision") == "1":
            return _open_revision_and_draft(request, workshop, synthesis)
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


def _open_revision_and_draft(request, workshop, published):
    """The button a published revision offers says it opens a revision:
    the copy takes the new notes, the published text stays online. A new
    page, so no fragment: the editor of the new revision."""
    with transaction.atomic():
        # A double click must not open two revisions: the second waits here,
        # then finds the first one's draft as the newest revision.
        Workshop.objects.select_for_update().only("pk").get(pk=workshop.pk)
        newest = workshop.syntheses.order_by("-revision").first()
        copy = newest.editable(by=request.user)
    drafting_jobs.request(workshop, by=request.user)
    messages.success(
        request,
        _(
            "Révision %(rev)s ouverte : la version publiée reste en ligne, le brouillon "
            "complété avec les nouvelles notes est à relire avant de le publier."
        )
        % {"rev": copy.revision},
    )
    return redirect(_editor_url(workshop))


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

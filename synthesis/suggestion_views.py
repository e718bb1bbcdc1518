"""The editor's "Rapprochements suggérés" panel: the list (loaded after the
page, or a page of its own without JavaScript), accept and dismiss."""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from atelier.forms import parse_int as _int

from . import permissions, suggestions
from .models import Status
from .views import editor_context


@dataclass
class _Item:
    position: int  # in the whole panel: where the focus goes back after an action
    pair: suggestions.Pair
    focus: bool = False


def panel_context(workshop, synthesis, *, focus=None, notice="", level="success"):
    """The panel's sections and items; `focus`, the position whose buttons
    take the focus (the last one if fewer are left, the heading if none)."""
    found = suggestions.for_synthesis(synthesis) if synthesis is not None else []
    blocks, position = [], 0
    for block in found:
        items = []
        for pair in block.pairs:
            items.append(_Item(position, pair))
            position += 1
        blocks.append((block, items))
    everything = [item for _block, items in blocks for item in items]
    if focus is not None and everything:
        everything[min(focus, len(everything) - 1)].focus = True
    return {
        "workshop": workshop,
        "synthesis": synthesis,
        "blocks": blocks,
        "total": len(everything),
        "focus_heading": focus is not None and not everything,
        "frozen": synthesis is None or synthesis.status == Status.PUBLISHED,
        "notice": notice,
        "notice_level": level,
    }


def _panel(request, context, *, status=200):
    template = "synthesis/includes/suggestions.html"
    if not request.htmx:
        template = "synthesis/suggestions.html"
    return render(request, template, context, status=status)


@login_required
@vary_on_headers("HX-Request")
def suggestion_panel(request, slug):
    workshop, synthesis = permissions.get_synthesis_for_editor(request.user, slug)
    return _panel(request, panel_context(workshop, synthesis))


def _editable(request, slug):
    """(workshop, revision, refusal): a published revision takes no merge;
    an approved one goes back to draft, as with any edit."""
    try:
        workshop, synthesis = permissions.get_synthesis_for_edit(request.user, slug)
    except permissions.RevisionFrozen:
        workshop, synthesis = permissions.get_synthesis_for_editor(request.user, slug)
        message = _("Révision publiée : ouvrez une nouvelle révision pour fusionner des énoncés.")
        return workshop, synthesis, _refused(request, workshop, synthesis, message)
    return workshop, synthesis, None


def _refused(request, workshop, synthesis, message, *, back="synthesis_editor"):
    if not request.htmx:
        messages.error(request, message)
        return redirect(back, workshop.slug)
    context = panel_context(workshop, synthesis, focus=_focus(request), notice=message)
    context["notice_level"] = "error"
    return _panel(request, context, status=409)


def _focus(request):
    return max(_int(request.POST.get("position")) or 0, 0)


STALE = gettext_lazy(
    "Ces énoncés ont changé depuis la suggestion (modifiés, fusionnés ou retirés) : "
    "rien n'a été fait. Voici les suggestions à jour."
)


@login_required
@require_POST
def suggestion_accept(request, slug):
    workshop, synthesis, refused = _editable(request, slug)
    if refused:
        return refused
    first = (_int(request.POST.get("first")), _int(request.POST.get("first_version")))
    second = (_int(request.POST.get("second")), _int(request.POST.get("second_version")))
    target = suggestions.accept(synthesis, first, second)
    if target is None:
        return _refused(request, workshop, synthesis, str(STALE), back="synthesis_suggestions")
    done = _("Énoncés fusionnés : leurs notes sont réunies.")
    if not request.htmx:
        messages.success(request, done)
        url = reverse("synthesis_editor", args=[workshop.slug])
        return redirect(f"{url}#enonce-{target.pk}")
    context = panel_context(workshop, synthesis, focus=_focus(request), notice=done)
    # The merged statement, shown at once: its section is swapped out of band.
    context["merged_section"] = _section_of(workshop, synthesis, request.user, target)
    return _panel(request, context)


def _section_of(workshop, synthesis, user, statement):
    editor = editor_context(workshop, synthesis, user)
    section = next(s for s in editor["sections"] if s.pk == statement.section_id)
    return {"section": section, "sections": editor["sections"]}


@login_required
@require_POST
def suggestion_dismiss(request, slug):
    workshop, synthesis, refused = _editable(request, slug)
    if refused:
        return refused
    first, second = _int(request.POST.get("first")), _int(request.POST.get("second"))
    if not suggestions.dismiss(synthesis, first, second, by=request.user):
        return _refused(request, workshop, synthesis, str(STALE), back="synthesis_suggestions")
    done = _("Rapprochement écarté : il ne sera plus proposé.")
    if not request.htmx:
        messages.success(request, done)
        url = reverse("synthesis_suggestions", args=[workshop.slug])
        return redirect(f"{url}#rapprochements")
    return _panel(request, panel_context(workshop, synthesis, focus=_focus(request), notice=done))

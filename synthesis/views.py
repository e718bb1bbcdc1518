from django.db.models import Prefetch
from django.shortcuts import render

from atelier import permissions

from .models import Statement


def published(request, slug):
    synthesis = permissions.get_readable_synthesis_or_404(request.user, slug)
    workshop = synthesis.workshop
    sections = synthesis.sections.select_related("round").prefetch_related(
        Prefetch("statements", queryset=Statement.objects.select_related("speaker_actor_type")),
    )
    return render(
        request,
        "synthesis/published.html",
        {
            "synthesis": synthesis,
            "workshop": workshop,
            "sections": sections,
            "carriers": workshop.carriers.all(),
            "supporters": workshop.supporters.all(),
        },
    )

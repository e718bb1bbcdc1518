from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from atelier import permissions
from atelier.lib.http import csv_response, safe_next
from atelier.lib.text import control_characters_message
from synthesis.models import FollowUp, FollowUpStatus, Statement

from . import dashboard as dashboard_data


@login_required
def dashboard(request, territory_id):
    territory = permissions.get_territory_for_reader(request.user, territory_id)
    context = dashboard_data.build(territory)
    context["can_follow_up"] = permissions.is_coordinator(request.user)
    context["follow_up_statuses"] = FollowUpStatus.choices
    return render(request, "territories/dashboard.html", context)


@login_required
def dashboard_csv(request, territory_id):
    territory = permissions.get_territory_for_reader(request.user, territory_id)
    rows = dashboard_data.csv_rows(dashboard_data.build(territory))
    return csv_response(f"tableau-de-bord-{territory.level}-{territory.code}.csv", rows)


@login_required
@require_POST
def follow_up(request, statement_id):
    """The coordination records where a commitment stands."""
    permissions.require_coordinator(request.user)
    statement = Statement.objects.filter(pk=statement_id, kind="commitment").first()
    status = request.POST.get("status")
    note = request.POST.get("note", "")[:300]
    if statement is None or status not in FollowUpStatus.values:
        messages.error(request, _("Engagement ou état de suivi inconnu."))
    elif refused := control_characters_message(note):  # NUL: a 500 on PostgreSQL
        messages.error(request, _("Précision du suivi : %(reason)s") % {"reason": refused})
    else:
        FollowUp.objects.create(statement=statement, status=status, by=request.user, note=note)
        messages.success(request, _("Suivi enregistré."))
    return redirect(safe_next(request, request.POST.get("next"), within="/territoires/") or "home")


@login_required
def trends(request):
    """What recurs across territories: coordination only."""
    from . import trends as trends_data

    permissions.require_coordinator(request.user)
    return render(request, "territories/trends.html", trends_data.build())

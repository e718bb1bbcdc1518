"""A workshop's life for the coordination: create it (from scratch or from the
structure of an earlier one), set its rounds and questions, archive it.
Coordinators only; every action is a plain form that works without JavaScript."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import permissions
from .models import Question
from .workshop_forms import QuestionForm, RoundForm, WorkshopCreateForm, WorkshopForm

MOVES = {"up": -1, "down": 1}


@login_required
def workshop_create(request):
    permissions.require_coordinator(request.user)
    form = WorkshopCreateForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        workshop = form.save()
        messages.success(request, _("L'atelier « %(title)s » est créé.") % {"title": workshop})
        return redirect("workshop_settings", workshop.slug)
    status = 400 if form.errors else 200
    return render(request, "atelier/workshop_create.html", {"form": form}, status=status)


@login_required
def workshop_settings(request, slug):
    workshop = permissions.get_workshop_for_coordinator(request.user, slug)
    form = WorkshopForm(request.POST or None, request.FILES or None, instance=workshop)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Les réglages de l'atelier sont enregistrés."))
        return redirect("workshop_settings", workshop.slug)
    return _settings_page(request, workshop, form=form, status=400 if form.errors else 200)


def _settings_page(request, workshop, *, status=200, form=None, bound=None, refused=None):
    """The settings page; `bound` is the one form posted with errors and
    `refused` the item whose removal was refused, both shown in place."""
    questions = Prefetch("questions", queryset=Question.objects.order_by("order"))
    rounds = list(workshop.rounds.order_by("order").prefetch_related(questions))
    for round_ in rounds:
        round_.form = _form_for(bound, round_, RoundForm, f"round-{round_.pk}")
        round_.new_question_form = _form_for(
            bound, ("new-question", round_.pk), QuestionForm, f"new-question-{round_.pk}"
        )
        round_.refusal = refused[1] if refused and refused[0] == round_ else None
        for question in round_.questions.all():
            question.form = _form_for(bound, question, QuestionForm, f"question-{question.pk}")
            question.refusal = refused[1] if refused and refused[0] == question else None
    context = {
        "workshop": workshop,
        "form": form or WorkshopForm(instance=workshop),
        "rounds": rounds,
        "new_round_form": _form_for(bound, "new-round", RoundForm, "new-round"),
    }
    return render(request, "atelier/workshop_settings.html", context, status=status)


def _form_for(bound, key, form_class, prefix):
    if bound is not None and bound[0] == key:
        return bound[1]
    instance = key if hasattr(key, "pk") else None
    return form_class(instance=instance, prefix=prefix)


def _back_to(item):
    """The settings page, at the item just changed."""
    workshop = item.workshop if hasattr(item, "workshop") else item.round.workshop
    anchor = f"temps-{item.pk}" if hasattr(item, "workshop") else f"consigne-{item.pk}"
    return redirect(f"{reverse('workshop_settings', args=[workshop.slug])}#{anchor}")


@require_POST
@login_required
def workshop_archive(request, slug):
    workshop = permissions.get_workshop_for_coordinator(request.user, slug)
    if request.POST.get("archived") == "0":
        workshop.unarchive()
        messages.success(request, _("L'atelier est de nouveau en cours."))
    else:
        workshop.archive()
        messages.success(request, _("L'atelier est archivé : il reste lisible."))
    return redirect("workshop_settings", workshop.slug)


@require_POST
@login_required
def round_add(request, slug):
    workshop = permissions.get_workshop_for_coordinator(request.user, slug)
    form = RoundForm(request.POST, prefix="new-round")
    if not form.is_valid():
        return _settings_page(request, workshop, bound=("new-round", form), status=400)
    return _back_to(workshop.add_round(**form.cleaned_data))


@require_POST
@login_required
def round_edit(request, round_id):
    round_ = permissions.get_round_for_coordinator(request.user, round_id)
    form = RoundForm(request.POST, instance=round_, prefix=f"round-{round_.pk}")
    if not form.is_valid():
        return _settings_page(request, round_.workshop, bound=(round_, form), status=400)
    form.save()
    return _back_to(round_)


@require_POST
@login_required
def round_move(request, round_id):
    round_ = permissions.get_round_for_coordinator(request.user, round_id)
    if request.POST.get("direction") not in MOVES:
        return HttpResponseBadRequest()
    round_.move(MOVES[request.POST["direction"]])
    return _back_to(round_)


@require_POST
@login_required
def round_remove(request, round_id):
    round_ = permissions.get_round_for_coordinator(request.user, round_id)
    workshop = round_.workshop
    if not round_.can_be_removed():
        refusal = _("Des notes ont été écrites dans ce temps : il ne peut pas être retiré.")
        return _settings_page(request, workshop, refused=(round_, refusal), status=409)
    label = round_.label
    round_.remove()
    messages.success(request, _("%(round)s est retiré.") % {"round": label})
    return redirect("workshop_settings", workshop.slug)


@require_POST
@login_required
def question_add(request, round_id):
    round_ = permissions.get_round_for_coordinator(request.user, round_id)
    form = QuestionForm(request.POST, prefix=f"new-question-{round_.pk}")
    if not form.is_valid():
        bound = (("new-question", round_.pk), form)
        return _settings_page(request, round_.workshop, bound=bound, status=400)
    question = round_.add_question(**form.cleaned_data)
    question.round = round_
    return _back_to(question)


def _question(user, question_id):
    question = Question.objects.select_related("round__workshop").filter(pk=question_id).first()
    permissions.get_workshop_for_coordinator(user, question.round.workshop.slug if question else "")
    return question


@require_POST
@login_required
def question_edit(request, question_id):
    question = _question(request.user, question_id)
    form = QuestionForm(request.POST, instance=question, prefix=f"question-{question.pk}")
    if not form.is_valid():
        return _settings_page(request, question.round.workshop, bound=(question, form), status=400)
    form.save()
    return _back_to(question)


@require_POST
@login_required
def question_move(request, question_id):
    question = _question(request.user, question_id)
    if request.POST.get("direction") not in MOVES:
        return HttpResponseBadRequest()
    question.move(MOVES[request.POST["direction"]])
    return _back_to(question)


@require_POST
@login_required
def question_remove(request, question_id):
    question = _question(request.user, question_id)
    workshop = question.round.workshop
    if not question.can_be_removed():
        refusal = _("Des notes répondent à cette consigne : elle ne peut pas être retirée.")
        return _settings_page(request, workshop, refused=(question, refusal), status=409)
    question.remove()
    messages.success(request, _("La consigne est retirée."))
    return redirect("workshop_settings", workshop.slug)

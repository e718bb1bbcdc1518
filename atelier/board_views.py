"""The group board (live note-taking) and the facilitators' overview.

Why one module past ~400 lines: every view here serves the same page and
shares its partials and rights; split, they would import each other.

Every write answers three ways: an htmx partial, a plain redirect when
JavaScript is off, and for the offline outbox (X-Outbox header) JSON errors.
"""

import uuid
from collections import defaultdict
from datetime import UTC, datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from . import board_poll, markup, permissions
from . import overview as overview_data
from .forms import NoteEditForm, NoteForm, ThemeForm, parse_int
from .models import NOTE_MAX_LENGTH, ActorType, Contribution, Theme, UUIDReused

BOARD = "atelier/board.html"
POLL_SECONDS = 3


def _question_notes(group):
    """The round's questions, each with its group's notes in board order
    (`question.notes`), each note with its themes' names (`note.theme_names`):
    three queries whatever the number of notes."""
    notes = (
        Contribution.objects.alive()
        .filter(group=group)
        .board_order()
        .select_related("speaker_actor_type")
    )
    names = _theme_names(group)
    by_question = defaultdict(list)
    for note in notes:
        note.theme_names = names[note.pk]
        by_question[note.question_id].append(note)
    questions = list(group.round.questions.order_by("order"))
    for question in questions:
        question.notes = by_question[question.pk]
    return questions


def _theme_names(group):
    """{note id: its themes' names} for the group's notes. A join on the group
    rather than prefetch_related: 500 note ids in an IN list cost more, in
    Python and in PostgreSQL, than the rest of the board."""
    names = defaultdict(list)
    tags = (
        Contribution.themes.through.objects.filter(
            contribution__group=group, contribution__deleted_at__isnull=True
        )
        .order_by("theme__name")
        .values_list("contribution_id", "theme__name")
    )
    for note_id, name in tags:
        names[note_id].append(name)
    return names


def _board_context(request, group, *, failed=None, deleted=None):
    """Everything the board page needs; `failed` is a NoteForm with errors."""
    read_only = not group.can_write or "lecture" in request.GET
    questions = _question_notes(group)
    for question in questions:
        if failed is not None and str(failed.data.get("question")) == str(question.pk):
            question.form = failed
        else:
            question.form = NoteForm(
                round=group.round,
                initial={
                    "client_uuid": uuid.uuid4(),
                    "question": question.pk,
                    "kind": question.default_kind,
                },
            )
    return {
        "group": group,
        "workshop": group.round.workshop,
        "questions": questions,
        "can_write": not read_only,
        "actor_types": ActorType.objects.all(),
        "themes": Theme.objects.all() if not read_only else [],
        "cursor": timezone.now().isoformat(),
        "poll_token": board_poll.token(request, group),
        "poll_seconds": POLL_SECONDS,
        "held_max": board_poll.HELD_MAX,
        "deleted": deleted,
        "board_messages": _script_messages(),
    }


def _script_messages():
    """The board script's sentences, translated here like the rest of the page."""
    return {
        "empty": _("La note est vide."),
        # The same limit as the server's, served by the page: one constant.
        "max_length": NOTE_MAX_LENGTH,
        "too_long": _(
            "La note dépasse %(max)s caractères (elle en compte {n}). "
            "Raccourcissez-la ou coupez-la en deux."
        )
        % {"max": NOTE_MAX_LENGTH},
        "move_failed": _(
            "Le déplacement n'a pas été enregistré : réessayez avec les boutons ↑ et ↓."
        ),
        "pending_label": _("pas encore enregistrée"),
        "pending_one": _("1 note pas encore enregistrée"),
        "pending_many": _("{n} notes pas encore enregistrées"),
        "session": _(
            "enregistrement refusé : reconnectez-vous dans un autre onglet, vos notes attendent ici"
        ),
        "server": _("le serveur ne répond pas, nouvel essai automatique"),
        "refused": _("la note a été refusée."),
        "other_user": _(
            "une autre personne est connectée dans ce navigateur : ces notes restent "
            "gardées pour celle ou celui qui les a écrites"
        ),
        "refused_one": _("1 note non enregistrée"),
        "refused_many": _("{n} notes non enregistrées"),
        "other_group": _("Groupe : {group}"),
        "copy": _("Copier le texte"),
        "copied": _("Texte copié."),
        "copy_failed": _("La copie a échoué : sélectionnez le texte à la main."),
        "retry": _("Renvoyer"),
        "discard": _("Effacer"),
        "discard_confirm": _("Effacer définitivement cette note ? Son texte sera perdu."),
        "legacy": _(
            "Note gardée par une version précédente du tableau, sans nom d'auteur : "
            "vérifiez qu'elle est de vous avant de la renvoyer."
        ),
        "logout_one": _("1 note de ce navigateur n'est pas encore enregistrée."),
        "logout_many": _("{n} notes de ce navigateur ne sont pas encore enregistrées."),
    }


@login_required
@vary_on_headers("HX-Request")
def board(request, group_id):
    group = permissions.get_group_for_reader(request.user, group_id)
    deleted = None
    if group.can_write and request.GET.get("supprimee", "").isdigit():
        deleted = group.contributions.filter(
            pk=request.GET["supprimee"], deleted_at__isnull=False
        ).first()
    return render(request, BOARD, _board_context(request, group, deleted=deleted))


@login_required
@require_GET
@never_cache  # the same URL asks again while a board is quiet
def board_changes(request, group_id):
    """Notes changed since `since`, as note partials; the client merges them."""
    group = permissions.get_group_for_reader(request.user, group_id)
    now = timezone.now()
    notes = group.changes_since(_since(request.GET.get("since", ""), now))
    # Not the notes the board says it holds as they are (board_poll.held_notes).
    notes = board_poll.unseen(notes, board_poll.held_notes(request.GET.get("vu", "")))
    response = render(
        request,
        "atelier/board_changes.html",
        {
            "notes": notes,
            "can_write": group.can_write and "lecture" not in request.GET,
        },
    )
    response["X-Board-Cursor"] = now.isoformat()
    response["X-Board-Token"] = board_poll.token(request, group)
    return response


def _since(value: str, now: datetime) -> datetime:
    """The moment a poll asks from. The board sends back the cursor it was
    given; anything else (garbage, "…+23:59" from a mangled query string, a
    year 1 that overflows once in UTC) is read as "now": nothing new."""
    try:
        since = datetime.fromisoformat(value)
        if timezone.is_naive(since):
            since = timezone.make_aware(since)
        return since.astimezone(UTC)
    except (ValueError, OverflowError):
        return now


def _note_response(request, note, *, status=200, template="note"):
    return render(
        request,
        f"{BOARD}#{template}",
        {"note": note, "can_write": True, "actor_types": ActorType.objects.all()},
        status=status,
    )


def _back_to(note_or_group, anchor=None):
    group = getattr(note_or_group, "group", note_or_group)
    url = reverse("board", args=[group.pk])
    return redirect(f"{url}#{anchor}" if anchor else url)


@login_required
@require_POST
def note_create(request, group_id):
    outbox = "X-Outbox" in request.headers
    if outbox and "outbox_user" not in request.POST:
        # A board page opened before its author was sent (an older board.js,
        # still open or reloaded offline from the service worker): its script
        # drops a refused note but retries a 5xx, and once reloaded the new
        # script adopts its waiting notes. So: "try again later", never "no".
        response = JsonResponse(
            {"code": "reload", "errors": {"text": [_("Rechargez la page du tableau.")]}},
            status=503,
        )
        response["Retry-After"] = "30"
        return response
    if outbox and request.POST.get("outbox_user") != str(request.user.pk):
        # The browser's outbox says who typed the note: never store it under
        # the name of whoever is logged in now (a shared computer, a session
        # changed in another tab). The browser keeps it for its author.
        message = _(
            "Cette note a été écrite par une autre personne que celle qui est connectée : "
            "elle n'est pas enregistrée sous votre nom."
        )
        return JsonResponse({"code": "other_user", "errors": {"text": [message]}}, status=409)
    try:
        group = permissions.get_group_for_writer(request.user, group_id)
    except (PermissionDenied, Http404) as refusal:
        if not outbox:
            raise
        return _outbox_refusal(refusal)
    form = NoteForm(request.POST, round=group.round)
    if not form.is_valid():
        if outbox:
            return JsonResponse({"errors": _messages(form)}, status=400)
        return render(request, BOARD, _board_context(request, group, failed=form), status=400)
    try:
        note, created = group.add_note(author=request.user, **form.cleaned_data)
    except UUIDReused:
        message = _("Cet identifiant de note est déjà utilisé ailleurs : rechargez la page.")
        if outbox:
            return JsonResponse({"errors": {"text": [message]}}, status=409)
        form.add_error("text", message)
        return render(request, BOARD, _board_context(request, group, failed=form), status=409)
    if not (request.htmx or outbox):
        return _back_to(group, f"note-{note.pk}")
    return render(
        request, f"{BOARD}#note", {"note": note, "can_write": True}, status=201 if created else 200
    )


def _outbox_refusal(refusal):
    """A waiting note the server will never take (its animator was moved to
    another group, the group is gone): a French reason, as JSON, so that the
    board sets it aside with its text and sends the next ones."""
    if isinstance(refusal, PermissionDenied):
        message = _("Vous n'animez plus ce groupe : la note n'y a pas été enregistrée.")
        status = 403
    else:
        message = _("Ce groupe n'existe plus ou ne vous est plus ouvert.")
        status = 404
    return JsonResponse({"code": "refused", "errors": {"text": [message]}}, status=status)


def _messages(form):
    return {field: [str(e) for e in errors] for field, errors in form.errors.items()}


@login_required
@vary_on_headers("HX-Request")
def note_detail(request, note_id):
    """The note as shown on the board (used to cancel an edit)."""
    note = permissions.get_note_for_writer(request.user, note_id)
    if not request.htmx:
        return _back_to(note, f"note-{note.pk}")
    return _note_response(request, note)


@login_required
@vary_on_headers("HX-Request")
def note_edit(request, note_id):
    note = permissions.get_note_for_writer(request.user, note_id)
    if request.method != "POST":
        return _edit_response(request, note, _fresh_edit_form(note))
    form = NoteEditForm(request.POST)
    if not form.is_valid():
        return _edit_response(request, note, form, status=400)
    data = form.cleaned_data
    fields = {
        "text": data["text"],
        "kind": data["kind"],
        "speaker_actor_type": data["speaker_actor_type"],
    }
    if not note.edit(version=data["version"], **fields):
        return _conflict_response(request, note, form)
    note.refresh_from_db()
    if not request.htmx:
        return _back_to(note, f"note-{note.pk}")
    return _note_response(request, note)


def _edit_response(request, note, form, *, status=200, theme_form=None):
    context = {
        "note": note,
        "form": form,
        "theme_form": theme_form or ThemeForm(),
        "themes": Theme.objects.all(),
        "can_write": True,
    }
    if request.htmx:
        return render(request, f"{BOARD}#note-edit", context, status=status)
    return render(request, "atelier/note_edit.html", context, status=status)


def _conflict_response(request, note, form):
    """Somebody saved the note since this edit began: show both texts."""
    current = Contribution.objects.select_related("speaker_actor_type").get(pk=note.pk)
    mine = NoteEditForm(initial={**form.cleaned_data, "version": current.version})
    context = {
        "note": current,
        "mine": form.cleaned_data["text"],
        "form": mine,
        "can_write": True,
        "deleted": current.deleted_at is not None,
    }
    template = f"{BOARD}#note-conflict" if request.htmx else "atelier/note_conflict.html"
    return render(request, template, context, status=409)


@login_required
@require_POST
def note_delete(request, note_id):
    note = permissions.get_note_for_writer(request.user, note_id)
    note.soft_delete()
    if not request.htmx:
        url = reverse("board", args=[note.group.pk])
        return redirect(f"{url}?supprimee={note.pk}#notes-q{note.question_id}")
    return _note_response(request, note, template="note-deleted")


@login_required
@require_POST
def note_restore(request, note_id):
    note = permissions.get_note_for_writer(request.user, note_id)
    note.restore()
    if not request.htmx:
        messages.success(request, _("La note est rétablie."))
        return _back_to(note, f"note-{note.pk}")
    return _note_response(request, note)


@login_required
@require_POST
def note_move(request, note_id):
    note = permissions.get_note_for_writer(request.user, note_id)
    offset = {"up": -1, "down": 1}.get(request.POST.get("direction"))
    if offset is None:  # a drag and drop: any number of places
        offset = parse_int(request.POST.get("offset"))
    # Another animator of the board may have deleted the note a moment ago:
    # it has no place among the living notes any more.
    gone = note.deleted_at is not None
    if gone:
        message = _("Cette note vient d'être supprimée : elle n'a pas été déplacée.")
        if not request.htmx:
            messages.error(request, message)
            return _back_to(note, f"notes-q{note.question_id}")
    elif offset:
        note.move(offset)
    if not request.htmx:
        return _back_to(note, f"note-{note.pk}")
    group = note.group
    question = next(q for q in _question_notes(group) if q.pk == note.question_id)
    return render(
        request,
        f"{BOARD}#question-notes",
        {
            "question": question,
            "group": group,
            "can_write": True,
            "moved": None if gone else note.pk,
            "direction": request.POST.get("direction"),
            "gone": message if gone else "",
        },
        status=409 if gone else 200,
    )


@login_required
@require_POST
def note_theme_add(request, note_id):
    note = permissions.get_note_for_writer(request.user, note_id)
    theme_form = ThemeForm(request.POST)
    if theme_form.is_valid():
        Contribution.objects.filter(pk=note.pk).tag(theme_form.cleaned_data["theme"])
        theme_form = ThemeForm()
    elif not request.htmx:
        return _edit_response(
            request, note, _fresh_edit_form(note), theme_form=theme_form, status=400
        )
    if not request.htmx:
        return redirect("note_edit", note.pk)
    note = permissions.get_note_for_writer(request.user, note_id)
    return render(
        request,
        f"{BOARD}#note-themes",
        {"note": note, "theme_form": theme_form, "themes": Theme.objects.all()},
        status=200 if theme_form.is_bound is False else 400,
    )


@login_required
@require_POST
def note_theme_remove(request, note_id, theme_id):
    note = permissions.get_note_for_writer(request.user, note_id)
    note.themes.remove(theme_id)
    note.touch()
    if not request.htmx:
        return redirect("note_edit", note.pk)
    note = permissions.get_note_for_writer(request.user, note_id)
    return render(
        request,
        f"{BOARD}#note-themes",
        {"note": note, "theme_form": ThemeForm(), "themes": Theme.objects.all()},
    )


def _fresh_edit_form(note):
    return NoteEditForm(
        initial={
            "text": note.text,
            "kind": note.kind,
            "speaker_actor_type": note.speaker_actor_type_id,
            "version": note.version,
        }
    )


@login_required
@require_POST
def markup_preview(request):
    """What the light markup will look like (the same renderer as the pages)."""
    text = markup.clean_text(request.POST.get("text", ""))[:10_000]
    return HttpResponse(markup.render(text) if text else "")


@login_required
@vary_on_headers("HX-Request")
def overview(request, slug):
    workshop = permissions.get_workshop_for_facilitator(request.user, slug)
    context = overview_data.build(workshop, request.GET.get("temps"))
    context["can_switch"] = permissions.is_coordinator(request.user)
    template = "atelier/overview.html#grid" if request.htmx else "atelier/overview.html"
    return render(request, template, context)


@login_required
@require_POST
def overview_round(request, slug):
    workshop = permissions.get_workshop_for_facilitator(request.user, slug)
    permissions.require_coordinator(request.user)
    round_ = workshop.rounds.filter(pk=parse_int(request.POST.get("round"))).first()
    if round_ is None:  # a forged or stale choice: the live round stays as it was
        messages.error(request, _("Ce temps n'existe pas dans cet atelier."))
    else:
        workshop.current_round = round_
        workshop.save(update_fields=["current_round"])
        messages.success(
            request, _("%(round)s est maintenant le temps en cours.") % {"round": round_.label}
        )
    return redirect("overview", workshop.slug)


@never_cache
def service_worker(request):
    """Served from the root so that it may keep the boards readable offline."""
    response = FileResponse(
        open(finders.find("js/sw.js"), "rb"),  # noqa: SIM115
        content_type="application/javascript",
    )
    response["Service-Worker-Allowed"] = "/"
    return response

"""The synthesis pages: the published page, the editor and its statement
actions, history, exports. The draft job's and the suggestions' views live in
draft_views.py and suggestion_views.py.

Why one module past ~400 lines: the editor's actions share its helpers
(`_editable_statement`, `_statement_response`, `_back`)."""

from collections import Counter
from dataclasses import dataclass, field

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Prefetch
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from atelier import markup
from atelier.forms import parse_int as _int
from atelier.lib.http import safe_next
from atelier.models import NOTE_MAX_LENGTH, ActorType, Contribution, Kind, Workshop
from atelier.permissions import workshops_of

from . import diff, draft_views, editing, jobs, permissions, publishing
from .exports.content import format_line, page_partners
from .models import Comment, ExportFormat, Statement, Status, Synthesis


class StatementForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Texte de l'énoncé"),
        max_length=NOTE_MAX_LENGTH,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": gettext_lazy("L'énoncé est vide.")},
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def clean_text(self):
        text = markup.clean_text(self.cleaned_data["text"])
        if not text:
            raise forms.ValidationError(_("L'énoncé est vide."))
        return text


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
            "format_line": format_line(workshop),
            # Back to the workshop's hub for those who may open it; home for the others.
            "hub": workshops_of(request.user, Workshop.objects.filter(pk=workshop.pk)).exists(),
            # The stored logos, re-encoded when they were uploaded (atelier/logos.py).
            "carriers": page_partners(workshop.carriers.all()),
            "supporters": page_partners(workshop.supporters.all()),
            **exports_context(synthesis, request.user),
        },
    )


# --- The editor (coordination) ---------------------------------------------------------


def _open_comments(statements):
    """statement id -> its unresolved comments."""
    return dict(
        Comment.objects.filter(statement__in=statements, resolved_at__isnull=True)
        .values_list("statement")
        .annotate(n=Count("pk"))
        .order_by()
    )


def _with_support(statement, support, comments):
    statement.group_count, statement.actor_types = support.of(statement.pk)
    statement.open_comments = comments.get(statement.pk, 0)
    # One group, and the draft found nothing near it elsewhere: a point only
    # one group raised, not one the clustering missed. Marked in place: the
    # editor keeps the statements' order, the order readers get.
    statement.weak = (
        statement.kind != Kind.QUOTE and statement.group_count == 1 and statement.isolated
    )
    return statement


@dataclass(slots=True)
class _Card:
    """What a statement's card shows. The editor of a 10,000-note workshop
    shows 1,500 statements: plain rows cost a tenth of model instances."""

    pk: int
    section_id: int
    kind: str
    text: str
    version: int
    speaker_actor_type_id: int | None
    isolated: bool = True
    label_proposed: bool = False
    group_count: int = 0
    actor_types: list = field(default_factory=list)
    open_comments: int = 0
    weak: bool = False


def _cards(synthesis):
    """section id -> its statements as cards, in order."""
    rows = (
        Statement.objects.filter(section__synthesis=synthesis)
        .order_by("order", "pk")
        .values_list(
            "pk",
            "section_id",
            "kind",
            "text",
            "version",
            "speaker_actor_type_id",
            "isolated",
            "label_proposed",
        )
    )
    cards = {}
    for row in rows:
        cards.setdefault(row[1], []).append(_Card(*row))
    return cards


def editor_context(workshop, synthesis, user):
    sections = list(synthesis.sections.select_related("round"))
    cards = _cards(synthesis)
    actor_types = {t.pk: t for t in ActorType.objects.all()}
    support = editing.support(synthesis)
    group_totals = Counter(support.rounds.values())
    comments = _open_comments(Statement.objects.filter(section__synthesis=synthesis))
    for section in sections:
        section.total_groups = group_totals.get(section.round_id, 0)
        # Quotes apart, grouped by speaker, as on the published page
        # (Section.parts); every other statement in its own order.
        section.main, section.quotes, section.weak_count = [], {}, 0
        for statement in cards.get(section.pk, []):
            _with_support(statement, support, comments)
            if statement.kind == Kind.QUOTE:
                speaker = actor_types.get(statement.speaker_actor_type_id)
                section.quotes.setdefault(speaker, []).append(statement)
            else:
                section.main.append(statement)
                section.weak_count += statement.weak
        section.quotes = list(section.quotes.items())
    # Counted with the support: no query for the list when no note waits.
    waiting = []
    if support.unassigned:
        waiting = editing.unassigned(synthesis, list(support.rounds))[:UNASSIGNED_SHOWN]
    return {
        "workshop": workshop,
        "synthesis": synthesis,
        "sections": sections,
        "unassigned": waiting,
        "unassigned_count": support.unassigned,
        "events": synthesis.events.select_related("by"),
        "frozen": synthesis.status == Status.PUBLISHED,
        **exports_context(synthesis, user),
    }


UNASSIGNED_SHOWN = 100


@login_required
def editor(request, slug):
    workshop, synthesis = permissions.get_synthesis_for_editor(request.user, slug)
    context = draft_views.draft_context(workshop, synthesis)
    if synthesis is not None:
        context.update(editor_context(workshop, synthesis, request.user))
    return render(request, "synthesis/editor.html", context)


@login_required
@require_POST
def new_revision(request, slug):
    workshop, synthesis = permissions.get_synthesis_for_editor(request.user, slug)
    if synthesis is not None:
        copy = synthesis.editable(by=request.user)
        messages.success(
            request,
            _("Révision %(rev)s ouverte : la version publiée reste en ligne.")
            % {"rev": copy.revision},
        )
    return redirect("synthesis_editor", workshop.slug)


@login_required
@require_POST
def change_status(request, slug):
    workshop, synthesis = permissions.get_synthesis_for_editor(request.user, slug)
    wanted = request.POST.get("status")
    if wanted == Status.PUBLISHED and synthesis is not None and synthesis.status != wanted:
        # Publishing goes through its confirmation, which lists what to check.
        return redirect("synthesis_publish", workshop.slug)
    if synthesis is None or not synthesis.move_to(wanted, by=request.user):
        # A second click on "publier" lands here: already done, nothing to do.
        if synthesis is not None and synthesis.status == wanted:
            return redirect("synthesis_editor", workshop.slug)
        messages.error(request, _("Cette étape n'est pas possible depuis l'état actuel."))
    else:
        messages.success(
            request,
            _("La synthèse est passée à l'état « %(status)s ».")
            % {"status": synthesis.get_status_display().lower()},
        )
    return redirect("synthesis_editor", workshop.slug)


@login_required
def publish(request, slug):
    """Publishing, confirmed: the page lists the unresolved comments and what
    readers will see change (synthesis/publishing.py); its form posts what
    was shown, and a POST that finds something else shows the list again."""
    workshop, synthesis = permissions.get_synthesis_for_editor(request.user, slug)
    if synthesis is None or synthesis.status == Status.PUBLISHED:
        # A second click, or a back button after publishing: nothing to do.
        # The second click of a double click may be the answer the browser
        # shows: it says what the first did.
        if synthesis is not None and request.method == "POST":
            _say_published(request, synthesis)
        return redirect("synthesis_editor", workshop.slug)
    checked = publishing.review(synthesis)
    stale = False
    if request.method == "POST":
        if synthesis.status != Status.APPROVED:
            messages.error(request, _("Cette étape n'est pas possible depuis l'état actuel."))
            return redirect("synthesis_editor", workshop.slug)
        stale = request.POST.get("seen") != checked.fingerprint
        if not stale:
            # A parallel click may have published it first: once is enough,
            # and either answer says it is done.
            published = synthesis.move_to(Status.PUBLISHED, by=request.user)
            if (
                published
                or Synthesis.objects.filter(pk=synthesis.pk, status=Status.PUBLISHED).exists()
            ):
                _say_published(request, synthesis)
            return redirect("synthesis_editor", workshop.slug)
    return render(
        request,
        "synthesis/publish.html",
        {"workshop": workshop, "synthesis": synthesis, "review": checked, "stale": stale},
        status=409 if stale else 200,
    )


def _say_published(request, synthesis):
    done = _("Révision %(rev)s publiée : les lecteurs lisent maintenant ce texte.")
    messages.success(request, done % {"rev": synthesis.revision})


def _editable_statement(request, statement_id):
    """The statement and None if it may change now (synthesis/permissions.py
    decides); else a 409 saying why."""
    try:
        writing = request.method == "POST"  # a GET (the edit form) changes nothing
        return permissions.get_statement_for_edit(request.user, statement_id, writing=writing), None
    except permissions.RevisionFrozen as frozen:
        statement = permissions.get_statement_for_editor(request.user, statement_id)
        return statement, HttpResponse(str(frozen), status=409)


def _statement_response(request, statement, template="statement"):
    statement = Statement.objects.select_related(
        "speaker_actor_type", "section__round", "section__synthesis"
    ).get(pk=statement.pk)
    section = statement.section
    support = editing.support(section.synthesis, statement)
    comments = _open_comments(Statement.objects.filter(pk=statement.pk))
    _with_support(statement, support, comments)
    section.total_groups = sum(1 for r in support.rounds.values() if r == section.round_id)
    return render(
        request,
        f"synthesis/editor.html#{template}",
        {
            "statement": statement,
            "section": section,
            "synthesis": section.synthesis,
            "frozen": False,
        },
    )


def _back(statement_or_synthesis, anchor=""):
    synthesis = getattr(statement_or_synthesis, "section", None)
    synthesis = synthesis.synthesis if synthesis else statement_or_synthesis
    url = reverse("synthesis_editor", args=[synthesis.workshop.slug])
    return redirect(f"{url}#{anchor}" if anchor else url)


def _swap(request, synthesis, section_ids, *, notice="", level="success", unassigned=False):
    """What an action changed, for htmx: the first of `section_ids` in place
    of its own section, the others and the unassigned notes out of band. The
    editor of a big workshop is 14,000 pixels: a merge must not send it again."""
    workshop = synthesis.workshop
    context = editor_context(workshop, synthesis, request.user)
    by_pk = {section.pk: section for section in context["sections"]}
    changed = [by_pk[pk] for pk in dict.fromkeys(section_ids) if pk in by_pk]
    context.update(
        changed=changed,
        with_unassigned=unassigned or not changed,
        notice=notice,
        notice_level=level,
        notice_section=changed[0].pk if changed else None,
        unassigned_error=notice if not changed and level == "error" else "",
    )
    response = render(request, "synthesis/includes/sections.html", context)
    if changed:
        response["HX-Retarget"], response["HX-Reswap"] = f"#rubrique-{changed[0].pk}", "innerHTML"
    else:
        response["HX-Retarget"], response["HX-Reswap"] = "#non-rattachees", "outerHTML"
    return response


def _frozen(request, refusal):
    """A published revision refuses edits (409, saying why). An htmx request
    reloads the editor instead, which shows the revision as it is."""
    if not isinstance(refusal, HttpResponse):
        refusal = HttpResponse(str(refusal), status=409)
    if request.htmx:
        messages.error(request, refusal.content.decode())
        refusal["HX-Refresh"] = "true"
    return refusal


@login_required
@vary_on_headers("HX-Request")
def statement_detail(request, statement_id):
    statement = permissions.get_statement_for_editor(request.user, statement_id)
    if not request.htmx:
        return _back(statement, f"enonce-{statement.pk}")
    return _statement_response(request, statement)


@login_required
@vary_on_headers("HX-Request")
def statement_sources(request, statement_id):
    statement = permissions.get_statement_for_editor(request.user, statement_id)
    notes = statement.sources.select_related(
        "group__round", "group__actor_type", "speaker_actor_type"
    ).order_by("group__round__order", "group__number", "pk")
    return _panel(request, "sources", {"statement": statement, "notes": notes})


def _panel(request, partial, context):
    """A piece of the editor loaded on demand; a page of its own without JavaScript."""
    if request.htmx:
        return render(request, f"synthesis/editor.html#{partial}", context)
    return render(request, "synthesis/panel.html", {**context, "partial": partial})


@login_required
@vary_on_headers("HX-Request")
def statement_edit(request, statement_id):
    statement, refused = _editable_statement(request, statement_id)
    if refused:
        return refused
    if request.method != "POST":
        form = StatementForm(initial={"text": statement.text, "version": statement.version})
        return _statement_form(request, statement, form)
    form = StatementForm(request.POST)
    if not form.is_valid():
        return _statement_form(request, statement, form, status=400)
    if not statement.edit(version=form.cleaned_data["version"], text=form.cleaned_data["text"]):
        current = Statement.objects.get(pk=statement.pk)
        form = StatementForm(
            initial={"text": form.cleaned_data["text"], "version": current.version}
        )
        return _statement_form(request, current, form, status=409, mine=form.initial["text"])
    if not request.htmx:
        return _back(statement, f"enonce-{statement.pk}")
    return _statement_response(request, statement)


def _statement_form(request, statement, form, *, status=200, mine=None):
    context = {"statement": statement, "form": form, "mine": mine}
    template = "synthesis/editor.html#statement-form"
    if not request.htmx:
        template = "synthesis/statement_form.html"
    return render(request, template, context, status=status)


@login_required
@require_POST
def statement_reorder(request, statement_id):
    statement, refused = _editable_statement(request, statement_id)
    if refused:
        return _frozen(request, refused)
    direction = request.POST.get("direction")
    moved = editing.reorder(statement, {"up": -1, "down": 1}.get(direction, 0))
    if not request.htmx:
        return _back(statement, f"enonce-{statement.pk}")
    if not moved:
        notice = _("L'énoncé est déjà à cette extrémité de la rubrique.")
    elif direction == "up":
        notice = _("Énoncé monté d'un rang.")
    else:
        notice = _("Énoncé descendu d'un rang.")
    return _swap(request, statement.section.synthesis, [statement.section_id], notice=notice)


@login_required
@require_POST
def statement_accept_label(request, statement_id):
    """Keep the label the language model proposed: from now on it is the
    coordination's text (no longer marked, never redrafted)."""
    statement, refused = _editable_statement(request, statement_id)
    if refused:
        return _frozen(request, refused)
    Statement.objects.filter(pk=statement.pk).update(
        label_proposed=False, drafted=False, updated_at=timezone.now()
    )
    if request.htmx:  # posted through the page's #statement-actions form: aim at the card
        response = _statement_response(request, statement)
        response["HX-Retarget"], response["HX-Reswap"] = f"#enonce-{statement.pk}", "outerHTML"
        return response
    return _back(statement, f"enonce-{statement.pk}")


@login_required
@require_POST
def statement_remove(request, statement_id):
    statement, refused = _editable_statement(request, statement_id)
    if refused:
        return _frozen(request, refused)
    synthesis, section_id = statement.section.synthesis, statement.section_id
    count = editing.remove(synthesis, statement)
    if count:
        text = ngettext(
            "Énoncé retiré : sa note attend dans « Notes non rattachées ».",
            "Énoncé retiré : ses %(n)s notes attendent dans « Notes non rattachées ».",
            count,
        )
        text = text % {"n": count}
    else:
        text = _("Énoncé retiré.")
    if request.htmx:
        return _swap(request, synthesis, [section_id], notice=text, unassigned=True)
    messages.success(request, text)
    return _back(synthesis, "non-rattachees")


@login_required
@vary_on_headers("HX-Request")
def statement_split(request, statement_id):
    """Choose the notes that leave for a new statement: in place of the card
    with htmx (the answer is then the section), a page of its own without."""
    statement, refused = _editable_statement(request, statement_id)
    if refused:
        return _frozen(request, refused)
    notes = statement.sources.select_related("group").order_by("group__number", "pk")
    error = None
    if request.method == "POST":
        try:
            new = editing.split(
                statement.section.synthesis,
                statement,
                [_int(v) for v in request.POST.getlist("notes")],
            )
        except editing.EditError as exc:
            error = str(exc)
        else:
            if request.htmx:
                done = _("Énoncé scindé.")
                return _swap(request, new.section.synthesis, [new.section_id], notice=done)
            messages.success(request, _("Énoncé scindé."))
            return _back(new, f"enonce-{new.pk}")
    context = {"statement": statement, "notes": notes, "error": error}
    if request.htmx:
        response = render(
            request, "synthesis/includes/split.html", context, status=400 if error else 200
        )
        response["HX-Retarget"], response["HX-Reswap"] = f"#enonce-{statement.pk}", "outerHTML"
        return response
    return render(request, "synthesis/statement_split.html", context, status=400 if error else 200)


def _selected(request, synthesis, name="statements"):
    ids = [_int(v) for v in request.POST.getlist(name)]
    return list(
        Statement.objects.filter(pk__in=ids, section__synthesis=synthesis).select_related("section")
    )


@login_required
@require_POST
def section_action(request, slug):
    """Merge or move the statements ticked in a section's toolbar."""
    try:
        workshop, synthesis = permissions.get_synthesis_for_edit(request.user, slug)
    except permissions.RevisionFrozen as frozen:
        return _frozen(request, frozen)
    chosen = _selected(request, synthesis)
    # The section whose toolbar was used first: the answer takes its place.
    touched = [_int(request.POST.get("origin"))] + [s.section_id for s in chosen]
    try:
        if request.POST.get("action") == "merge":
            target = editing.merge(synthesis, chosen)
            done = _("Énoncés fusionnés : leurs notes sont réunies.")
            if request.htmx:
                return _swap(request, synthesis, touched, notice=done)
            messages.success(request, done)
            return _back(target, f"enonce-{target.pk}")
        section = synthesis.sections.filter(pk=_int(request.POST.get("section"))).first()
        if section is None or not chosen:
            raise editing.EditError(_("Cochez des énoncés et choisissez une rubrique."))
        editing.move(synthesis, chosen, section)
        done = _("Énoncés déplacés vers « %(section)s ».") % {"section": section.title}
        if request.htmx:
            return _swap(request, synthesis, [*touched, section.pk], notice=done)
        messages.success(request, done)
    except editing.EditError as exc:
        if request.htmx:
            return _swap(request, synthesis, touched, notice=str(exc), level="error")
        messages.error(request, str(exc))
    return _back(synthesis)


@login_required
@require_POST
def attach_notes(request, slug):
    try:
        workshop, synthesis = permissions.get_synthesis_for_edit(request.user, slug)
    except permissions.RevisionFrozen as frozen:
        return _frozen(request, frozen)
    statement = Statement.objects.filter(
        pk=_int(request.POST.get("statement")), section__synthesis=synthesis
    ).first()
    notes = list(
        Contribution.objects.filter(
            pk__in=[_int(v) for v in request.POST.getlist("notes")]
        ).select_related("group__round")
    )
    try:
        if statement is None:
            raise editing.EditError(_("Choisissez l'énoncé où rattacher les notes."))
        editing.attach(synthesis, notes, statement)
    except editing.EditError as exc:
        if request.htmx:
            return _swap(request, synthesis, [], notice=str(exc), level="error")
        messages.error(request, str(exc))
        return _back(synthesis, "non-rattachees")
    n = len(notes)
    done = ngettext("%(n)s note rattachée.", "%(n)s notes rattachées.", n) % {"n": n}
    if request.htmx:
        return _swap(request, synthesis, [statement.section_id], notice=done, unassigned=True)
    messages.success(request, done)
    return _back(statement, f"enonce-{statement.pk}")


@login_required
@require_POST
def statement_comment(request, statement_id):
    statement = permissions.get_statement_for_editor(request.user, statement_id)
    text = markup.clean_text(request.POST.get("text", ""))[:2000]
    if text:
        Comment.objects.create(statement=statement, author=request.user, text=text)
    else:
        messages.error(request, _("Le commentaire est vide."))
    return _back(statement, f"enonce-{statement.pk}")


@login_required
@require_POST
def comment_resolve(request, comment_id):
    comment = Comment.objects.filter(pk=comment_id).select_related("statement").first()
    statement = permissions.get_statement_for_editor(
        request.user, comment.statement_id if comment else None
    )
    Comment.objects.filter(pk=comment.pk, resolved_at__isnull=True).update(
        resolved_at=timezone.now(), resolved_by=request.user
    )
    return _back(statement, f"enonce-{statement.pk}")


@login_required
@vary_on_headers("HX-Request")
def comments(request, statement_id):
    statement = permissions.get_statement_for_editor(request.user, statement_id)
    return _panel(
        request,
        "comments",
        {
            "statement": statement,
            "comments": statement.comments.select_related("author", "resolved_by"),
        },
    )


@login_required
def history(request, slug):
    workshop = permissions.get_workshop_for_coordinator(request.user, slug)
    revisions = list(workshop.syntheses.order_by("-revision").prefetch_related("events__by"))
    by_number = {str(r.revision): r for r in revisions}
    before, after = by_number.get(request.GET.get("de")), by_number.get(request.GET.get("a"))
    if before is None and len(revisions) > 1:
        before, after = revisions[1], revisions[0]
    changes = diff.compare(before, after) if before and after else None
    return render(
        request,
        "synthesis/history.html",
        {
            "workshop": workshop,
            "revisions": revisions,
            "before": before,
            "after": after,
            "changes": changes,
        },
    )


# --- Exports -----------------------------------------------------------------------------


def exports_context(synthesis, user):
    rows = {e.format: e for e in synthesis.exports.all()}
    formats = permissions.export_formats_for(user)
    items = [(value, label, rows.get(value)) for value, label in formats]
    return {
        "synthesis": synthesis,
        "export_items": items,
        "polling": any(rows[value].in_progress for value, _label in formats if value in rows),
        "can_request": user.is_authenticated,
        "can_regenerate": permissions.may_regenerate_exports(user),
    }


@login_required
@require_POST
def export_request(request, synthesis_id):
    synthesis = permissions.get_synthesis_for_reader(request.user, synthesis_id)
    fmt = request.POST.get("format")
    if fmt not in ExportFormat.values:
        return HttpResponse(_("Format inconnu."), status=400)
    again = "again" in request.POST
    permissions.check_export_request(request.user, fmt, again=again)
    jobs.request(synthesis, fmt, by=request.user, again=again)
    if not request.htmx:
        back = safe_next(request, request.POST.get("next"))
        return redirect(back or synthesis.get_absolute_url())
    return render(
        request, "synthesis/includes/exports.html", exports_context(synthesis, request.user)
    )


def export_panel(request, synthesis_id):
    synthesis = permissions.get_synthesis_for_reader(request.user, synthesis_id)
    return render(
        request, "synthesis/includes/exports.html", exports_context(synthesis, request.user)
    )


def export_download(request, export_id):
    """The file, checked now: streamed by this process, or a redirect to a
    bucket link valid a minute at most (STORAGE_DOWNLOADS), issued only after
    the rights check. Neither is cached: the next reader is checked again."""
    from atelier.lib import storage

    from . import exports as renderers

    export = permissions.get_export_for_reader(request.user, export_id)
    if not export.file:
        raise Http404
    filename = renderers.filename(export.synthesis, export.format)
    content_type = renderers.FORMATS[export.format][0]
    link = storage.download_url(export.file.name, filename=filename, content_type=content_type)
    if link:
        response = redirect(link)
        response["Cache-Control"] = "no-store"
        return response
    try:
        handle = export.file.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404 from None
    except storage.unavailable_errors():
        return storage.unavailable_response()
    response = FileResponse(
        handle, as_attachment=True, filename=filename, content_type=content_type
    )
    response["Cache-Control"] = "private, no-store"
    return response

"""Setting a workshop up: the roster (typed or imported) and each round's groups.
Coordinators only."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.shortcuts import redirect, render
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from . import aliases, grouping, groups, invitations, permissions, roster
from .forms import parse_int as _int
from .forms import territory_from_label
from .lib.http import csv_response
from .lib.text import PlainTextForm
from .models import ActorType, Organisation, Participant, Role, User, WorkingGroup


class ParticipantForm(PlainTextForm, forms.ModelForm):
    territory_label = forms.CharField(
        label=gettext_lazy("Territoire (nom ou code)"), required=False, max_length=200
    )
    organisation_label = forms.CharField(
        label=gettext_lazy("Structure"), required=False, max_length=200
    )

    class Meta:
        model = Participant
        fields = ["first_name", "last_name", "email", "actor_type"]
        error_messages = {"actor_type": {"invalid_choice": gettext_lazy("Type d'acteur inconnu.")}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        person = self.instance
        if person.pk:
            self.initial["territory_label"] = person.territory.code if person.territory else ""
            self.initial["organisation_label"] = (
                person.organisation.name if person.organisation else ""
            )

    def clean_territory_label(self):
        return territory_from_label(self.cleaned_data["territory_label"])

    def clean(self):
        cleaned = super().clean()
        if not (cleaned.get("first_name") or cleaned.get("last_name")):
            self.add_error("last_name", _("Donnez au moins un nom ou un prénom."))
        return cleaned

    def save(self, commit=True):
        person = super().save(commit=False)
        person.territory = self.cleaned_data["territory_label"]
        name = self.cleaned_data["organisation_label"].strip()
        person.organisation = (
            (
                Organisation.objects.filter(name__iexact=name).first()
                or Organisation.objects.create(name=name)
            )
            if name
            else None
        )
        person.save()
        return person


def _roster_context(workshop, form=None, editing=None):
    people = workshop.participants.select_related(
        "actor_type", "territory", "organisation"
    ).annotate(group_count=Count("groups"))
    return {
        "workshop": workshop,
        "people": people,
        "form": form or ParticipantForm(),
        "editing": editing,
        "actor_types": ActorType.objects.all(),
    }


@login_required
def roster_page(request, slug):
    workshop = permissions.get_workshop_for_coordinator(request.user, slug)
    form = ParticipantForm(request.POST or None, instance=Participant(workshop=workshop))
    if request.method == "POST" and form.is_valid():
        person = form.save()
        messages.success(request, _("%(name)s est ajouté·e.") % {"name": person})
        return redirect("roster", workshop.slug)
    status = 400 if form.errors else 200
    return render(request, "atelier/roster.html", _roster_context(workshop, form), status=status)


@login_required
@vary_on_headers("HX-Request")
def participant_edit(request, participant_id):
    person = Participant.objects.select_related("workshop").filter(pk=participant_id).first()
    workshop = permissions.get_workshop_for_coordinator(
        request.user, person.workshop.slug if person else ""
    )
    form = ParticipantForm(request.POST or None, instance=person, prefix=f"p{person.pk}")
    if request.method == "POST" and form.is_valid():
        form.save()
        if not request.htmx:
            return redirect("roster", workshop.slug)
        person = _roster_context(workshop)["people"].get(pk=person.pk)
        return render(request, "atelier/roster.html#person-row", {"person": person})
    template = "atelier/roster.html#person-edit" if request.htmx else "atelier/roster.html"
    context = {**_roster_context(workshop, editing=person.pk), "person": person, "edit_form": form}
    return render(request, template, context, status=400 if form.errors else 200)


@login_required
@require_POST
def participant_delete(request, participant_id):
    person = Participant.objects.select_related("workshop").filter(pk=participant_id).first()
    workshop = permissions.get_workshop_for_coordinator(
        request.user, person.workshop.slug if person else ""
    )
    person.delete()
    messages.success(request, _("%(name)s est retiré·e de la liste.") % {"name": person})
    return redirect("roster", workshop.slug)


@login_required
def roster_import(request, slug):
    workshop = permissions.get_workshop_for_coordinator(request.user, slug)
    context = {"workshop": workshop}
    if request.method == "POST":
        try:
            text = _uploaded_text(request)
            preview = roster.parse(text, workshop)
        except roster.RosterError as error:
            context["error"] = str(error)
            return render(request, "atelier/roster_import.html", context, status=400)
        if "confirm" in request.POST:
            created, updated = roster.apply(preview, workshop)
            skipped = len(preview.invalid)
            parts = {
                "created": ngettext("%(n)s ajout", "%(n)s ajouts", created) % {"n": created},
                "updated": ngettext("%(n)s mise à jour", "%(n)s mises à jour", updated)
                % {"n": updated},
                "skipped": ngettext("%(n)s ligne écartée", "%(n)s lignes écartées", skipped)
                % {"n": skipped},
            }
            messages.success(
                request, _("Import terminé : %(created)s, %(updated)s, %(skipped)s.") % parts
            )
            return redirect("roster", workshop.slug)
        return _import_preview(request, workshop, preview, text)
    return render(request, "atelier/roster_import.html", context)


def _import_preview(request, workshop, preview, text):
    context = {
        "workshop": workshop,
        "preview": preview,
        "content": text,
        "actor_types": ActorType.objects.all() if preview.unknown_actor_types else (),
    }
    return render(request, "atelier/roster_import.html", context)


@login_required
def name_aliases(request, slug):
    """Other names of actor types and territories ("DDP", "CD59"): listed and
    added here, or from the import preview, which then shows again with them."""
    workshop = permissions.get_workshop_for_coordinator(request.user, slug)
    if request.method == "POST":
        added = _add_aliases(request)
        if "content" in request.POST:  # back to the preview, read again
            try:
                text = _uploaded_text(request)
                preview = roster.parse(text, workshop)
            except roster.RosterError as error:
                context = {"workshop": workshop, "error": str(error)}
                return render(request, "atelier/roster_import.html", context, status=400)
            return _import_preview(request, workshop, preview, text)
        if added:
            return redirect("name_aliases", workshop.slug)
    context = {
        "workshop": workshop,
        "actor_types": ActorType.objects.all(),
        "name": request.GET.get("nom", "")[:200],
        **aliases.listing(),
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "atelier/roster_aliases.html", context, status=status)


def _add_aliases(request) -> int:
    """The aliases posted as numbered triples (kind-N, name-N, target-N); an
    entry left without a target is skipped (the preview offers one per
    unknown name). Each outcome is a message."""
    added = 0
    for i in range(200):
        kind = request.POST.get(f"kind-{i}")
        if kind is None:
            break
        name, target = request.POST.get(f"name-{i}", ""), request.POST.get(f"target-{i}", "")
        if not target.strip() and "content" in request.POST:
            continue
        try:
            alias = aliases.add(kind, name, target)
        except aliases.AliasError as error:
            messages.error(request, str(error))
            continue
        added += 1
        what = alias.actor_type if kind == aliases.ACTOR_TYPE else alias.territory.name
        messages.success(
            request,
            _("« %(name)s » est maintenant un autre nom de %(what)s.")
            % {"name": alias.name, "what": what},
        )
    return added


@login_required
@require_POST
def name_alias_delete(request, slug):
    permissions.get_workshop_for_coordinator(request.user, slug)
    aliases.remove(request.POST.get("kind", ""), _int(request.POST.get("alias")))
    messages.success(request, _("Autre nom retiré."))
    return redirect("name_aliases", slug)


def _uploaded_text(request):
    if "content" in request.POST:  # the confirmation carries the previewed text
        if len(request.POST["content"]) > roster.MAX_BYTES:
            raise roster.RosterError(_("Le fichier dépasse 2 Mo."))
        return request.POST["content"]
    upload = request.FILES.get("file")
    if upload is None:
        raise roster.RosterError(_("Choisissez un fichier CSV."))
    if upload.size > roster.MAX_BYTES:
        raise roster.RosterError(_("Le fichier dépasse 2 Mo."))
    return roster.decode(upload.read())


def _csv_response(text, filename):
    return csv_response(filename, text=text)


@login_required
def roster_export(request, slug):
    workshop = permissions.get_workshop_for_coordinator(request.user, slug)
    return _csv_response(roster.export(workshop), f"participants-{slugify(workshop.slug)}.csv")


class GenerateForm(forms.Form):
    mode = forms.ChoiceField(
        label=gettext_lazy("Répartition"),
        choices=[
            ("random", gettext_lazy("Aléatoire, en brassant types d'acteur et territoires")),
            ("peer", gettext_lazy("Par groupes de pairs (même type d'acteur)")),
        ],
        widget=forms.RadioSelect,
    )
    by = forms.ChoiceField(
        label=gettext_lazy("Former"),
        choices=[
            ("count", gettext_lazy("un nombre de groupes")),
            ("size", gettext_lazy("des groupes d'une taille donnée")),
        ],
        widget=forms.RadioSelect,
        initial="count",
    )
    number = forms.IntegerField(
        label=gettext_lazy("Nombre de groupes ou taille"),
        min_value=1,
        max_value=1000,
        error_messages={
            "min_value": gettext_lazy("Indiquez au moins 1."),
            "required": gettext_lazy("Indiquez un nombre."),
        },
    )
    seed = forms.IntegerField(
        label=gettext_lazy("Graine (même graine, mêmes groupes)"),
        min_value=0,
        max_value=2**31,
        initial=0,
        required=False,
    )

    def to_request(self):
        data = self.cleaned_data
        by_size = data["by"] == "size"
        return groups.Request(
            mode=data["mode"],
            seed=data.get("seed") or 0,
            group_count=None if by_size else data["number"],
            group_size=data["number"] if by_size else None,
        )


def _groups_context(round_, form=None, invite_form=None, already=None):
    current = groups.current_groups(round_)
    animators = User.objects.filter(is_active=True, role__in=[Role.ANIMATOR, Role.COORDINATOR])
    grouped = {m.pk for g in current for m in g.members.all()}
    report = groups.report(round_, current) if current else None
    return {
        "round": round_,
        "workshop": round_.workshop,
        "groups": current,
        "report": report,
        "report_rows": list(zip(current, report["groups"], strict=True)) if report else [],
        "form": form
        or GenerateForm(
            initial={
                "mode": "peer" if round_.grouping_mode == "peer" else "random",
                "number": len(current) or 8,
                "by": "count",
                "seed": 0,
            }
        ),
        "animators": animators.order_by("last_name", "username"),
        "ungrouped": round_.workshop.participants.exclude(pk__in=grouped).select_related(
            "actor_type"
        ),
        "peer_rule": grouping.PEER_RULE,
        "invite_form": invite_form or invitations.InviteForm(),
        "already_invited": already,
    }


@login_required
def round_groups(request, round_id):
    round_ = permissions.get_round_for_coordinator(request.user, round_id)
    form = GenerateForm(request.POST or None) if request.method == "POST" else None
    if form is not None and form.is_valid():
        try:
            groups.generate(round_, form.to_request())
        except groups.GroupsError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Les groupes sont formés."))
            return redirect("round_groups", round_.pk)
    status = 400 if form is not None and form.errors else 200
    return render(request, "atelier/groups.html", _groups_context(round_, form), status=status)


@login_required
@require_POST
def group_move(request, round_id):
    round_ = permissions.get_round_for_coordinator(request.user, round_id)
    try:
        person, target = groups.move(
            round_, _int(request.POST.get("participant")), _int(request.POST.get("group"))
        )
    except groups.GroupsError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, _("%(person)s rejoint le %(group)s.") % {"person": person, "group": target}
        )
    return redirect(f"{_groups_url(round_)}#participant-{request.POST.get('participant')}")


def _groups_url(round_):
    from django.urls import reverse

    return reverse("round_groups", args=[round_.pk])


def _group_for_coordinator(user, group_id):
    group = WorkingGroup.objects.select_related("round__workshop").filter(pk=group_id).first()
    permissions.get_round_for_coordinator(user, group.round_id if group else None)
    return group


@login_required
@require_POST
def group_lock(request, group_id):
    group = _group_for_coordinator(request.user, group_id)
    group.locked = not group.locked
    group.save(update_fields=["locked"])
    return redirect(f"{_groups_url(group.round)}#group-{group.pk}")


@login_required
@require_POST
def group_animators(request, group_id):
    group = _group_for_coordinator(request.user, group_id)
    chosen = User.objects.filter(pk__in=request.POST.getlist("animators"), is_active=True)
    group.animators.set(chosen)
    messages.success(request, _("Animation du %(group)s mise à jour.") % {"group": group})
    return redirect(f"{_groups_url(group.round)}#group-{group.pk}")


@login_required
@require_POST
def animator_invite(request, round_id):
    """Invite an animator by e-mail from the groups page. Nothing is sent
    twice: a pending invitation is only resent when asked ("Renvoyer")."""
    round_ = permissions.get_round_for_coordinator(request.user, round_id)
    form = invitations.InviteForm(request.POST)
    if not form.is_valid():
        context = _groups_context(round_, invite_form=form)
        return render(request, "atelier/groups.html", context, status=400)
    data = form.cleaned_data
    invitation = invitations.invite(
        first_name=data["first_name"],
        last_name=data["last_name"],
        email=data["email"],
        base_url=request.build_absolute_uri("/"),
        resend=data["resend"],
    )
    person = invitation.user.get_full_name() or invitation.user.email
    if invitation.outcome == invitations.ALREADY_INVITED:
        context = _groups_context(round_, invite_form=form, already=invitation.user)
        return render(request, "atelier/groups.html", context)
    if invitation.outcome == invitations.HAS_ACCOUNT:
        messages.info(
            request,
            _("%(person)s a déjà un compte : aucune invitation envoyée.") % {"person": person},
        )
    else:
        messages.success(
            request,
            _("Invitation envoyée à %(person)s (%(email)s).")
            % {"person": person, "email": invitation.user.email},
        )
    return redirect(f"{_groups_url(round_)}#invite")


@login_required
def groups_export(request, round_id):
    round_ = permissions.get_round_for_coordinator(request.user, round_id)
    name = f"groupes-{round_.workshop.slug}-temps-{round_.order}.csv"
    return _csv_response(groups.export(round_), name)

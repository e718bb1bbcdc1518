"""The forms of a workshop's settings: the workshop itself, its rounds and questions."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .forms import territory_from_label
from .lib.text import PlainTextForm
from .logos import LogoField
from .models import Organisation, Question, Round, Workshop


class WorkshopForm(PlainTextForm, forms.ModelForm):
    # A text field, like the roster's: a select would list every commune of France.
    territory_label = forms.CharField(
        label=_("Territoire (nom ou code officiel)"),
        required=False,
        max_length=200,
        help_text=_("Laissez vide pour un atelier national."),
    )
    # A partner added from here rather than from the admin: its logo goes
    # through the same re-encoding (atelier/logos.py).
    partner_name = forms.CharField(
        label=_("Ajouter une structure : nom"),
        required=False,
        max_length=200,
        help_text=_("Une structure déjà connue sous ce nom reçoit le sigle et le logo donnés."),
    )
    partner_acronym = forms.CharField(label=_("Sigle"), required=False, max_length=30)
    partner_logo = LogoField(label=_("Logo"), widget=forms.FileInput)
    partner_role = forms.ChoiceField(
        label=_("Elle figure"),
        choices=[
            ("carrier", _("parmi les structures porteuses")),
            ("supporter", _("parmi les soutiens")),
        ],
        initial="carrier",
        required=False,
    )

    class Meta:
        model = Workshop
        fields = ["title", "date", "format", "is_public", "carriers", "supporters"]
        widgets = {
            "date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "carriers": forms.CheckboxSelectMultiple,
            "supporters": forms.CheckboxSelectMultiple,
        }
        help_texts = {
            "carriers": _("Leurs logos figurent sur la synthèse publiée et ses exports."),
        }
        error_messages = {
            "title": {"required": _("Donnez un titre à l'atelier.")},
            "date": {
                "required": _("Donnez la date de l'atelier."),
                "invalid": _("Date invalide : écrivez-la jj/mm/aaaa."),
            },
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        organisations = Organisation.objects.order_by("name")
        self.fields["carriers"].queryset = organisations
        self.fields["supporters"].queryset = organisations
        if self.instance.territory_id:
            self.initial["territory_label"] = self.instance.territory.code

    def clean_territory_label(self):
        return territory_from_label(self.cleaned_data["territory_label"])

    def clean(self):
        cleaned = super().clean()
        wants_partner = cleaned.get("partner_acronym") or cleaned.get("partner_logo")
        if wants_partner and not cleaned.get("partner_name"):
            self.add_error("partner_name", _("Donnez le nom de la structure."))
        return cleaned

    def _save_partner(self, workshop):
        name = self.cleaned_data.get("partner_name")
        if not name:
            return
        org = Organisation.objects.filter(name__iexact=name).first() or Organisation(name=name)
        org.acronym = self.cleaned_data["partner_acronym"] or org.acronym
        if self.cleaned_data["partner_logo"]:
            org.logo = self.cleaned_data["partner_logo"]  # the re-encoded PNG
        org.save()
        if self.cleaned_data["partner_role"] == "supporter":
            workshop.supporters.add(org)
        else:
            workshop.carriers.add(org)

    def save(self, commit=True):
        workshop = super().save(commit=False)
        workshop.territory = self.cleaned_data["territory_label"]
        if not workshop.slug:
            workshop.slug = Workshop.unique_slug(workshop.title)
        if commit:
            workshop.save()
            self.save_m2m()
            self._save_partner(workshop)
        return workshop


class WorkshopCreateForm(WorkshopForm):
    copy_from = forms.ModelChoiceField(
        label=_("Reprendre la structure de l'atelier"),
        queryset=Workshop.objects.order_by("-date", "title"),
        required=False,
        empty_label=_("— aucun : partir de zéro —"),
        help_text=_(
            "Ses temps (avec leur répartition) et leurs consignes sont copiés ; "
            "ni participant·es, ni groupes, ni notes."
        ),
        error_messages={"invalid_choice": _("Atelier inconnu.")},
    )

    field_order = ["copy_from"]

    def save(self, commit=True):
        workshop = super().save(commit=commit)
        if commit and self.cleaned_data["copy_from"]:
            workshop.copy_structure_from(self.cleaned_data["copy_from"])
        return workshop


class RoundForm(PlainTextForm, forms.ModelForm):
    class Meta:
        model = Round
        fields = ["title", "grouping_mode"]
        labels = {"title": _("Titre du temps")}


class QuestionForm(PlainTextForm, forms.ModelForm):
    class Meta:
        model = Question
        fields = ["title", "default_kind"]
        error_messages = {
            "title": {
                "required": _("Écrivez la consigne."),
                "max_length": _("Consigne trop longue (300 caractères au plus)."),
            },
            "default_kind": {"invalid_choice": _("Type de note inconnu.")},
        }

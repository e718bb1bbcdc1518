import hashlib

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _

from . import markup
from .lib.http import parse_int  # noqa: F401 — the views' integer parser
from .lib.roles import can_administer
from .models import NOTE_MAX_LENGTH, ActorType, Kind, Question, Theme

# Longer passwords are refused before any hashing: hashing a megabyte-long
# password is a cheap denial of service (both logins, site and admin).
PASSWORD_MAX_LENGTH = 1024


class ThrottledLoginForm(forms.Form):
    """Django's login form with a cap on repeated failures per account and address.

    The count lives in the cache; with Redis down, the cache counts in each
    process's memory (atelier/lib/cache.py), so the cap still holds, per
    gunicorn worker: at worst LOGIN_FAILURE_LIMIT × workers guesses per window,
    each costing ~350 ms of CPU, instead of no cap at all. Counting in the
    database instead would cost a write per failure on every outage-free day.
    """

    password = forms.CharField(
        label=_("Mot de passe"),
        strip=False,
        max_length=PASSWORD_MAX_LENGTH,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def _throttle_key(self):
        username = (self.data.get("username") or "").strip().lower()
        address = self.request.META.get("REMOTE_ADDR", "") if self.request else ""
        digest = hashlib.sha256(f"{username}|{address}".encode()).hexdigest()
        return f"login-failures:{digest}"

    def clean(self):
        key = self._throttle_key()
        if cache.get(key, 0) >= settings.LOGIN_FAILURE_LIMIT:
            raise forms.ValidationError(
                _("Trop de tentatives de connexion. Réessayez dans quelques minutes."),
                code="throttled",
            )
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            _count_failure(key)
            raise
        if self.user_cache is None:
            # A field was refused (an over-long password): no user was checked,
            # and it is a failed attempt all the same, never a reset.
            _count_failure(key)
        else:
            cache.delete(key)
        return cleaned


def _count_failure(key):
    cache.add(key, 0, settings.LOGIN_FAILURE_WINDOW)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, settings.LOGIN_FAILURE_WINDOW)


class LoginForm(ThrottledLoginForm, AuthenticationForm):
    pass


class AdminLoginForm(ThrottledLoginForm, AdminAuthenticationForm):
    """The admin's login, throttled like the site's (one count for both: the
    same account and address guessing on either page adds up)."""

    def confirm_login_allowed(self, user):
        # Our admin lets coordinators in through the role, not is_staff
        # (atelier/admin_site.py), so its login asks the same question.
        AuthenticationForm.confirm_login_allowed(self, user)
        if not can_administer(user):
            raise forms.ValidationError(
                self.error_messages["invalid_login"],
                code="invalid_login",
                params={"username": self.username_field.verbose_name},
            )


class NoteFieldsMixin:
    """Text, kind and speaker, cleaned the same way for a new note and an edit."""

    def clean_text(self):
        text = markup.clean_text(self.cleaned_data.get("text", ""))
        if not text:
            raise forms.ValidationError(_("La note est vide."), code="empty")
        return text

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") != Kind.QUOTE:
            cleaned["speaker_actor_type"] = None  # only quotes have a speaker
        return cleaned


def note_text_field():
    return forms.CharField(
        label=_("Note"),
        max_length=NOTE_MAX_LENGTH,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={
            "required": _("La note est vide."),
            "max_length": _(
                "La note dépasse %(limit_value)s caractères (elle en compte "
                "%(show_value)s). Raccourcissez-la ou coupez-la en deux."
            ),
        },
    )


def kind_field():
    return forms.ChoiceField(
        label=_("Type"),
        choices=Kind.choices,
        error_messages={
            "invalid_choice": _("Type de note inconnu."),
            "required": _("Choisissez un type de note."),
        },
    )


def speaker_field():
    return forms.ModelChoiceField(
        label=_("Qui parle ?"),
        queryset=ActorType.objects.all(),
        required=False,
        empty_label=_("— type d'acteur —"),
        error_messages={"invalid_choice": _("Type d'acteur inconnu.")},
    )


class NewNoteFields(NoteFieldsMixin, forms.Form):
    """A new note without its question, which the caller checks against the
    group's round (NoteForm here; one query with the rights in board_save).

    Its fields are shared by every quick save (`board_save._Shared`), not
    copied: nothing may change a field of this class in place (a subclass's
    `__init__` changes its own form's copy, as NoteForm does)."""

    client_uuid = forms.UUIDField(
        widget=forms.HiddenInput,
        error_messages={
            "invalid": _("Identifiant de note invalide : rechargez la page."),
            "required": _("Identifiant de note manquant : rechargez la page."),
        },
    )
    text = note_text_field()
    kind = kind_field()
    speaker_actor_type = speaker_field()


class NoteForm(NewNoteFields):
    field_order = ["client_uuid", "question", "text", "kind", "speaker_actor_type"]
    question = forms.ModelChoiceField(
        queryset=Question.objects.none(),
        widget=forms.HiddenInput,
        error_messages={
            "invalid_choice": _("Cette consigne n'appartient pas à ce temps."),
            "required": _("Consigne manquante."),
        },
    )

    def __init__(self, *args, round, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["question"].queryset = round.questions.all()


class NoteEditForm(NoteFieldsMixin, forms.Form):
    text = note_text_field()
    kind = kind_field()
    speaker_actor_type = speaker_field()
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class ThemeForm(forms.Form):
    theme = forms.CharField(
        label=_("Ajouter un thème"),
        max_length=120,
        error_messages={"required": _("Choisissez un thème.")},
    )

    def clean_theme(self):
        name = self.cleaned_data["theme"].strip()
        theme = Theme.objects.filter(name__iexact=name).first()
        if theme is None:
            raise forms.ValidationError(
                _("Thème inconnu : choisissez un thème de la liste."), code="unknown"
            )
        return theme


def territory_from_label(label: str):
    """The territory typed by name or official code, None when left empty; a
    French error beside the field when nothing matches (roster.find_territory)."""
    from .roster import find_territory

    label = (label or "").strip()
    if not label:
        return None
    territory = find_territory(label)
    if territory is None:
        raise forms.ValidationError(_("Territoire inconnu : donnez un nom ou un code officiel."))
    return territory

"""Inviting animators by e-mail: an account without a password, and a link to
choose one through Django's password-reset machinery (the same pages serve
forgotten passwords). Assigning someone to a group never sends anything."""

from dataclasses import dataclass
from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext_lazy as _

from .lib.text import PlainTextForm
from .models import Role, User

SENT, ALREADY_INVITED, HAS_ACCOUNT = "sent", "already_invited", "has_account"


class InviteForm(PlainTextForm, forms.Form):
    first_name = forms.CharField(label=_("Prénom"), max_length=150)
    last_name = forms.CharField(label=_("Nom"), max_length=150)
    email = forms.EmailField(label=_("Adresse e-mail"), max_length=254)
    resend = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def clean_email(self):
        return User.objects.normalize_email(self.cleaned_data["email"]).lower()


class ForgottenPasswordForm(PasswordResetForm):
    """Django's form, which also answers people invited who have not chosen a
    password yet (Django skips unusable passwords: here they mean "invited")."""

    def get_users(self, email):
        users = User.objects.filter(email__iexact=email, is_active=True)
        return (u for u in users if u.has_usable_password() or u.invited_at)


@dataclass
class Invitation:
    user: User
    outcome: str  # SENT, ALREADY_INVITED (nothing sent) or HAS_ACCOUNT (nothing sent)


def invite(*, first_name, last_name, email, base_url, resend=False) -> Invitation:
    """Create the animator's account if no user has this e-mail, and send the
    invitation unless one is still valid (or the person already has a password)."""
    user = User.objects.filter(email__iexact=email).order_by("pk").first()
    if user is None:
        user = User(
            username=_free_username(email),
            email=email,
            first_name=first_name,
            last_name=last_name,
            role=Role.ANIMATOR,
        )
        user.set_unusable_password()
        user.save()
    elif user.has_usable_password():
        return Invitation(user, HAS_ACCOUNT)
    elif still_valid(user) and not resend:
        return Invitation(user, ALREADY_INVITED)
    send_invitation(user, base_url)
    return Invitation(user, SENT)


def still_valid(user) -> bool:
    if user.invited_at is None:
        return False
    return timezone.now() - user.invited_at < timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT)


def send_invitation(user, base_url):
    path = reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    context = {
        "user": user,
        "link": base_url.rstrip("/") + path,
        "login": base_url.rstrip("/") + reverse("login"),
        "days": settings.PASSWORD_RESET_TIMEOUT // (24 * 3600),
    }
    # The person has no language preference yet: the site's language.
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string("registration/invitation_subject.txt", context).strip()
        body = render_to_string("registration/invitation_email.txt", context)
    send_mail(subject, body, None, [user.email])
    user.invited_at = timezone.now()
    User.objects.filter(pk=user.pk).update(invited_at=user.invited_at)


def _free_username(email):
    """The e-mail is the login; a taken one (another account) gets a number."""
    base = email[:140]
    taken = set(
        User.objects.filter(
            Q(username__iexact=base) | Q(username__istartswith=base + "-")
        ).values_list("username", flat=True)
    )
    taken = {name.lower() for name in taken}
    candidate, n = base, 1
    while candidate.lower() in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate

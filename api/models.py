"""Personal API tokens: read-only, revocable, stored as a SHA-256 digest.

The secret is shown once, at creation; the database keeps only its digest, so
a copy of the database lets nobody call the API as someone else."""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# What the secret starts with: recognisable in a leaked file or a log, and
# never a valid session cookie or password by accident.
PREFIX = "atl_"


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class TokenQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True, user__is_active=True)

    def user_for(self, secret: str):
        """The user a presented secret belongs to; None when it is unknown,
        revoked or its owner deactivated."""
        token = self.active().select_related("user").filter(digest=digest(secret)).first()
        if token is None:
            return None
        # At most once a minute: a busy client must not write on every call.
        now = timezone.now()
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
            Token.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user


class Scope(models.TextChoices):
    READ = "read", _("Lecture seule")


class Token(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("nom"), max_length=100)
    # Only reading exists: the API has no writing endpoint, and a token says so.
    scope = models.CharField(_("portée"), max_length=10, choices=Scope.choices, default=Scope.READ)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    # The first characters, to tell one's tokens apart on the page.
    hint = models.CharField(max_length=12, editable=False)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("dernière utilisation"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("révoqué le"), null=True, blank=True)

    objects = TokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("jeton d'API")
        verbose_name_plural = _("jetons d'API")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.name} ({self.hint}…)"

    @classmethod
    def issue(cls, user, name: str) -> tuple["Token", str]:
        """A new token and its secret, which is never stored nor shown again."""
        secret = PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user, name=name, digest=digest(secret), hint=secret[: len(PREFIX) + 6]
        )
        return token, secret

    def revoke(self):
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])

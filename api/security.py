"""Who is calling, and how often.

A caller is anonymous, the owner of a personal token (`Authorization: Bearer
atl_…`), or the browser's session: each then sees what that user sees on the
site. A token presented and not recognised (unknown, revoked, its owner
deactivated) is refused with 401 rather than answered as anonymous: a client
must learn that its token stopped working."""

import logging
import time

from django.conf import settings
from django.core.cache import cache
from ninja.errors import AuthenticationError
from ninja.security.http import HttpAuthBase
from ninja.throttling import BaseThrottle

from .models import Token, digest

log = logging.getLogger(__name__)

# Calls a minute: per user (all its tokens and its session), or per address.
DEFAULT_RATE = 120
WINDOW = 60


class PersonalToken(HttpAuthBase):
    openapi_scheme = "bearer"

    def __call__(self, request):
        header = request.headers.get("Authorization", "")
        if not header:
            request.api_key = None
            return request.user  # the session's user, or AnonymousUser (truthy)
        scheme, _, secret = header.partition(" ")
        secret = secret.strip()
        user = Token.objects.user_for(secret) if scheme.lower() == "bearer" and secret else None
        if user is None:
            raise AuthenticationError(message="Jeton inconnu, révoqué ou mal formé.")
        # Everything downstream reads request.user: the token's owner.
        request.user = user
        request.api_key = digest(secret)
        return user


def caller(request) -> str:
    """Whom a call counts against: its user, whether by token or by session
    (so that one person's many tokens share one allowance), else its address.
    Behind a reverse proxy REMOTE_ADDR is the proxy's own: API_CLIENT_IP_HEADER
    names the header the proxy overwrites with the client's (X-Real-IP for the
    nginx of docs/deploy.md), so that one scraper does not use up everybody's."""
    if request.user.is_authenticated:
        return f"user:{request.user.pk}"
    header = getattr(settings, "API_CLIENT_IP_HEADER", "")
    address = request.headers.get(header, "") if header else ""
    return f"addr:{address or request.META.get('REMOTE_ADDR', '')}"


class CallerThrottle(BaseThrottle):
    """A fixed window of WINDOW seconds counted in the Django cache. When the
    cache fails the call is let through: a cache outage must not take the API
    down with it (the counts resume when the cache answers again)."""

    def allow_request(self, request) -> bool:
        ident = caller(request)
        now = time.time()
        window = int(now // WINDOW)
        cache_key = f"api-rate:{ident}:{window}"
        try:
            cache.add(cache_key, 0, WINDOW + 5)
            count = cache.incr(cache_key)
        except Exception:  # any cache backend's error: degrade, never 500
            log.warning("API rate limit skipped: the cache did not answer", exc_info=True)
            return True
        return count <= getattr(settings, "API_RATE_PER_MINUTE", DEFAULT_RATE)

    def wait(self) -> float:
        # Until the current window ends (not kept on self: one instance serves
        # every thread).
        return WINDOW - time.time() % WINDOW

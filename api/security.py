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

# Calls a minute: per token, or per address for calls without one.
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


class CallerThrottle(BaseThrottle):
    """A fixed window of WINDOW seconds counted in the Django cache. When the
    cache fails the call is let through: a cache outage must not take the API
    down with it (the counts resume when the cache answers again)."""

    def allow_request(self, request) -> bool:
        key = getattr(request, "api_key", None)
        ident = f"token:{key}" if key else f"addr:{request.META.get('REMOTE_ADDR', '')}"
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

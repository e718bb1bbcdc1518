"""Headers Django does not send by itself.

Permissions-Policy: Atelier uses no camera, microphone, location or payment:
turning them off for the page and every frame means an injected script could
not ask for them either.

Server-Timing: the time the request spent in Django, shown by the browsers'
developer tools and logged by the bench beside gunicorn's own figure (which
also counts the wait for a slow client's bytes).
"""

import time

from django.conf import settings


def server_timing_middleware(get_response):
    def middleware(request):
        start = time.perf_counter()
        response = get_response(request)
        response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - start) * 1000:.1f}"
        return response

    return middleware


def permissions_policy_middleware(get_response):
    header = ", ".join(f"{feature}=()" for feature in settings.PERMISSIONS_POLICY_DISABLED)

    def middleware(request):
        response = get_response(request)
        if header:
            response.headers.setdefault("Permissions-Policy", header)
        return response

    return middleware

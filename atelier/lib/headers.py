"""The Permissions-Policy header, which Django does not send by itself.

Atelier uses no camera, microphone, location or payment: turning them off for
the page and every frame means an injected script could not ask for them either.
"""

from django.conf import settings


def permissions_policy_middleware(get_response):
    header = ", ".join(f"{feature}=()" for feature in settings.PERMISSIONS_POLICY_DISABLED)

    def middleware(request):
        response = get_response(request)
        if header:
            response.headers.setdefault("Permissions-Policy", header)
        return response

    return middleware

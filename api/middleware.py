"""The API's guard against control characters in its addresses and filters.

A NUL byte in a slug or a filter made PostgreSQL refuse the query (a 500):
the API answers 400 with the reason instead, before any view or schema runs.
The site's forms say it beside the field (atelier.lib.text.PlainTextForm)."""

from django.http import JsonResponse

from atelier.lib.text import control_characters_message


def refuse_control_characters(get_response):
    def middleware(request):
        if request.path.startswith("/api/v1/"):
            values = [request.path, *(v for vs in request.GET.lists() for v in vs[1])]
            for value in values:
                if message := control_characters_message(value):
                    return JsonResponse({"detail": message}, status=400)
        return get_response(request)

    return middleware

"""The API's pages on the site: its French documentation, the personal
tokens of the signed-in user, and the open-data package for coordinators."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from atelier.lib.text import control_characters_message
from atelier.permissions import is_coordinator, require_coordinator

from . import docs as documentation
from . import package
from .models import Token

TOKEN_NAME_MAX = 100
# Active tokens a user may hold: enough for a few programs, and the rate limit
# counts them together anyway (api/security.py: caller).
TOKENS_MAX = 10


def docs(request):
    """How to call the API, for everybody (it documents public data)."""
    context = {"page": documentation.page(), "coordinator": is_coordinator(request.user)}
    return render(request, "api/docs.html", context)


@login_required
def tokens(request):
    """The user's tokens; a POST creates one and shows its secret, this once."""
    secret = None
    if request.method == "POST":
        name = request.POST.get("name", "").strip()[:TOKEN_NAME_MAX]
        if not name:
            messages.error(request, _("Donnez un nom au jeton, pour le reconnaître plus tard."))
        elif problem := control_characters_message(name):
            messages.error(request, problem)
        elif request.user.api_tokens.filter(revoked_at__isnull=True).count() >= TOKENS_MAX:
            messages.error(
                request,
                _("Vous avez déjà %(n)s jetons actifs : révoquez-en un avant d'en créer un autre.")
                % {"n": TOKENS_MAX},
            )
        else:
            _token, secret = Token.issue(request.user, name)
    context = {"tokens": request.user.api_tokens.all(), "secret": secret}
    response = render(request, "api/tokens.html", context, status=201 if secret else 200)
    # The secret is on this page only: no cache may keep a copy.
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def token_revoke(request, token_id):
    # Someone else's token is "not found", like every object one may not see.
    token = request.user.api_tokens.filter(pk=token_id).first()
    if token is None:
        raise Http404
    token.revoke()
    messages.success(request, _("Jeton « %(name)s » révoqué.") % {"name": token.name})
    return redirect("api_tokens")


@login_required
def open_data_package(request):
    """The dataset files as one zip, made now: the coordination publishes it."""
    require_coordinator(request.user)
    response = HttpResponse(package.zip_bytes(), content_type="application/zip")
    response["Content-Disposition"] = 'attachment; filename="atelier-donnees-ouvertes.zip"'
    return response

"""A board's new note, stored before Django's stack when everything about it
is plainly right.

Every note typed on a board reaches the server through the outbox's POST
(board.js `send`). Through the session, the user, the CSRF check, the group's
rights, the form's question lookup and a template, a save ran five statements
and most of its time in Django's machinery. Here, placed before the session
and auth middlewares like the quiet poll (board_poll.py), the common case —
an animator saving a valid new note on their own group, with the token the
board page gave them — costs one statement: the `INSERT … ON CONFLICT DO
NOTHING RETURNING` every save uses (`add_note`), made an `INSERT … SELECT`
whose WHERE checks everything the view's checks decide (the session still
exists and has not expired, the user is active, still animates the group,
has not changed password since the token was issued, and the question
belongs to the group's round). Without Django's per-request health check
(`board_poll.unchecked`): if the connection broke, the statement fails and
the view, on a new connection, takes the note. (A quote's speaker is looked
up by the form first, with the health check: one more statement, for quotes.)

Anything else goes on to the view, which is the reference and says why in
French: no token or a stale, forged or borrowed one, another origin, a
coordinator, a form error, a refused right, and a note already stored (a
retry, a double click: the view answers with the stored row). The statement
inserts nothing in both of the last cases, and the view tells them apart. So this path
can only ever answer 201 for a note it has just inserted, once.

The token stands in for the CSRF token: it is signed with the site's key,
bound to the session cookie's digest, and only ever written into the board
page and the answers of its own polls, which another site cannot read.
"""

import re

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import DisallowedHost
from django.http import HttpResponse

from . import board_poll
from .forms import NewNoteFields
from .models import Question, WorkingGroup
from .templatetags.board_notes import render_notes

# Matched whole, in ASCII digits: exactly the URLs the view's route takes.
PATH = re.compile(r"/groupes/([0-9]+)/notes/")


class _Shared(dict):
    """Fields a form keeps instead of deep-copying them: a Django form copies
    its fields for each instance (so that one may change them), which took a
    fifth of a quick save's Python; this one only validates, and a field's
    validation changes nothing in it."""

    def __deepcopy__(self, memo):
        return self


class _NewNote(NewNoteFields):
    pass


_NewNote.base_fields = _Shared(NewNoteFields.base_fields)


def quick_save_middleware(get_response):
    def middleware(request):
        if request.method == "POST" and "X-Outbox" in request.headers:
            response = _save(request)
            if response is not None:
                return response
        return get_response(request)

    return middleware


def _save(request) -> HttpResponse | None:
    match = PATH.fullmatch(request.path_info)
    if match is None or not _same_origin(request):
        return None
    data = request.POST
    claims = board_poll.read_token(data.get("jeton", ""), request)
    if claims is None:
        return None
    user_id, group_id, auth = claims
    if group_id != int(match[1]) or data.get("outbox_user") != str(user_id):
        return None
    form = _NewNote(data)
    question_id = data.get("question", "")
    if not (question_id.isdecimal() and len(question_id) < 19) or not form.is_valid():
        return None
    question_id = int(question_id)
    rights = board_poll.animator_rights(request, user_id, group_id, auth, question_id)
    try:
        note, _created = board_poll.unchecked(
            lambda: WorkingGroup(pk=group_id).add_note(
                author=get_user_model()(pk=user_id),
                question=Question(pk=question_id),
                only_if=rights,
                **form.cleaned_data,
            )
        )
    except board_poll.Unavailable:
        return None
    if note is None:
        return None  # refused, or stored before: the view says which, in French
    note.theme_names = []  # a new note has no themes: no query to find none
    return board_poll.rendered(request, lambda: render_notes([note], can_write=True), 201)


def _same_origin(request) -> bool:
    """A host not allowed, or a browser's cross-site POST (its `Origin` says
    so): such a request goes to the view, whose checks refuse it."""
    try:
        host = request.get_host()
    except DisallowedHost:
        return False
    origin = request.headers.get("Origin")
    return (
        origin is None
        or origin == f"{request.scheme}://{host}"
        or origin in settings.CSRF_TRUSTED_ORIGINS
    )

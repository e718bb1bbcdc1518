"""The board's poll, answered before Django's stack when nothing changed.

Open boards ask for their group's changes every few seconds (board.js), and
nearly every answer is "nothing new". Through the session, the user, the
group's rights and a template, that answer costs about 5 ms of a worker's
time; 300 open boards make it 100 times a second, most of a core before any
note is saved. So every full answer of `board_views.board_changes` (and the
board page) carries a signed token naming the user, the group and the
session, and this middleware, placed before the session and auth ones,
answers 204 from one indexed query when the token is good and no note of the
group changed after the poll's `since`. Anything else — no token, a stale or
forged one, another session's cookie, a change — goes on to the view, which
checks the rights as every view does.

What a 204 tells its holder is only "nothing changed in group G since T",
and the token is issued only to someone allowed to read G, for this browser
session, for TOKEN_SECONDS: someone whose rights were withdrawn learns that
much for a few minutes at most, and the first change goes through the view,
which refuses.

The test is exactly the view's: `WorkingGroup.changes_since` lists the notes
whose `updated_at` is after `since`, and the writes a board shows (save,
edit, move, delete, restore, a theme added, removed or merged) move
`updated_at`; when the latest `updated_at` is not after `since`, the view
would list nothing. A theme or actor type renamed or deleted in the admin
moves no note: boards show it at their next load, with or without this.

A 204 says `no-store`: a cache that kept it would answer the same URL (the
cursor and token stay the same while a board is quiet) for ten minutes.
"""

import hashlib
import re
from datetime import UTC, datetime

from django.conf import settings
from django.core import signing
from django.db.models import Max
from django.http import HttpResponse

from .models import Contribution

SALT = "atelier.board-poll"
# A quiet board renews its token through one full answer this often.
TOKEN_SECONDS = 600
PATH = re.compile(r"^/groupes/(\d+)/changements/$")


def token(request, group) -> str:
    """The token a board sends with its polls, for this session only."""
    return token_for(request.user.pk, group.pk, request.session.session_key or "")


def token_for(user_id: int, group_id: int, session_key: str) -> str:
    return signing.dumps(
        [user_id, group_id, _session_digest(session_key)], salt=SALT, compress=False
    )


def _session_digest(session_key: str) -> str:
    # Not the key itself: the token sits in URLs, which may be logged.
    return hashlib.sha256(session_key.encode()).hexdigest()[:16]


def quiet_board_middleware(get_response):
    def middleware(request):
        if request.method == "GET" and _nothing_new(request):
            response = HttpResponse(status=204)
            response["Cache-Control"] = "no-store"
            return response
        return get_response(request)

    return middleware


def _nothing_new(request) -> bool:
    match = PATH.match(request.path_info)
    if match is None or "jeton" not in request.GET:
        return False
    try:
        _user_id, group_id, digest = signing.loads(
            request.GET["jeton"], salt=SALT, max_age=TOKEN_SECONDS
        )
    except (signing.BadSignature, ValueError, TypeError):
        return False
    cookie = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    if group_id != int(match[1]) or not cookie or digest != _session_digest(cookie):
        return False
    since = _parse(request.GET.get("since", ""))
    if since is None:
        return False
    latest = Contribution.objects.filter(group_id=group_id).aggregate(latest=Max("updated_at"))
    return latest["latest"] is None or latest["latest"] <= since


def _parse(value: str) -> datetime | None:
    try:
        since = datetime.fromisoformat(value)
    except ValueError:
        return None
    if since.tzinfo is None:
        return None
    try:
        return since.astimezone(UTC)
    except OverflowError:
        return None

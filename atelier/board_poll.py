"""The board's poll, answered before Django's stack when nothing changed,
and for the group's own animators when something did.

Open boards ask for their group's changes every few seconds (board.js), and
nearly every answer is "nothing new". Through the session, the user, the
group's rights and a template, that answer costs about 5 ms of a worker's
time; 300 open boards make it 100 times a second, most of a core before any
note is saved. So every full answer of `board_views.board_changes` (and the
board page) carries a signed token naming the user, the group and the
session, and this middleware, placed before the session and auth ones,
answers 204 from one indexed query (without Django's health check before
it, `unchecked`) when the token is good and no note of the group changed
after the poll's `since`. Anything else — no token, a stale or forged one,
another session's cookie, a change — goes on to the view, which checks the
rights as every view does.

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

A board names the notes it holds among those its poll asks about (`vu`:
id and `data-updated` of each, `held_notes`), and is not sent them again:
its own saves (the save's answer brought them) and, as each poll asks again
for the five seconds before its cursor, what the previous answer brought.
A poll whose changes the board all holds is a 204 that moves its cursor on,
from the same one statement, given only when the rights checks below hold
(it then tells no more than a full answer would); the view leaves them out
too. Without this an
animator's every note came back to the board that typed it, and every
change went out to each board two or three times.

When something else changed, for one of the group's animators (the
board's usual reader) the answer is made here too, from two queries: the
first lists, in the same statement, the changed notes (id and stamp) and
whether the checks the views make still hold (the session row alive, the
account active, still an animator of the group, the password unchanged
since the token: the condition a quick save inserts under, board_save.py),
then the view's own (`changes_since`, the notes with their speakers and
themes). A coordinator, a fellow animator reading the board, a board
opened to read (`lecture`) or a right withdrawn go to the view.
"""

import contextlib
import functools
import hashlib
import logging
import re
import time
from datetime import UTC, datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core import signing
from django.db import Error, connection
from django.http import HttpResponse
from django.utils import timezone, translation
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.crypto import constant_time_compare, salted_hmac

from .models import Contribution, Question, WorkingGroup, changed_since
from .templatetags.board_notes import render_notes, stamp

logger = logging.getLogger(__name__)

SALT = "atelier.board-poll"
# A quiet board renews its token through one full answer this often.
TOKEN_SECONDS = 600
# Matched whole, in ASCII digits: exactly the URLs the view's route takes.
PATH = re.compile(r"/groupes/([0-9]+)/changements/")
# A note a board holds, in its poll's `vu`: its id and its `data-updated`.
HELD = re.compile(r"([0-9]{1,18}):([0-9]{1,12}\.[0-9]{6})")
# More than this and the board names none (board.js, told by the page's
# data-held-max): a full answer. Keeps the URL under gunicorn's 4,094 bytes
# for a request line, ids of 18 digits included.
HELD_MAX = 60


def token(request, group) -> str:
    """The token a board sends with its polls and its notes, for this
    session only."""
    return token_for(request.user, group.pk, request.session.session_key or "")


def token_for(user, group_id: int, session_key: str) -> str:
    # The digest of the password hash lets the quick paths refuse a token
    # issued before a password change, as Django's session check does.
    return _sign(user.pk, group_id, session_key, auth_digest(user.password))


def _sign(user_id: int, group_id: int, session_key: str, auth: str) -> str:
    return signing.dumps([user_id, group_id, _digest(session_key), auth], salt=SALT, compress=False)


def read_token(value: str, request) -> tuple[int, int, str] | None:
    """(user id, group id, password digest) of a good token sent with this
    request's session cookie; None for a stale, forged or borrowed one."""
    try:
        (user_id, group_id, session, password), issued = _verified(value, settings.SECRET_KEY)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not 0 <= time.time() - issued <= TOKEN_SECONDS:
        return None
    cookie = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    if not cookie or not constant_time_compare(session, _digest(cookie)):
        return None
    return user_id, group_id, password


@functools.lru_cache(maxsize=4096)
def _verified(value: str, secret_key: str) -> tuple[tuple, int]:
    """A token's claims and the time it was signed, its signature checked
    once per token and site key (a rotated key revokes at once): a board
    sends the same token with every poll and save until a full answer renews
    it. Raises BadSignature (not kept) for a forged one."""
    claims = signing.loads(value, salt=SALT, key=secret_key)
    # signing.dumps's format, "payload:timestamp:signature" (the timestamp in base 62).
    return tuple(claims), signing.b62_decode(value.rsplit(":", 2)[1])


def auth_digest(password: str) -> str:
    """Of the stored password hash and a secret derived from the site's key:
    the database computes the same (`_PASSWORD_SQL`), so the rights check
    stays one statement. A changed password changes it."""
    return _digest(password + _pepper())


def _pepper() -> str:
    return _pepper_of(settings.SECRET_KEY)


@functools.cache
def _pepper_of(secret_key: str) -> str:
    return salted_hmac(SALT, "password digest", secret=secret_key, algorithm="sha256").hexdigest()


def _digest(secret: str) -> str:
    # Never the secret itself: the token sits in URLs, which may be logged.
    return hashlib.sha256(secret.encode()).hexdigest()[:16]


class Unavailable(Exception):
    """The database refused a quick path's statement: the view takes over."""


def unchecked(run):
    """`run()`'s queries without Django's per-request health check (a
    `SELECT 1` before the first query, one more round trip on every poll and
    save): if the connection broke, the statement fails here instead, the
    connection is closed, and the request goes on to the view, which opens a
    new one. Exactly-once holds either way: a note whose insert did commit is
    found by its client UUID."""
    connection.health_check_done = True
    try:
        return run()
    except Error as error:
        # Logged: a statement the database refuses for another reason than a
        # lost connection would otherwise send every save to the slow path
        # without a word. Closed whatever the error (a driver may call a lost
        # connection by another name; a sound one is reopened for one request).
        logger.warning("Quick path handed to the view: %r", error)
        if not connection.in_atomic_block:
            with contextlib.suppress(Error):
                connection.close()
        raise Unavailable from error


def quiet_board_middleware(get_response):
    def middleware(request):
        if request.method == "GET":
            try:
                response = _answer(request)
            except Unavailable:
                response = None
            if response is not None:
                return response
        return get_response(request)

    return middleware


def _answer(request) -> HttpResponse | None:
    """204 for a quiet board, or one that already holds every note changed
    in its window; the changes for one of the group's animators (two
    queries: the changes and the rights together, then the notes); None for
    anything else, which the view answers."""
    match = PATH.fullmatch(request.path_info)
    if match is None or "jeton" not in request.GET:
        return None
    claims = read_token(request.GET["jeton"], request)
    if claims is None or claims[1] != int(match[1]):
        return None
    since = _parse(request.GET.get("since", ""))
    if since is None:
        return None
    user_id, group_id, auth = claims
    held = held_notes(request.GET.get("vu", ""))
    # As the view: the cursor is taken before the notes are read.
    now = timezone.now()
    changed, allowed = unchecked(
        lambda: _changes_and_rights(request, user_id, group_id, auth, since, len(held) + 1)
    )
    if not changed:
        return _no_content()
    if not allowed:
        return None  # the view refuses
    if held.issuperset(changed):
        # Nothing the board does not hold: its window moves on.
        response = _no_content()
        response["X-Board-Cursor"] = now.isoformat()
        return response
    if "lecture" in request.GET:
        return None  # the view leaves out the buttons for a reader
    notes = unseen(unchecked(lambda: WorkingGroup(pk=group_id).changes_since(since)), held)
    response = rendered(request, lambda: render_notes(notes, can_write=True))
    add_never_cache_headers(response)
    response["X-Board-Cursor"] = now.isoformat()
    # The same claims, signed afresh: the checks just found them all true.
    session_key = request.COOKIES[settings.SESSION_COOKIE_NAME]
    response["X-Board-Token"] = _sign(user_id, group_id, session_key, auth)
    return response


def _no_content() -> HttpResponse:
    response = HttpResponse(status=204)
    response["Cache-Control"] = "no-store"
    return response


def held_notes(value: str) -> frozenset[tuple[int, str]]:
    """The notes a board says it holds (its poll's `vu`, "id:stamp,…", the
    stamps of their `data-updated`): the notes among the changes it need not
    be sent again, its own saves and, for the five seconds each poll asks
    again (board.js), what an earlier answer brought. Malformed entries are
    left out: the note is sent, as without them."""
    entries = (HELD.fullmatch(entry) for entry in value.split(",", HELD_MAX)[:HELD_MAX])
    return frozenset((int(m[1]), m[2]) for m in entries if m)


def unseen(notes, held) -> list:
    """`notes` but those the board holds as they are (same id, same stamp)."""
    if not held:
        return list(notes)
    return [note for note in notes if (note.pk, stamp(note.updated_at)) not in held]


def _changes_and_rights(request, user_id, group_id, auth, since, limit):
    """The group's notes changed after `since` (the view's own test:
    `WorkingGroup.changes_since`), at most `limit` of them, as (id, stamp);
    and whether the token's holder is still one of the group's animators
    (with no change, not asked). One statement."""
    changed, changed_params = changed_since(group_id, since)
    rights, rights_params = animator_rights(request, user_id, group_id, auth)
    notes = connection.ops.quote_name(Contribution._meta.db_table)
    with connection.cursor() as cursor:
        # The rights, a subquery that names no note, are evaluated once.
        cursor.execute(
            f"SELECT n.id, n.updated_at, {rights} FROM {notes} n"  # noqa: S608 (names from the models, values as parameters)
            f" WHERE {changed} LIMIT %s",
            [*rights_params, *changed_params, limit],
        )
        rows = cursor.fetchall()
    changed = [(pk, stamp(_from_db(updated))) for pk, updated, _ in rows]
    return changed, bool(rows) and bool(rows[0][2])


def _from_db(value) -> datetime:
    """`updated_at` as the ORM reads it (SQLite gives it without its zone),
    through the backend's own converters."""
    column, converters = _updated_at_converters(connection.vendor)
    for convert in converters:
        value = convert(value, column, connection)
    return value


@functools.cache
def _updated_at_converters(vendor: str):
    column = Contribution._meta.get_field("updated_at").get_col(Contribution._meta.db_table)
    return column, connection.ops.get_db_converters(column)


def animator_rights(request, user_id, group_id, auth, question_id=None) -> tuple[str, list]:
    """The checks the views make for one of a group's animators, as an SQL
    condition and its parameters: the session is alive, the user active and
    one of the group's animators (and `question_id`, if given, a question of
    the group's round), with the password the token was issued under."""
    params = [
        group_id,
        user_id,
        _pepper(),
        auth,
        request.COOKIES[settings.SESSION_COOKIE_NAME],
        connection.ops.adapt_datetimefield_value(timezone.now()),
    ]
    if question_id is not None:
        params.append(question_id)
    return _rights_sql(connection.vendor, question_id is not None), params


# The password digest of `auth_digest`, in each database's words (SQLite's
# SHA256 is the function Django's backend registers).
_PASSWORD_SQL = {
    "postgresql": "left(encode(sha256(convert_to(u.password || %s, 'UTF8')), 'hex'), 16) = %s",
    "sqlite": "substr(SHA256(u.password || %s), 1, 16) = %s",
}


@functools.cache
def _rights_sql(vendor: str, with_question: bool) -> str:
    """Written out, not built by the ORM: on every quick save and changed
    poll, building this query took 1.1 ms, running it 0.2 (bench/misses.md).
    A condition, so that a save inserts its note in the same statement
    (`Contribution.insert_once`)."""
    name = connection.ops.quote_name
    animates = name(WorkingGroup.animators.through._meta.db_table)
    users = name(get_user_model()._meta.db_table)
    sessions = name(Session._meta.db_table)
    sql = (
        f"EXISTS (SELECT 1 FROM {animates} a JOIN {users} u ON u.id = a.user_id"  # noqa: S608 (names from the models, values as parameters)
        " WHERE a.workinggroup_id = %s AND a.user_id = %s AND u.is_active"
        f" AND {_PASSWORD_SQL[vendor]}"
        f" AND EXISTS (SELECT 1 FROM {sessions} s"
        " WHERE s.session_key = %s AND s.expire_date > %s)"
    )
    if with_question:
        groups = name(WorkingGroup._meta.db_table)
        questions = name(Question._meta.db_table)
        sql += (
            f" AND EXISTS (SELECT 1 FROM {groups} g JOIN {questions} q ON q.round_id = g.round_id"  # noqa: S608
            " WHERE g.id = a.workinggroup_id AND q.id = %s)"
        )
    return sql + ")"


def rendered(request, html, status=200) -> HttpResponse:
    """Notes rendered in the request's language, with the headers the
    middlewares after these ones would have added."""
    language = translation.get_language_from_request(request)
    with translation.override(language):
        response = HttpResponse(html(), status=status)
    response["Content-Language"] = language
    response["X-Frame-Options"] = settings.X_FRAME_OPTIONS
    patch_vary_headers(response, ["Cookie", "Accept-Language"])
    return response


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

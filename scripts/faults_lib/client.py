"""Simulated animators and coordinators over real HTTP (httpx, one client
per person, one thread each), doing what the board's outbox does: each note
gets a UUID before it is sent, only a 2xx answer ends it, and anything else
— a network error, a 5xx, a redirect to the login page, a 403 — is tried
again with exponential backoff and jitter, in the order typed.

The backoff is the browser's shape on a shorter scale (0.2 s … 2 s instead
of 1 s … 30 s) so that a run fits in minutes; the server cannot tell."""

import random
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from html.parser import HTMLParser

import httpx

TIMEOUT = httpx.Timeout(10.0, connect=2.0)


class Person:
    """A logged-in browser: session and CSRF cookies, the CSRF header."""

    def __init__(self, base: str, username: str, password: str):
        self.base = base
        self.username = username
        self.http = httpx.Client(base_url=base, timeout=TIMEOUT, follow_redirects=False)
        self.user_id = ""
        self.board_token = ""
        page = self.http.get("/connexion/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        answer = self.http.post(
            "/connexion/",
            data={
                "username": username,
                "password": password,
                "csrfmiddlewaretoken": token.group(1) if token else "",
            },
        )
        if answer.status_code != 302 or "sessionid" not in self.http.cookies:
            raise RuntimeError(f"login of {username} failed: {answer.status_code}")

    def csrf(self) -> str:
        return self.http.cookies.get("csrftoken", "")

    def post(self, path, data, *, htmx=True, outbox=False):
        headers = {"X-CSRFToken": self.csrf()}
        if htmx:
            headers["HX-Request"] = "true"
        if outbox:
            headers["X-Outbox"] = "1"
        return self.http.post(path, data=data, headers=headers)

    def clone(self) -> "Person":
        """Another connection in the same browser session (parallel tabs)."""
        twin = object.__new__(Person)
        twin.base, twin.username, twin.user_id = self.base, self.username, self.user_id
        twin.board_token = self.board_token
        twin.http = httpx.Client(base_url=self.base, timeout=TIMEOUT, follow_redirects=False)
        twin.http.cookies.update(self.http.cookies)
        return twin

    def close(self):
        self.http.close()


def open_board(person: Person, group_id: int) -> None:
    """Open the board as the browser does, and read the user's id from it
    (`data-user`): the outbox sends the author it claims as `outbox_user`, and
    the server refuses a note claimed by someone else (issue 16). A board
    without it gets no such field, which an older server ignores."""
    page = person.http.get(f"/groupes/{group_id}/")
    if page.status_code != 200:
        raise RuntimeError(f"board {group_id} for {person.username}: {page.status_code}")
    found = re.search(r'data-(?:user|user-id|author|outbox-user)="(\d+)"', page.text)
    person.user_id = found.group(1) if found else ""
    # The board's token, which board.js sends with each note: such a note is
    # stored before the session and auth middlewares (atelier/board_save.py).
    token = re.search(r'data-poll-token="([^"]+)"', page.text)
    person.board_token = token.group(1) if token else ""


@dataclass
class Tally:
    sent: list = field(default_factory=list)  # texts of every note started
    acked: int = 0  # notes answered 2xx
    refused: list = field(default_factory=list)  # (status, body) for 400/409/422
    given_up: int = 0  # still unacknowledged at the deadline
    failures: list = field(default_factory=list)  # (monotonic time, what) per failed attempt
    lock: threading.Lock = field(default_factory=threading.Lock)


REFUSALS = (400, 409, 422)


def send_note(person, group_id, question_id, kind, text, tally, *, give_up_at, note_uuid=None):
    """One note through the outbox's loop; True once a 2xx came back."""
    data = {
        "client_uuid": note_uuid or str(uuid.uuid4()),
        "question": str(question_id),
        "kind": kind,
        "speaker_actor_type": "",
        "text": text,
    }
    if person.user_id:
        data["outbox_user"] = person.user_id
    if person.board_token:
        data["jeton"] = person.board_token
    attempt = 0
    while True:
        try:
            answer = person.post(f"/groupes/{group_id}/notes/", data, outbox=True)
            status = answer.status_code
        except httpx.HTTPError as error:
            status, answer = type(error).__name__, None
        if isinstance(status, int) and 200 <= status < 300:
            with tally.lock:
                tally.acked += 1
            return True
        if status in REFUSALS:
            with tally.lock:
                tally.refused.append((status, answer.text[:200]))
            return False
        with tally.lock:
            tally.failures.append((time.monotonic(), status))
        if time.monotonic() > give_up_at:
            with tally.lock:
                tally.given_up += 1
            return False
        attempt += 1
        delay = min(2.0, 0.2 * 2 ** min(attempt, 4))
        time.sleep(delay * random.uniform(0.5, 1.5))


def animate(person, group_id, question_id, kind, tally, *, stop_at, give_up_at, think, seed):
    """Type notes until `stop_at`, one at a time in order, like one animator."""
    rng = random.Random(seed)
    n = 0
    while time.monotonic() < stop_at:
        n += 1
        text = f"{person.username} note {n} ({uuid.uuid4().hex[:8]}) : les habitants s'impliquent."
        with tally.lock:
            tally.sent.append(text)
        send_note(person, group_id, question_id, kind, text, tally, give_up_at=give_up_at)
        time.sleep(rng.uniform(*think))


def run_animators(people, groups, question_id, kind, *, seconds, think=(0.05, 0.3), grace=45):
    """Threads of animators for `seconds`; returns (tally, threads) once
    started, so the caller can break things while they write."""
    tally = Tally()
    start = time.monotonic()
    stop_at, give_up_at = start + seconds, start + seconds + grace
    threads = [
        threading.Thread(
            target=animate,
            args=(person, group, question_id, kind, tally),
            kwargs={"stop_at": stop_at, "give_up_at": give_up_at, "think": think, "seed": i},
            daemon=True,
        )
        for i, (person, group) in enumerate(zip(people, groups, strict=True))
    ]
    for thread in threads:
        thread.start()
    return tally, threads


class _Forms(HTMLParser):
    """The POST forms of a page: (action, {name: value}) with hidden inputs
    and the named submit buttons, as a browser would send them."""

    def __init__(self):
        super().__init__()
        self.forms = []
        self._current = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "").lower() == "post":
            self._current = (attrs.get("action") or "", {})
            self.forms.append(self._current)
        elif self._current is not None and attrs.get("name") and self._sent(tag, attrs):
            self._current[1].setdefault(attrs["name"], attrs.get("value") or "")

    @staticmethod
    def _sent(tag, attrs):
        return tag == "button" or (tag == "input" and attrs.get("type") in ("hidden", "submit"))

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None


def post_forms(html: str) -> list[tuple[str, dict]]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms

"""Simulated animators for `make bench`: an asyncio client (aiohttp).

Why not Locust: on this 2-core machine the load generator shares the CPU with
gunicorn and PostgreSQL, and Locust's gevent users plus its web/stats
machinery cost more CPU than one asyncio loop. A few dozen coroutines are all
50 animators need, and the client stays small enough to read in one go.

Each animator does what board.js does in a browser: it opens its group's
board (session cookie, CSRF cookie), then, until the phase ends, waits a
jittered think time and saves a note through the outbox's request (POST with
X-CSRFToken, X-Outbox and HX-Request, a fresh client UUID), while polling the
board's changes at the board's own interval, naming the notes it holds. In the floor phase the same
animators send the same requests, at the same rhythm, to a trivial view
(/health/, one SELECT 1 through the whole middleware stack).
"""

import asyncio
import random
import re
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import aiohttp
from yarl import URL


@dataclass
class Animator:
    session_key: str
    board_url: str
    create_url: str
    changes_url: str
    question_id: int
    user_id: int


# A note as board.js finds it in an answer: its id and its `data-updated`.
NOTE = re.compile(r'data-note-id="([0-9]+)"[^>]*?data-updated="([0-9.]+)"')


class Held:
    """The notes a board shows, with the stamp of the version it holds: its
    saves' answers and its polls' bring them; each poll names those of its
    window (`vu`) and is not sent them again, as board.js does."""

    def __init__(self, limit: int):
        self.stamps, self.limit = {}, limit  # the page's data-held-max

    def take(self, html: str):
        self.stamps.update(NOTE.findall(html))

    def poll_params(self, cursor: datetime, token: str) -> dict:
        """The poll board.js sends: from five seconds before the cursor,
        naming the notes changed since then that it holds (a second's margin)."""
        since = cursor - timedelta(seconds=5)
        floor = since.timestamp() - 1
        held = []
        for pk, stamp in list(self.stamps.items()):
            if float(stamp) >= floor:
                held.append(f"{pk}:{stamp}")
            elif float(stamp) < floor - 60:
                del self.stamps[pk]  # long past: never in a window again
        params = {"since": since.isoformat(), "jeton": token}
        if held and len(held) <= self.limit:
            params["vu"] = ",".join(held)
        return params


@dataclass
class Outcome:
    latencies_ms: list = field(default_factory=list)  # saves (or floor requests)
    errors: int = 0
    error_samples: list = field(default_factory=list)
    requests: int = 0
    duration_s: float = 0.0


def outbox_note(question_id, user_id, label, token):
    """A new note as board.js's outbox posts it, with its board's token."""
    return {
        "jeton": token,
        "client_uuid": str(uuid.uuid4()),
        "question": str(question_id),
        "kind": "success_factor",
        "text": f"{label} : les habitants s'impliquent.",
        # The outbox says who typed the note; the server refuses any other.
        "outbox_user": str(user_id),
    }


async def _animator(base, who, *, floor, stop_at, think, poll_s, outcome, rng):
    jar = aiohttp.CookieJar(unsafe=True)  # cookies on 127.0.0.1
    jar.update_cookies({"sessionid": who.session_key}, URL(base))
    async with aiohttp.ClientSession(base_url=base, cookie_jar=jar) as http:
        # Animators open their boards over the first seconds, not all at once.
        await asyncio.sleep(rng.uniform(0, think[1]))
        async with http.get(who.board_url) as response:
            page = await response.text()
            if response.status != 200:
                raise RuntimeError(f"board {who.board_url}: {response.status}")
        csrf = next(
            (c.value for c in jar if c.key == "csrftoken"),
            (re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', page) or [""])[0],
        )
        cursor = datetime.fromisoformat(re.findall(r'data-cursor="([^"]+)"', page)[0])
        token = (re.findall(r'data-poll-token="([^"]+)"', page) or [""])[0]
        held = Held(int(re.findall(r'data-held-max="([0-9]+)"', page)[0]))
        held.take(page)
        headers = {"X-CSRFToken": csrf, "X-Outbox": "1", "HX-Request": "true"}
        next_poll = time.monotonic() + rng.uniform(0, poll_s)
        await asyncio.sleep(rng.uniform(*think))
        while time.monotonic() < stop_at:
            if time.monotonic() >= next_poll:
                next_poll += poll_s
                url = "/health/" if floor else who.changes_url
                params = None if floor else held.poll_params(cursor, token)
                async with http.get(url, params=params) as r:
                    held.take(await r.text())
                    if "X-Board-Cursor" in r.headers:
                        cursor = datetime.fromisoformat(r.headers["X-Board-Cursor"])
                    token = r.headers.get("X-Board-Token", token)
                    outcome.requests += 1
            data = outbox_note(
                who.question_id, who.user_id, f"Note de mesure {rng.randint(1, 10**6)}", token
            )
            start = time.perf_counter()
            try:
                if floor:
                    request = http.get("/health/", headers=headers)
                else:
                    request = http.post(who.create_url, data=data, headers=headers)
                async with request as response:
                    held.take(await response.text())
                    if response.status not in (200, 201):
                        outcome.errors += 1
                        if len(outcome.error_samples) < 5:
                            outcome.error_samples.append(response.status)
            except aiohttp.ClientError as error:
                outcome.errors += 1
                if len(outcome.error_samples) < 5:
                    outcome.error_samples.append(repr(error))
            outcome.latencies_ms.append((time.perf_counter() - start) * 1000)
            outcome.requests += 1
            await asyncio.sleep(rng.uniform(*think))


async def _run(base, animators, *, floor, seconds, think, poll_s, seed):
    outcome = Outcome()
    start = time.monotonic()
    stop_at = start + seconds
    await asyncio.gather(
        *(
            _animator(
                base,
                who,
                floor=floor,
                stop_at=stop_at,
                think=think,
                poll_s=poll_s,
                outcome=outcome,
                rng=random.Random(seed + i),
            )
            for i, who in enumerate(animators)
        )
    )
    outcome.duration_s = time.monotonic() - start
    return outcome


def run(base, animators, *, floor=False, seconds=20, think=(1.0, 4.0), poll_s=3, seed=0):
    return asyncio.run(
        _run(base, animators, floor=floor, seconds=seconds, think=think, poll_s=poll_s, seed=seed)
    )

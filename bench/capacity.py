"""Capacity of one machine, for `make bench` (issue 17, point 5): how many note
saves per second, and how many open boards, the gunicorn of bench/stack.py
holds on this box before its latency passes the targets.

Three short stepped ramps, about three minutes in all:

 1. 300 boards are open and poll their changes at the board's own interval
    (board.js: the poll is sent again `POLL_SECONDS` after the last answer,
    asking from five seconds before the cursor it was given and naming the
    notes it holds, which are not sent again: load.Held). They keep
    polling through steps 2 and 3.
 2. The trivial view (/health/, one SELECT 1 through the whole middleware
    stack) is offered at a rising rate (open loop: one request every 1/rate
    seconds, whatever the answers). A step passes when no request fails and
    the p99 of their latency is at most 100 ms; after the first failing
    step, two more halve the gap (in ratio) between it and the last passing
    one; the highest passing rate is the floor the save rate is compared
    with. The same ramp then goes to
    note saves (each by one of the 300 animators on their own board, through
    the outbox's request with the board's token, as board.js sends it). The
    notes saved wait for their vectors while the machine is busy
    (synthesis/pending.py); the trivial view goes first so that their
    embedding, once the ramp is over, cannot weigh on the floor.
 3. The pollers alone, more and more boards, until the polls' p99 passes
    200 ms: the number of boards the configuration holds.

Latencies are the client's, from the moment the request was due to its last
byte: they include the queue in front of gunicorn's workers (server-side
times would hide it exactly when the server saturates) and any lag of the
load generator itself, which shares the two cores; the floor pays that lag
too, so the ratio stays fair, and if anything the floor is the one that is
held down. One shared aiohttp session sends everything: sessions and CSRF
tokens ride in explicit headers, not per-client cookie jars.
"""

import asyncio
import contextlib
import gc
import os
import random
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

import aiohttp
from load import Held, outbox_note
from measure import percentile

SAVE_P99_MS = 100
POLL_P99_MS = 200
BOARDS = 300
# A well-formed CSRF token, the same in the cookie and in the header.
CSRF = "capacite" * 4


@dataclass
class Board:
    user_id: int
    session_key: str
    changes_url: str
    create_url: str
    question_id: int
    poll_token: str
    # What this board shows (its saves' answers and its polls' bring notes).
    held: Held

    @property
    def cookie(self):
        return f"sessionid={self.session_key}; csrftoken={CSRF}"


@dataclass
class Samples:
    latencies_ms: list = field(default_factory=list)
    errors: int = 0
    error_samples: list = field(default_factory=list)

    def failed(self, what):
        self.errors += 1
        if len(self.error_samples) < 5:
            self.error_samples.append(what)

    def p99(self):
        return percentile(self.latencies_ms, 99) if self.latencies_ms else float("inf")


def boards(count=BOARDS):
    """`count` animators, each on a board of their own (groups 3 to 10 of the
    large workshops, which the other load phases leave alone)."""
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import reverse

    from atelier.board_poll import HELD_MAX, token_for
    from atelier.models import Question, Role, WorkingGroup

    User = get_user_model()
    groups = list(
        WorkingGroup.objects.filter(round__workshop__slug__startswith="bench-", number__gte=3)
        .exclude(round__workshop__slug="bench-0")
        .order_by("pk")[:count]
    )
    first_question = dict(
        Question.objects.filter(round__in={g.round_id for g in groups}, order=1).values_list(
            "round_id", "pk"
        )
    )
    names = [f"bench-tableau-{i}" for i in range(len(groups))]
    User.objects.bulk_create(
        [User(username=name, role=Role.ANIMATOR) for name in names], ignore_conflicts=True
    )
    users = {u.username: u for u in User.objects.filter(username__in=names)}
    Animates = WorkingGroup.animators.through
    Animates.objects.bulk_create(
        [Animates(workinggroup=g, user=users[n]) for g, n in zip(groups, names, strict=True)],
        ignore_conflicts=True,
    )
    opened = []
    client = Client()
    for group, name in zip(groups, names, strict=True):
        client.force_login(users[name])
        session_key = client.cookies["sessionid"].value
        opened.append(
            Board(
                user_id=users[name].pk,
                session_key=session_key,
                changes_url=reverse("board_changes", args=[group.pk]),
                create_url=reverse("note_create", args=[group.pk]),
                question_id=first_question[group.round_id],
                poll_token=token_for(users[name], group.pk, session_key),
                held=Held(HELD_MAX),
            )
        )
        client.cookies.clear()
    return opened


async def _poller(http, board, poll_s, stop, samples, rng):
    """One open board: poll, wait `poll_s` after the answer, poll again, with
    the token the page gave it (a quiet board is answered 204)."""
    await asyncio.sleep(rng.uniform(0, poll_s))  # boards were not all opened at once
    cursor = datetime.now(UTC)
    token = board.poll_token
    headers = {"Cookie": board.cookie, "HX-Request": "true"}
    while not stop.is_set():
        start = time.perf_counter()
        try:
            params = board.held.poll_params(cursor, token)
            async with http.get(board.changes_url, params=params, headers=headers) as r:
                board.held.take(await r.text())
                if r.status not in (200, 204):
                    samples.failed(r.status)
                if "X-Board-Cursor" in r.headers:
                    cursor = datetime.fromisoformat(r.headers["X-Board-Cursor"])
                token = r.headers.get("X-Board-Token", token)
        except (aiohttp.ClientError, TimeoutError) as error:
            samples.failed(repr(error))
        samples.latencies_ms.append((time.perf_counter() - start) * 1000)
        with contextlib.suppress(TimeoutError):  # the usual case: time to poll again
            await asyncio.wait_for(stop.wait(), poll_s)


class Pollers:
    """Open boards polling in the background; their latencies are read by
    window (`take()` returns what came since the last call)."""

    def __init__(self, http, poll_s):
        self.http, self.poll_s = http, poll_s
        self.stop = asyncio.Event()
        self.tasks = []
        self.samples = Samples()

    def open(self, boards, count):
        """Open `count` more boards, cycling over `boards` (two people may
        have the same board open)."""
        rng = random.Random(len(self.tasks))
        for i in range(len(self.tasks), len(self.tasks) + count):
            board = boards[i % len(boards)]
            self.tasks.append(
                asyncio.create_task(
                    _poller(self.http, board, self.poll_s, self.stop, self.samples, rng)
                )
            )

    def take(self):
        taken, self.samples.latencies_ms = self.samples.latencies_ms, []
        errors, self.samples.errors = self.samples.errors, 0
        return taken, errors

    async def close(self):
        self.stop.set()
        await asyncio.gather(*self.tasks)


async def _one(http, send, due, samples):
    await asyncio.sleep(max(0.0, due - time.perf_counter()))
    try:
        status = await send()
        if status not in (200, 201):
            samples.failed(status)
    except (aiohttp.ClientError, TimeoutError) as error:
        samples.failed(repr(error))
    # From when the request was due: a late start is the generator's queue,
    # and it counts.
    samples.latencies_ms.append((time.perf_counter() - due) * 1000)


async def offered(http, make_request, rate, seconds):
    """`rate` requests a second for `seconds`, open loop."""
    samples = Samples()
    start = time.perf_counter() + 0.05
    count = int(rate * seconds)
    await asyncio.gather(
        *(_one(http, make_request(i), start + i / rate, samples) for i in range(count))
    )
    return samples


def save_request(http, boards, seed):
    rng = random.Random(seed)

    def make(i):
        board = boards[i % len(boards)]
        data = outbox_note(
            board.question_id,
            board.user_id,
            f"Note de capacité {rng.randint(1, 10**6)}",
            board.poll_token,
        )
        headers = {
            "Cookie": board.cookie,
            "X-CSRFToken": CSRF,
            "X-Outbox": "1",
            "HX-Request": "true",
        }

        async def send():
            async with http.post(board.create_url, data=data, headers=headers) as response:
                board.held.take(await response.text())  # the outbox shows the saved note
                return response.status

        return send

    return make


def health_request(http, boards):
    def make(i):
        headers = {"Cookie": boards[i % len(boards)].cookie}

        async def send():
            async with http.get("/health/", headers=headers) as response:
                await response.read()
                return response.status

        return send

    return make


def cpu_seconds() -> tuple[float, float]:
    """CPU-seconds the whole machine has spent busy so far (/proc/stat): at
    normal priority (the web, PostgreSQL, Redis, this load generator) and
    niced (the drafting worker, whose embeddings wait while the machine is
    busy: synthesis/pending.py)."""
    from synthesis.embeddings import cpu_ticks

    with open("/proc/stat") as stat:
        normal, niced, _ = cpu_ticks(stat.read())
    tick = os.sysconf("SC_CLK_TCK")
    return normal / tick, niced / tick


async def background_cpu(seconds) -> float:
    """Busy CPU-seconds per second at normal priority while only the boards poll."""
    (start, _), began = cpu_seconds(), time.perf_counter()
    await asyncio.sleep(seconds)
    return (cpu_seconds()[0] - start) / (time.perf_counter() - began)


async def ramp(http, make_request, rates, seconds, limit_ms, log, pollers=None, background=0.0):
    """Offer each rate in turn until one fails, then the rates halfway (in
    ratio) between the highest that passed and the lowest that failed, twice:
    steps of 40 % find the knee, and a ratio of two such figures would move by
    a whole step either way; the two halvings narrow it to about 9 %. Returns
    the highest passing rate (0 if none) and every step's figures, with the
    boards' polls of each step when `pollers` are given, and the machine's
    CPU per request over the `background` the polling boards cost alone."""
    # Each gunicorn worker's first requests of a kind fill its caches
    # (templates, the form's field classes): not part of any step.
    await offered(http, make_request, rates[0], 2)
    best, failed, steps = 0.0, None, []

    async def step(rate):
        # A step fails on one slow request in a hundred: on a shared machine
        # that can be a neighbour's burst, so a step that failed narrowly is
        # offered again once before it counts.
        for _attempt in range(2):
            figures = await _step(http, make_request, rate, seconds, pollers, background)
            figures["passed"] = figures["errors"] == 0 and figures["p99"] <= limit_ms
            steps.append(figures)
            log(_line(figures))
            if figures["passed"]:
                return True
            if not narrowly(figures["p99"], limit_ms):
                return False
        return False

    for rate in rates:
        if not await step(rate):
            failed = rate
            break
        best = rate
    for _halving in range(2):
        if not best or failed is None:
            break
        rate = round((best * failed) ** 0.5)
        if rate in (best, failed):
            break
        if await step(rate):
            best = rate
        else:
            failed = rate
    return best, steps


def narrowly(p99, limit_ms) -> bool:
    """A failure a burst could explain: a p99 over three times the limit is
    a queue, and offering the step again (its queue drains for seconds)
    would only lengthen the bench."""
    return p99 <= 3 * limit_ms


async def _step(http, make_request, rate, seconds, pollers, background):
    await asyncio.sleep(1)  # the queue drains between steps
    if pollers:
        pollers.take()
    began, (normal, niced) = time.perf_counter(), cpu_seconds()
    samples = await offered(http, make_request, rate, seconds)
    wall = time.perf_counter() - began
    now_normal, now_niced = cpu_seconds()
    normal, niced = now_normal - normal, now_niced - niced
    count = len(samples.latencies_ms) or 1
    figures = {
        "rate": rate,
        "p99": round(samples.p99(), 1),
        "errors": samples.errors,
        "cpu_share": round((normal + niced) / wall / os.cpu_count(), 2),
        "niced_share": round(niced / wall / os.cpu_count(), 2),
        "cpu_ms": round((normal - background * wall) / count * 1000, 2),
    }
    if pollers:
        latencies, errors = pollers.take()
        figures["polls_p99"] = round(percentile(latencies, 99), 1) if latencies else None
        figures["poll_errors"] = errors
    return figures


def _line(figures):
    polls = ""
    if "polls_p99" in figures:
        polls = f"  polls p99 {figures['polls_p99']} ms, errors {figures['poll_errors']}"
    return (
        f"      {figures['rate']:>6.0f}/s  p99 {figures['p99']:8.1f} ms  errors {figures['errors']}"
        f"  cpu {figures['cpu_share']:.0%} (niced {figures['niced_share']:.0%}),"
        f" {figures['cpu_ms']:.1f} ms a request{polls}"
    )


def rates(start, factor, top):
    out, rate = [], float(start)
    while rate <= top:
        out.append(round(rate))
        rate *= factor
    return out


def client(base):
    """The generator's one HTTP session: a new connection per request, as
    gunicorn's sync workers close each one; sessions and CSRF tokens ride in
    explicit headers, not a cookie jar."""
    return aiohttp.ClientSession(
        base_url=base,
        connector=aiohttp.TCPConnector(limit=0, force_close=True),
        timeout=aiohttp.ClientTimeout(total=15),
        cookie_jar=aiohttp.DummyCookieJar(),
    )


async def _run(base, opened, poll_s, log):
    # The generator's own pauses count against the server (latencies run
    # from when a request was due): what it holds already (Django, the
    # boards) is kept out of its garbage collections.
    gc.collect()
    gc.freeze()
    began = time.perf_counter()
    async with client(base) as http:
        pollers = Pollers(http, poll_s)
        pollers.open(opened, BOARDS)
        await asyncio.sleep(poll_s + 1)  # every board has polled once
        background = await background_cpu(2 * poll_s)
        log(f"    {BOARDS} boards polling alone: cpu {background / os.cpu_count():.0%}")
        pollers.take()
        # The trivial view first: the notes the saves leave waiting for their
        # vectors are embedded once the machine is no longer busy, which must
        # not weigh on the floor the saves are compared with.
        log(f"    the trivial view, {BOARDS} boards polling every {poll_s} s:")
        floor, floor_steps = await ramp(
            http,
            health_request(http, opened),
            rates(50, 1.4, 3000),
            5,
            SAVE_P99_MS,
            log,
            background=background,
        )
        log("    note saves, the same boards polling:")
        saves, save_steps = await ramp(
            http,
            save_request(http, opened, seed=17),
            rates(50, 1.4, 3000),
            5,
            SAVE_P99_MS,
            log,
            pollers=pollers,
            background=background,
        )
        # The polls while the highest passing rate of saves was offered (the
        # failing steps after it overload the server by design).
        at_best = [s for s in save_steps if s["rate"] == saves and s["passed"]]
        polls_at_best = at_best[-1] if at_best else {}
        pollers.take()
        log(f"    open boards alone (the ramps so far: {time.perf_counter() - began:.0f} s):")
        held, board_steps = 0, []
        count = BOARDS
        while True:
            # New boards open over one interval; measure over the next, in
            # which every board polls about once (and one more if that
            # failed narrowly: see `ramp`).
            await asyncio.sleep(poll_s)
            for _attempt in range(2):
                pollers.take()
                await asyncio.sleep(poll_s)
                latencies, errors = pollers.take()
                p99 = percentile(latencies, 99) if latencies else float("inf")
                board_steps.append({"boards": count, "p99": round(p99, 1), "errors": errors})
                log(f"      {count:>6} boards  p99 {p99:8.1f} ms  errors {errors}")
                passed = not errors and p99 <= POLL_P99_MS
                if passed or not narrowly(p99, POLL_P99_MS):
                    break
            if not passed or count >= 6000:
                break
            held = count
            more = count // 2
            pollers.open(opened, more)
            count += more
        await pollers.close()
    return {
        "saves": saves,
        "save_steps": save_steps,
        "floor": floor,
        "floor_steps": floor_steps,
        "boards": held,
        "board_steps": board_steps,
        "polls_during_saves_p99": polls_at_best.get("polls_p99"),
        "poll_errors_during_saves": polls_at_best.get("poll_errors"),
    }


def run(base, opened, *, poll_s, log=print):
    return asyncio.run(_run(base, opened, poll_s, log))

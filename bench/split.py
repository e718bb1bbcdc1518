"""`make bench-split`: where a request's CPU and time go, process by process.

The capacity rows (bench/capacity.py) say how much machine CPU a note's save
costs beside the trivial view; this says who spends it. The same stack as the
bench (gunicorn, PostgreSQL, Redis, the workers) on a scratch database
(`atelier_split`, about a minute to build), then:

 1. for each kind of request — the trivial view, a note's save, a quiet poll
    (300 boards), a save with the boards polling (each save makes its
    board's next poll a full one) — a steady rate (SPLIT_RATE, 100/s) for
    SPLIT_SECONDS (10) while /proc/<pid>/stat is read before and after for
    every process of the machine, summed by kind: the load generator,
    gunicorn, PostgreSQL, Redis, the Celery workers, the rest. Printed in CPU
    milliseconds per request, the polling boards' own share taken out;
 2. saves at that rate with the boards polling, three times: the client's
    latencies beside gunicorn's and Django's (Server-Timing), which tells a
    slow request from a queue in front of the workers.

SPLIT_PROFILE=1 also samples each gunicorn worker with py-spy (if installed in
the virtualenv)
during step 1, as collapsed stacks in the work directory.
"""

import asyncio
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import capacity
from capacity import BOARDS, Pollers, health_request, offered, save_request
from data import configure, fresh_database, generate, setup_django
from measure import percentile
from stack import Stack

DB = configure("atelier_split")
os.environ["REDIS_URL"] = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/7")
os.environ["DEBUG"] = "false"
TICK = os.sysconf("SC_CLK_TCK")
SAVES = re.compile(r"/groupes/\d+/notes/")
CHANGES = re.compile(r"/groupes/\d+/changements/")


def kind_of(pid: int, me: int) -> str:
    if pid == me:
        return "load generator"
    try:
        comm = Path(f"/proc/{pid}/comm").read_text().strip()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return "gone"
    if comm.startswith("postgres") or "postgres" in cmdline[:40]:
        return "postgresql"
    if comm.startswith("redis"):
        return "redis"
    if "gunicorn" in cmdline:
        return "gunicorn"
    if "celery" in cmdline:
        return "celery"
    return "other"


def cpu_by_kind(me: int) -> dict[str, float]:
    """CPU-seconds spent so far by the live processes, summed by kind; the
    reaped children's time is in their parent's cutime/cstime, counted too."""
    totals = defaultdict(float)
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # utime, stime, cutime, cstime: fields 14-17 of stat(5), 12-15 here.
        ticks = sum(int(f) for f in fields[11:15])
        totals[kind_of(pid, me)] += ticks / TICK
    return totals


def show(name, rate, spent):
    total = sum(v for k, v in spent.items() if k != "gone")
    parts = "  ".join(f"{k} {v:.2f}" for k, v in sorted(spent.items()) if abs(v) >= 0.01)
    print(f"{name:<34} {rate:>4.0f}/s  {total:5.2f} ms a request:  {parts}", flush=True)


def profile(stack, name, seconds):
    """With SPLIT_PERF set, `perf record` samples the whole machine's CPU
    (the web's Python frames named: the stack runs with PYTHONPERFSUPPORT);
    with SPLIT_PROFILE, py-spy samples each gunicorn worker (collapsed
    stacks). Both write into the work directory."""
    slug = name.replace(" ", "-").replace(",", "")
    if os.environ.get("SPLIT_PERF"):
        record = ["perf", "record", "-e", "cpu-clock", "-F", "499", "-a", "-g", "--quiet"]
        output = ["-o", str(stack.workdir / f"{slug}.perf"), "--", "sleep", str(seconds)]
        return [subprocess.Popen(record + output)]  # noqa: S603, S607 (our own tool)
    spy = Path(sys.executable).parent / "py-spy"
    if not os.environ.get("SPLIT_PROFILE") or not spy.exists():
        return []
    workers = Path(f"/proc/{stack.web.pid}/task/{stack.web.pid}/children").read_text().split()
    return [
        subprocess.Popen(  # noqa: S603 (our own tool, our own arguments)
            [
                str(spy),
                "record",
                "--pid",
                pid,
                "--duration",
                str(seconds),
                "--rate",
                "500",
                "--format",
                "raw",
                "--nonblocking",
                "--output",
                str(stack.workdir / f"{slug}-{pid}.txt"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for pid in workers
    ]


async def measure(http, name, make_request, rate, seconds, stack, background=None):
    """CPU ms a request by kind of process, over what `background` (CPU-s a
    second by kind: the polling boards alone) costs in the same time."""
    me = os.getpid()
    await offered(http, make_request, rate, 2)  # warm-up
    await asyncio.sleep(1)
    before, began = cpu_by_kind(me), time.perf_counter()
    spies = profile(stack, name, seconds)
    samples = await offered(http, make_request, rate, seconds)
    for spy in spies:
        spy.wait()
    after, wall = cpu_by_kind(me), time.perf_counter() - began
    count = len(samples.latencies_ms) or 1
    background = background or {}
    show(
        name,
        rate,
        {
            k: (after[k] - before.get(k, 0.0) - background.get(k, 0.0) * wall) * 1000 / count
            for k in after
        },
    )
    if samples.errors:
        print(f"    {samples.errors} errors: {samples.error_samples}")


async def by_process(stack, opened, rate, seconds, poll_s):
    async with capacity.client(stack.base) as http:
        await measure(http, "trivial view", health_request(http, opened), rate, seconds, stack)
        saves = save_request(http, opened, 3)
        await measure(http, "note save, no board polling", saves, rate, seconds, stack)
        pollers = Pollers(http, poll_s)
        pollers.open(opened, BOARDS)
        await asyncio.sleep(poll_s + 1)
        pollers.take()
        me = os.getpid()
        before, began = cpu_by_kind(me), time.perf_counter()
        await asyncio.sleep(2 * poll_s)
        after, wall = cpu_by_kind(me), time.perf_counter() - began
        polls = len(pollers.take()[0]) or 1
        show("quiet poll", polls / wall, {k: (after[k] - before[k]) * 1000 / polls for k in after})
        background = {k: (after[k] - before[k]) / wall for k in after}
        saves = save_request(http, opened, 5)
        name = f"note save, {BOARDS} boards polling"
        await measure(http, name, saves, rate, seconds, stack, background)
        await pollers.close()


def quantiles(values):
    if not values:
        return "-"
    return " / ".join(f"{percentile(values, p):.1f}" for p in (50, 99, 100))


async def client_and_server(stack, opened, rate, seconds, poll_s):
    """Saves at `rate` with the boards polling: the client's latencies beside
    the server's (gunicorn's whole request, and Django's Server-Timing)."""
    print("saves with the boards polling, p50 / p99 / max in ms:")
    async with capacity.client(stack.base) as http:
        pollers = Pollers(http, poll_s)
        pollers.open(opened, BOARDS)
        await asyncio.sleep(poll_s + 1)
        for attempt in range(3):
            pollers.take()
            offset = stack.log_offset()
            samples = await offered(http, save_request(http, opened, attempt), rate, seconds)
            polls, _ = pollers.take()
            print(
                f"  saves {rate}/s: client {quantiles(samples.latencies_ms)},"
                f" gunicorn {quantiles(stack.server_times(offset, 'POST', SAVES))},"
                f" Django {quantiles(stack.server_times(offset, 'POST', SAVES, in_django=True))};"
                f" polls: client {quantiles(polls)},"
                f" gunicorn {quantiles(stack.server_times(offset, 'GET', CHANGES))}",
                flush=True,
            )
        await pollers.close()


def main():
    rate = int(os.environ.get("SPLIT_RATE", "100"))
    seconds = int(os.environ.get("SPLIT_SECONDS", "10"))
    workdir = Path(tempfile.mkdtemp(prefix="atelier-split-"))
    os.environ["MEDIA_ROOT"] = str(workdir / "media")
    import redis

    redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()
    fresh_database(DB)
    setup_django()
    generate(notes_per_workshop=100, big=100)
    from atelier.board_views import POLL_SECONDS

    opened = capacity.boards()
    print(f"work directory: {workdir}")
    env = dict(os.environ)
    if os.environ.get("SPLIT_PERF"):
        env["PYTHONPERFSUPPORT"] = "1"
    stack = Stack(env, workdir)
    try:
        stack.start()
        asyncio.run(by_process(stack, opened, rate, seconds, POLL_SECONDS))
        asyncio.run(client_and_server(stack, opened, rate, seconds, POLL_SECONDS))
    finally:
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())

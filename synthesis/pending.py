"""The notes waiting for their vectors: a Redis set the board's save adds to,
and at most one scheduled `embed_pending` task that takes them in batches.

A save costs one pipelined round trip to Redis; only the first save of a
batch publishes a task, BATCH_DELAY seconds ahead, so the notes of the next
seconds join it. In the web server's workers even that round trip leaves the
save: gunicorn.conf.py turns on `buffer_saves`, and a thread of each worker
adds the notes its saves left (`queue`) every FLUSH_SECONDS, one round trip
for all of them. Kept free of numpy and the models: this runs in the web
process, on the board's save path.

Anything lost here (Redis down, a task lost with its worker, a web worker
killed with notes in its buffer) costs the notes their vectors until the
next draft, which embeds what is missing, or `manage.py embed_notes`; never
a save.
"""

import functools
import logging
import threading
import time
from collections.abc import Iterable

import redis
from django.conf import settings
from redis.backoff import NoBackoff
from redis.retry import Retry

log = logging.getLogger(__name__)

PENDING = "atelier:embed:pending"
# Set while a task is scheduled: whoever sets it (SET NX) publishes the task.
SCHEDULED = "atelier:embed:scheduled"
# When the set last went from empty to not empty: how long its oldest note
# has waited (EMBED_MAX_WAIT bounds it).
SINCE = "atelier:embed:since"
# The notes saved within this many seconds of the first one share its batch.
BATCH_DELAY = 2
# After a failure, saves leave Redis alone this long (per process): a Redis
# that times out instead of refusing must not add a second to every save.
PAUSE_AFTER_FAILURE = 5
_down_until = 0.0


def scheduled_ttl() -> int:
    """How long the flag outlives its task's publication: the drafting worker
    may be busy with a draft (DRAFT_TIME_LIMIT) before it takes the task, then
    embeds a batch. Past it, a lost task no longer holds back the next save's."""
    return settings.DRAFT_TIME_LIMIT + 300


@functools.cache
def _connect(url: str) -> redis.Redis:
    # No retries: redis-py's default (ten, with backoff) would hold a save for
    # seconds while Redis is down.
    return redis.Redis.from_url(
        url, socket_connect_timeout=1, socket_timeout=1, retry=Retry(NoBackoff(), 0)
    )


def client() -> redis.Redis:
    """One client (and its connection pool) per process and URL, built on first use."""
    return _connect(settings.REDIS_URL)


# How often a web worker's thread sends the notes its saves left. Also the
# most a note waits before it is in the set: BATCH_DELAY is larger.
FLUSH_SECONDS = 0.5
_buffered = False
_buffer: list[int] = []
_buffer_lock = threading.Lock()
_stop = threading.Event()


def queue(note_ids: Iterable[int]) -> None:
    """For a save: the notes are added now (`add`), or, in a web worker that
    buffers (`buffer_saves`), with its next flush."""
    if not _buffered:
        add(note_ids)
        return
    with _buffer_lock:
        _buffer.extend(note_ids)


def buffer_saves() -> threading.Thread:
    """Called once in each web worker (gunicorn.conf.py): from now on, saves
    leave their notes in the worker's buffer, and a thread adds them every
    FLUSH_SECONDS."""
    global _buffered
    _stop.clear()
    thread = threading.Thread(target=_flush_every, name="pending-flush", daemon=True)
    thread.start()
    _buffered = True
    return thread


def stop_buffering() -> None:
    """The worker is leaving: what is buffered goes now, and saves add at once."""
    global _buffered
    _buffered = False
    _stop.set()
    flush()


def flush() -> bool:
    """Add what the buffer holds, in one round trip."""
    with _buffer_lock:
        ids = _buffer[:]
        _buffer.clear()
    return add(ids)


def _flush_every():
    while not _stop.wait(FLUSH_SECONDS):
        try:
            flush()
        except Exception:  # never the thread's end: the next notes would wait forever
            log.exception("Could not queue notes for embedding")


def add(note_ids: Iterable[int]) -> bool:
    """Queue these notes for embedding and make sure a task will take them.
    False, with a warning, when Redis or the broker did not answer; never raises."""
    global _down_until
    ids = list(note_ids)
    if not ids:
        return True
    if time.monotonic() < _down_until:
        log.debug("Notes %s not queued for embedding: Redis failed just before", ids)
        return False
    try:
        pipe = client().pipeline()
        pipe.sadd(PENDING, *ids)
        pipe.set(SINCE, time.time(), nx=True)
        pipe.set(SCHEDULED, 1, nx=True, ex=scheduled_ttl())
        *_, first = pipe.execute()
    except Exception:  # redis-py raises various errors when Redis is down
        _down_until = time.monotonic() + PAUSE_AFTER_FAILURE
        log.warning("Notes %s not queued for embedding: Redis did not answer", ids, exc_info=True)
        return False
    if first:
        try:
            _schedule(countdown=BATCH_DELAY)
        except Exception:  # kombu/redis raise various errors when the broker is down
            log.warning(
                "Notes %s not embedded yet: the broker did not take the task", ids, exc_info=True
            )
            _unflag()
            return False
    return True


def take(count: int) -> list[int]:
    """Up to `count` waiting note ids, removed from the set."""
    return [int(pk) for pk in client().spop(PENDING, count) or []]


def waiting() -> int:
    return client().scard(PENDING)


def put_back(note_ids: list[int]) -> None:
    """A batch that failed: its notes wait again."""
    if note_ids:
        client().sadd(PENDING, *note_ids)


def oldest_wait() -> float:
    """Seconds the oldest waiting note has waited (0 if the moment was lost)."""
    connection = client()
    since = connection.get(SINCE)
    if since is None:
        connection.set(SINCE, time.time(), nx=True)
        return 0.0
    return max(0.0, time.time() - float(since))


def rearm(countdown: float = 0) -> bool:
    """After a batch: schedule the next one if notes are waiting.
    The flag goes first: a save that found it set before the DEL added its
    note before it, so SCARD sees that note; a save after the DEL sets the flag
    and schedules itself, and then our SET NX fails. Either way every id has a
    task, and only one. True when this call scheduled the task."""
    connection = client()
    connection.delete(SCHEDULED)
    if not connection.scard(PENDING):
        connection.delete(SINCE)  # a note saved meanwhile sets it again, or the task does
        return False
    if connection.set(SCHEDULED, 1, nx=True, ex=scheduled_ttl()):
        _schedule_or_unflag(countdown=countdown)
        return True
    return False


def postpone(countdown: float) -> None:
    """The machine is busy: the same task again in `countdown` seconds. The
    flag stays set (its lifetime renewed), so saves meanwhile schedule nothing."""
    client().set(SCHEDULED, 1, ex=scheduled_ttl())
    _schedule_or_unflag(countdown=countdown)


def clear() -> int:
    """Forget every waiting note (the bench's own, after its ramp); how many."""
    connection = client()
    count = connection.scard(PENDING)
    connection.delete(PENDING, SINCE)
    return count


def _schedule(*, countdown: float) -> None:
    from .tasks import embed_pending

    embed_pending.apply_async(countdown=countdown)


def _schedule_or_unflag(**kwargs) -> None:
    """In the worker: a task that could not be published leaves no flag
    behind, so the next save schedules one; the error goes to Celery's log."""
    try:
        _schedule(**kwargs)
    except Exception:
        _unflag()
        raise


def _unflag() -> None:
    """The task was not published: let the next save try again rather than
    wait for the flag to expire."""
    try:
        client().delete(SCHEDULED)
    except Exception:  # Redis down as well: the flag's expiry does it
        log.debug("Could not clear %s", SCHEDULED, exc_info=True)

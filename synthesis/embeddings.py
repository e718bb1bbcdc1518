"""Stored sentence vectors: each distinct note text, read as the answer to its
question (`similarity.in_context`), is run through the model once, and a
draft reads the vectors back.

The cache is keyed by (model, SHA-256 of the text): a text edited on the board
gets a new vector, an unchanged one is never recomputed, and identical texts
in two workshops share one row. Nothing here runs on the board's save path:
the save queues its notes (synthesis/pending.py), a Celery task embeds them
in batches when the machine is not busy, and a draft embeds what is still
missing.
"""

import hashlib
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
from django.conf import settings
from django.db import IntegrityError, transaction

from .models import TextEmbedding
from .similarity import Backend, get_backend, in_context

# Texts run through the model at once: the model's own batch, and the rows of
# one bulk insert.
BATCH = 64
DTYPE = np.dtype("<f2")


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def stored(digests: Iterable[str], *, model: str) -> dict[str, np.ndarray]:
    """Vectors already computed, by digest (one query per thousand digests)."""
    wanted, found = list(dict.fromkeys(digests)), {}
    for start in range(0, len(wanted), 1000):
        rows = TextEmbedding.objects.filter(
            model=model, digest__in=wanted[start : start + 1000]
        ).values_list("digest", "vector")
        for key, blob in rows:
            found[key] = np.frombuffer(bytes(blob), dtype=DTYPE).astype(np.float32)
    return found


def store(texts: Sequence[str], *, backend: Backend) -> dict[str, np.ndarray]:
    """Embed and save these texts (already known ones are skipped by the
    unique key); return the new vectors by digest."""
    keys = [digest(t) for t in texts]
    vectors = backend.embed(list(texts)) if texts else np.zeros((0, 0), np.float32)
    rows = [
        TextEmbedding(model=backend.name, digest=key, vector=vector.astype(DTYPE).tobytes())
        for key, vector in zip(keys, vectors, strict=True)
    ]
    try:
        with transaction.atomic():
            TextEmbedding.objects.bulk_create(rows, ignore_conflicts=True)
    except IntegrityError:  # another worker stored some of them first: harmless
        pass
    return {
        key: vector.astype(DTYPE).astype(np.float32)
        for key, vector in zip(keys, vectors, strict=True)
    }


def vectors_for(
    texts: Sequence[str], *, backend: Backend | None = None, on_batch=None
) -> np.ndarray | None:
    """One vector per text, from the cache or computed now (and stored). None
    when the backend stores nothing (the lexical fallback)."""
    backend = backend or get_backend()
    if not backend.name:
        return None
    keys = [digest(t) for t in texts]
    found = stored(keys, model=backend.name)
    missing = [t for k, t in dict(zip(keys, texts, strict=True)).items() if k not in found]
    found.update(_store_in_batches(missing, backend, on_batch))
    if not texts:
        return np.zeros((0, backend.dim), np.float32)
    return np.vstack([found[k] for k in keys])


def embed_missing(texts: Iterable[str], *, backend: Backend | None = None) -> int:
    """Compute and store the vectors of the texts that have none yet; the
    number computed. What the note-saved task and `embed_notes` call."""
    backend = backend or get_backend()
    if not backend.name:
        return 0
    by_key = {digest(t): t for t in texts if t.strip()}
    known = _known(by_key, model=backend.name)
    missing = [t for k, t in by_key.items() if k not in known]
    _store_in_batches(missing, backend)
    return len(missing)


def _known(digests: Iterable[str], *, model: str) -> set[str]:
    """The digests that already have a vector: their keys only, not the vectors."""
    wanted, known = list(dict.fromkeys(digests)), set()
    for start in range(0, len(wanted), 1000):
        known.update(
            TextEmbedding.objects.filter(
                model=model, digest__in=wanted[start : start + 1000]
            ).values_list("digest", flat=True)
        )
    return known


def _store_in_batches(texts: list[str], backend: Backend, on_batch=None) -> dict[str, np.ndarray]:
    """Embed and store `texts` (distinct, none known yet), BATCH at a time."""
    found = {}
    for start in range(0, len(texts), BATCH):
        found.update(store(texts[start : start + BATCH], backend=backend))
        if on_batch:
            on_batch(min(start + BATCH, len(texts)), len(texts))
    return found


# --- Notes --------------------------------------------------------------------------


def embed_note_ids(note_ids: Iterable[int]) -> int:
    """Embed these notes' texts if new; the number of texts computed."""
    from atelier.models import Contribution

    rows = (
        Contribution.objects.alive()
        .filter(pk__in=list(note_ids))
        .values_list("question__title", "text")
    )
    return embed_missing([in_context(question, text) for question, text in rows])


# --- Notes saved on the boards --------------------------------------------------------
#
# Embedding is background work nobody waits for, and a live board must never
# wait for it: the encoders take ~80 ms of CPU a note, on the cores that serve
# the boards. So the task first looks at the CPU: while processes of normal
# priority (the web, PostgreSQL, Redis) use more than EMBED_BUSY_SHARE of it,
# it comes back BUSY_RETRY seconds later. A workshop of 8 groups leaves the CPU
# idle, so its notes are embedded within seconds; a burst of saves waits at
# most EMBED_MAX_WAIT, then its batch is embedded anyway (at the worker's
# lower priority); a worker on another host sees its own host idle and embeds
# at once.

# Notes taken from the waiting set by one task (embedded BATCH at a time).
# Small: a batch, once begun, runs to its end (~2.5 s of CPU for 32 notes), and
# the CPU is looked at again before the next one.
NOTES_PER_TASK = 32
BUSY_RETRY = 5  # seconds
# The CPU is sampled over this long, the task's own niced process asleep.
SAMPLE = 0.5  # seconds
PROC_STAT = Path("/proc/stat")


# A batch that failed (the database, the model) is tried again this much later,
# not at once: a lasting error must not spin the worker.
RETRY_AFTER_ERROR = 60  # seconds


def embed_pending() -> int:
    """The notes waiting since their save (synthesis/pending.py): one batch
    now, or later if the machine is busy; the number of texts computed."""
    from . import pending

    if not pending.waiting():
        pending.rearm()
        return 0
    # Each batch checks the CPU afresh, until the oldest waiting note has
    # waited EMBED_MAX_WAIT: from then on the batches follow one another
    # until none is left, at the worker's lower priority.
    if pending.oldest_wait() < settings.EMBED_MAX_WAIT and busy():
        pending.postpone(countdown=BUSY_RETRY)
        return 0
    ids = pending.take(NOTES_PER_TASK)
    try:
        done = embed_note_ids(ids)
    except Exception:
        pending.put_back(ids)
        pending.rearm(countdown=RETRY_AFTER_ERROR)
        raise
    pending.rearm()
    return done


def busy() -> bool:
    """Whether processes of normal priority use more than EMBED_BUSY_SHARE of
    the machine's CPU. Never without /proc/stat (macOS)."""
    try:
        before = PROC_STAT.read_text()
        time.sleep(SAMPLE)
        after = PROC_STAT.read_text()
    except OSError:
        return False
    return normal_share(before, after) > settings.EMBED_BUSY_SHARE


def normal_share(before: str, after: str) -> float:
    """The share of CPU time spent by processes of normal priority between two
    readings of /proc/stat (`cpu_ticks`)."""
    (normal_a, _, total_a), (normal_b, _, total_b) = cpu_ticks(before), cpu_ticks(after)
    total = total_b - total_a
    return (normal_b - normal_a) / total if total > 0 else 0.0


def cpu_ticks(stat: str) -> tuple[int, int, int]:
    """(normal priority, niced, all) clock ticks the machine has spent, from
    the text of /proc/stat: normal is user, system, irq and softirq; niced
    processes (the drafting worker, at nice 10) have their own column, and
    so do idle and iowait; guest and guest_nice are already counted in user
    and nice, so they are left out of the total. The capacity bench reads
    the same columns (bench/capacity.py)."""
    line = next(line for line in stat.splitlines() if line.startswith("cpu "))
    values = [int(value) for value in line.split()[1:9]]
    values += [0] * (8 - len(values))  # old kernels lack steal
    user, nice, system, _idle, _iowait, irq, softirq, _steal = values
    return user + system + irq + softirq, nice, sum(values)


def backfill(notes, *, backend: Backend | None = None, chunk: int = 1000, on_chunk=None):
    """Embed the notes (a Contribution queryset) whose text has no vector yet,
    `chunk` notes at a time; (notes embedded now, notes already up to date),
    or None when the backend stores nothing. `embed_notes` calls it."""
    backend = backend or get_backend()
    if not backend.name:
        return None
    computed = current = 0
    rows = notes.order_by("pk").values_list("pk", "question__title", "text")
    last = 0
    while found := list(rows.filter(pk__gt=last)[:chunk]):
        last = found[-1][0]
        batch = [(pk, in_context(question, text)) for pk, question, text in found]
        keys = [digest(text) for _, text in batch]
        known = _known(keys, model=backend.name)
        todo = [
            text
            for (_, text), key in zip(batch, keys, strict=True)
            if key not in known and text.strip()
        ]
        _store_in_batches(list(dict.fromkeys(todo)), backend)
        computed, current = computed + len(todo), current + len(batch) - len(todo)
        if on_chunk:
            on_chunk(computed, current)
    return computed, current

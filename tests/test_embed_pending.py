"""Notes saved on the boards are embedded in batches, when the machine is not
busy (synthesis/pending.py, embeddings.embed_pending): a save adds its note to
a Redis set, the first of a batch schedules one task, and the task yields to
the boards until EMBED_MAX_WAIT.

On a private redis-server (tests/redis_server.py), which is also the broker:
the queued tasks are read back from it.
"""

import json
import logging
import time
import uuid
from datetime import UTC, datetime
from unittest.mock import patch

import pytest
import redis
from django.urls import reverse

from atelier.models import Contribution, Kind
from synthesis import embeddings, pending, tasks
from synthesis.similarity import in_context

from . import test_embeddings

pytestmark = pytest.mark.django_db

backend = test_embeddings.backend  # the fixture: the encoders, counted

HTMX = {"HX-Request": "true"}
TASK = "synthesis.embed_pending"


@pytest.fixture
def queue(on_redis, settings, monkeypatch):
    """The private Redis as both the broker and the pending set's store."""
    settings.REDIS_URL = on_redis.url
    settings.DRAFTING_BACKEND = "semantic"
    monkeypatch.setattr(pending, "_down_until", 0.0)  # another test's outage
    return on_redis


@pytest.fixture
def idle(monkeypatch):
    monkeypatch.setattr(embeddings, "busy", lambda: False)


@pytest.fixture
def save(world, as_user, django_capture_on_commit_callbacks):
    """Save a new note on group A1's board, as its animator does; the stored note."""
    client = as_user(world.users.animator)
    group = world.a.groups[0]

    def saved(text):
        data = {
            "client_uuid": str(uuid.uuid4()),
            "question": world.a.question.pk,
            "kind": Kind.OBSTACLE,
            "text": text,
        }
        with django_capture_on_commit_callbacks(execute=True):
            url = reverse("note_create", args=[group.pk])
            response = client.post(url, data, headers=HTMX)
        assert response.status_code == 201
        return Contribution.objects.get(text=text)

    return saved


def messages(server) -> list[dict]:
    """The raw messages waiting in the broker's queues."""
    client = redis.Redis(port=server.port)
    return [
        json.loads(raw)
        for key in client.scan_iter()
        if client.type(key) == b"list"
        for raw in client.lrange(key, 0, -1)
    ]


def delay_of(message) -> float | None:
    """Seconds between now and the message's ETA; None when it runs at once."""
    eta = message["headers"].get("eta")
    if eta is None:
        return None
    return (datetime.fromisoformat(eta) - datetime.now(UTC)).total_seconds()


def drain(server) -> list[tuple[str, list]]:
    """The queued tasks, as a worker would take them off the queues."""
    found = server.queued()
    client = redis.Redis(port=server.port)
    for key in client.scan_iter():
        if client.type(key) == b"list":
            client.delete(key)
    return found


def read(note):
    return in_context(note.question.title, note.text)


# --- The save ------------------------------------------------------------------------


def test_saves_in_a_row_queue_their_notes_and_schedule_one_task(save, queue):
    notes = [save(f"Note rapide {i}") for i in range(5)]
    assert sorted(pending.take(100)) == sorted(n.pk for n in notes)
    assert queue.queued() == [(TASK, [])]  # one task for the five saves, no embed_notes
    (message,) = messages(queue)
    assert 0 < delay_of(message) <= pending.BATCH_DELAY  # the next seconds' notes join it


@pytest.fixture
def buffered(monkeypatch):
    """Saves as in a web worker (gunicorn.conf.py): their notes wait in the
    worker's buffer for its thread."""
    monkeypatch.setattr(pending, "FLUSH_SECONDS", 0.2)
    thread = pending.buffer_saves()
    yield thread
    pending.stop_buffering()
    thread.join(timeout=5)


def _waiting_for(count, seconds=5):
    deadline = time.monotonic() + seconds
    while pending.waiting() < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return pending.waiting()


def test_in_a_web_worker_the_saves_of_a_moment_share_one_round_trip(save, queue, monkeypatch):
    """The saves leave their notes in the buffer; one flush adds them all, in
    one call, and schedules one task for them."""
    monkeypatch.setattr(pending, "FLUSH_SECONDS", 60)  # the flush below comes first
    thread = pending.buffer_saves()
    try:
        notes = [save(f"Note du tampon {i}") for i in range(3)]
        assert pending.waiting() == 0 and queue.queued() == []
        with patch.object(pending, "add", wraps=pending.add) as add:
            pending.flush()
        assert add.call_count == 1 and sorted(pending.take(100)) == sorted(n.pk for n in notes)
        assert queue.queued() == [(TASK, [])]
    finally:
        pending.stop_buffering()
        thread.join(timeout=5)


def test_the_workers_thread_sends_the_buffer_on_its_own(save, queue, buffered):
    note = save("Envoyée par le fil du worker")
    assert _waiting_for(1) == 1 and pending.take(10) == [note.pk]


def test_a_web_worker_leaving_sends_what_its_buffer_holds(save, queue, monkeypatch):
    monkeypatch.setattr(pending, "FLUSH_SECONDS", 60)  # the thread would not come in time
    thread = pending.buffer_saves()
    note = save("Sauvée juste avant l'arrêt")
    assert pending.waiting() == 0  # still in the buffer
    pending.stop_buffering()  # gunicorn's worker_exit
    thread.join(timeout=5)
    assert not thread.is_alive() and pending.take(10) == [note.pk]
    assert save("Après l'arrêt") and pending.waiting() == 1  # at once again


def test_the_buffers_thread_outlives_a_failure(save, queue, buffered, caplog):
    with patch.object(pending, "add", side_effect=RuntimeError("inattendu")):
        save("Perdue pour les vecteurs, pas pour le tableau")
        time.sleep(0.6)
    assert "Could not queue notes for embedding" in caplog.text
    note = save("La suivante")
    assert _waiting_for(1) == 1
    assert buffered.is_alive() and pending.take(10) == [note.pk]


def test_the_task_embeds_every_waiting_note_in_one_batch(save, queue, backend, idle):
    notes = [save(f"Note à vectoriser {i}") for i in range(5)]
    drain(queue)
    assert tasks.embed_pending() == 5
    assert len(backend.batches) == 1 and sorted(backend.batches[0]) == sorted(map(read, notes))
    assert pending.waiting() == 0 and queue.queued() == []  # nothing left, nothing scheduled
    # The next save starts a new batch.
    later = save("Une note après le lot")
    assert queue.queued() == [(TASK, [])] and pending.take(10) == [later.pk]


def test_what_one_task_cannot_take_is_scheduled_at_once(world, queue, backend, idle, monkeypatch):
    monkeypatch.setattr(embeddings, "NOTES_PER_TASK", 2)
    notes = [*world.a.notes, *world.b.notes]
    assert pending.add([n.pk for n in notes])
    drain(queue)
    assert tasks.embed_pending() == 2
    assert pending.waiting() == 1
    (message,) = messages(queue)
    assert message["headers"]["task"] == TASK and delay_of(message) is None
    drain(queue)
    assert tasks.embed_pending() == 1
    assert sorted(backend.embedded) == sorted(map(read, notes)) and queue.queued() == []


def test_a_busy_machine_postpones_the_batch_until_its_oldest_note_waited_max_wait(
    world, queue, backend, monkeypatch, settings
):
    settings.EMBED_MAX_WAIT = 300
    samples = []
    monkeypatch.setattr(embeddings, "busy", lambda: samples.append(1) or True)
    pending.add([n.pk for n in world.a.notes])
    drain(queue)
    for _ in range(3):
        assert tasks.embed_pending() == 0
        assert backend.batches == [] and pending.waiting() >= 2
        assert pending.add([world.b.notes[0].pk])  # a save meanwhile schedules nothing more
        assert drain(queue) == [(TASK, [])]  # only the postponed task
    assert len(samples) == 3
    # Five minutes later for the oldest note (saves since do not reset it):
    # embedded, busy or not, without looking, and the batches follow.
    since = float(pending.client().get(pending.SINCE))
    pending.client().set(pending.SINCE, since - 300)
    assert tasks.embed_pending() == 3
    assert len(samples) == 3 and pending.waiting() == 0 and queue.queued() == []
    assert pending.client().get(pending.SINCE) is None  # the next note starts a new wait


def test_a_failed_batch_waits_again_and_is_retried_a_minute_later(world, queue, idle, monkeypatch):
    def broken(ids):
        raise RuntimeError("the model did not load")

    monkeypatch.setattr(embeddings, "embed_note_ids", broken)
    ids = sorted(n.pk for n in world.a.notes)
    pending.add(ids)
    drain(queue)
    with pytest.raises(RuntimeError):
        tasks.embed_pending()
    assert sorted(pending.take(10)) == ids  # nothing lost
    (message,) = messages(queue)  # and the flag did not stay set without a task
    assert embeddings.RETRY_AFTER_ERROR - 2 < delay_of(message) <= embeddings.RETRY_AFTER_ERROR


def test_a_task_with_nothing_waiting_does_not_look_at_the_cpu(queue, monkeypatch):
    monkeypatch.setattr(embeddings, "busy", lambda: pytest.fail("sampled the CPU for nothing"))
    assert tasks.embed_pending() == 0 and queue.queued() == []


def test_a_postponed_task_comes_back_after_busy_retry(world, queue, monkeypatch):
    monkeypatch.setattr(embeddings, "busy", lambda: True)
    pending.add([world.a.notes[0].pk])
    drain(queue)
    assert tasks.embed_pending() == 0
    (message,) = messages(queue)
    assert embeddings.BUSY_RETRY - 1 < delay_of(message) <= embeddings.BUSY_RETRY


def test_redis_down_the_save_answers_and_the_note_is_stored(save, queue, caplog):
    queue.kill()
    with caplog.at_level(logging.WARNING, logger="synthesis.pending"):
        started = time.monotonic()
        note = save("Pendant la panne de Redis")
        assert time.monotonic() - started < 1.5
    assert Contribution.objects.filter(pk=note.pk).exists()
    assert "not queued for embedding: Redis did not answer" in caplog.text


def test_a_refused_task_lets_the_next_save_schedule_one(world, queue, monkeypatch, caplog):
    def refused(*args, **kwargs):
        raise OSError("the broker is gone")

    with monkeypatch.context() as patch, caplog.at_level(logging.WARNING, "synthesis.pending"):
        patch.setattr(tasks.embed_pending, "apply_async", refused)
        assert pending.add([world.a.notes[0].pk]) is False
    assert "the broker did not take the task" in caplog.text
    # The flag went with the refused task: this save schedules the batch of both notes.
    assert pending.add([world.a.notes[1].pk])
    assert queue.queued() == [(TASK, [])] and pending.waiting() == 2


# --- The race between a save and the end of a batch ----------------------------------


def test_a_note_saved_after_the_take_still_gets_a_task(world, queue):
    first, second = world.a.notes
    pending.add([first.pk])
    drain(queue)
    assert pending.take(256) == [first.pk]  # the task is embedding it…
    assert pending.add([second.pk])  # …when a save finds the flag still set
    assert queue.queued() == []
    assert pending.rearm()
    assert queue.queued() == [(TASK, [])] and pending.take(256) == [second.pk]


def test_a_note_saved_while_the_task_rearms_gets_exactly_one_task(world, queue, monkeypatch):
    first, second = world.a.notes
    pending.add([first.pk])
    drain(queue)
    pending.take(256)
    real = pending.client()

    class SaveRightAfterTheDelete:
        def __getattr__(self, name):
            return getattr(real, name)

        def delete(self, *keys):
            deleted = real.delete(*keys)
            assert pending.add([second.pk])  # the save schedules the task itself
            return deleted

    monkeypatch.setattr(pending, "client", lambda: SaveRightAfterTheDelete())
    assert pending.rearm() is False  # its SET NX lost to the save's
    assert queue.queued() == [(TASK, [])] and pending.waiting() == 1


def test_an_empty_set_ends_the_chain(world, queue):
    pending.add([world.a.notes[0].pk])
    drain(queue)
    pending.take(256)
    assert pending.rearm() is False and queue.queued() == []
    assert pending.add([world.a.notes[1].pk]) and queue.queued() == [(TASK, [])]


# --- Busy: the CPU share of processes of normal priority -----------------------------

BEFORE = "cpu  100 50 100 700 20 10 10 0 0 0\ncpu0 50 25 50 350 10 5 5 0 0 0\nintr 1 2 3\n"
# user +100, nice +200, system +50, idle +300, iowait +10, irq +10, softirq +10;
# guest and guest_nice (+40, +40) are already inside user and nice.
AFTER = "cpu  200 250 150 1000 30 20 20 0 40 40\ncpu0 100 125 75 500 15 10 10 0 20 20\n"


def test_the_normal_share_leaves_out_niced_idle_and_guest_time():
    assert embeddings.normal_share(BEFORE, AFTER) == pytest.approx(170 / 680)
    assert embeddings.normal_share(BEFORE, BEFORE) == 0.0  # no tick between the readings


def test_busy_compares_the_share_with_the_setting(monkeypatch, settings):
    class Samples:
        def __init__(self, *texts):
            self.texts = list(texts)

        def read_text(self):
            return self.texts.pop(0)

    monkeypatch.setattr(embeddings, "SAMPLE", 0)
    settings.EMBED_BUSY_SHARE = 0.2
    monkeypatch.setattr(embeddings, "PROC_STAT", Samples(BEFORE, AFTER))
    assert embeddings.busy()
    settings.EMBED_BUSY_SHARE = 0.3
    monkeypatch.setattr(embeddings, "PROC_STAT", Samples(BEFORE, AFTER))
    assert not embeddings.busy()


def test_without_proc_stat_the_machine_is_never_busy(monkeypatch, tmp_path):
    monkeypatch.setattr(embeddings, "PROC_STAT", tmp_path / "absent")
    assert embeddings.busy() is False

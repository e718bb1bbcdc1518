"""Note vectors: computed once per text by a worker after the board's save,
never on the save itself, and backfilled by `manage.py embed_notes`."""

import hashlib
import logging
import uuid

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from atelier.celery import app
from atelier.models import Contribution, Kind
from synthesis import embeddings, pending, similarity, tasks
from synthesis.models import TextEmbedding
from synthesis.similarity import in_context

from . import factories as f
from .redis_server import free_port

HTMX = {"HX-Request": "true"}


class CountingBackend(similarity.Backend):
    """A stand-in for the sentence encoders: a vector drawn from the text's
    hash, and the list of every batch it was asked to embed."""

    name = "test/1"
    dim = 4
    parts = ((0, 4),)

    def __init__(self):
        self.batches = []

    def embed(self, texts):
        self.batches.append(list(texts))
        seeds = [int(hashlib.sha256(t.encode()).hexdigest()[:8], 16) for t in texts]
        return np.array([np.random.default_rng(s).random(4) for s in seeds], np.float32)

    @property
    def embedded(self):
        return [text for batch in self.batches for text in batch]


@pytest.fixture
def backend(monkeypatch):
    fake = CountingBackend()
    monkeypatch.setattr(embeddings, "get_backend", lambda: fake)
    return fake


@pytest.fixture
def with_broker():
    """Tasks go to a broker instead of running in-process (restored by conftest)."""
    app.conf.task_always_eager = False


@pytest.fixture
def sent(monkeypatch):
    """The note ids of every save queued for embedding (synthesis/pending.py;
    tests/test_embed_pending.py runs it on a real Redis)."""
    calls = []
    monkeypatch.setattr(pending, "add", lambda ids: calls.append(ids))
    return calls


@pytest.fixture
def board(world, as_user):
    client = as_user(world.users.animator)
    group = world.a.groups[0]

    def note(**overrides):
        return {
            "client_uuid": str(uuid.uuid4()),
            "question": world.a.question.pk,
            "kind": Kind.OBSTACLE,
            "text": "Le manque de temps des bénévoles",
            **overrides,
        }

    return client, f"/groupes/{group.pk}/notes/", note


def edit(client, note, **fields):
    data = {"text": note.text, "kind": note.kind, "version": note.version, **fields}
    return client.post(f"/notes/{note.pk}/modifier/", data, headers=HTMX)


def vectors_of(*texts):
    keys = [embeddings.digest(t) for t in texts]
    return TextEmbedding.objects.filter(digest__in=keys).count()


# --- After a save on the board ------------------------------------------------------


@pytest.mark.django_db
def test_a_new_note_is_queued_once_the_save_has_committed(
    board, with_broker, sent, django_capture_on_commit_callbacks
):
    client, url, note = board
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(url, note(), headers=HTMX)
        assert sent == []  # nothing leaves before the commit
    assert response.status_code == 201
    for callback in callbacks:
        callback()
    saved = Contribution.objects.get(text="Le manque de temps des bénévoles")
    assert sent == [[saved.pk]]


@pytest.mark.django_db
def test_a_retried_note_is_not_queued_twice(
    board, with_broker, sent, django_capture_on_commit_callbacks
):
    client, url, note = board
    data = note()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, data, headers=HTMX).status_code == 201
        assert client.post(url, data, headers=HTMX).status_code == 200  # the retry
    assert len(sent) == 1


@pytest.mark.django_db
def test_an_edited_text_is_queued_but_a_changed_kind_is_not(
    board, world, with_broker, sent, django_capture_on_commit_callbacks
):
    client, *_ = board
    note = world.a.notes[0]
    with django_capture_on_commit_callbacks(execute=True):
        assert edit(client, note, kind="lesson").status_code == 200
    assert sent == []
    note.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        assert edit(client, note, text="Un texte revu").status_code == 200
    assert sent == [[note.pk]]


@pytest.mark.django_db
def test_without_a_broker_the_board_does_not_run_the_model(
    board, backend, sent, django_capture_on_commit_callbacks
):
    # No REDIS_URL: tasks would run inside the request. The draft embeds later.
    client, url, note = board
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, note(), headers=HTMX).status_code == 201
    assert sent == [] and backend.batches == []


@pytest.mark.django_db
def test_with_the_lexical_backend_nothing_is_sent(
    board, with_broker, sent, settings, django_capture_on_commit_callbacks
):
    settings.DRAFTING_BACKEND = "lexical"
    client, url, note = board
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, note(), headers=HTMX).status_code == 201
    assert sent == []


@pytest.mark.django_db(transaction=True)
def test_redis_down_the_note_is_saved_and_the_board_answers(
    board, world, with_broker, settings, caplog
):
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"  # nobody listens there
    client, url, note = board
    with caplog.at_level(logging.WARNING, logger="synthesis.pending"):
        response = client.post(url, note(text="Malgré Redis en panne"), headers=HTMX)
        assert response.status_code == 201
        assert "Malgré Redis en panne" in response.content.decode()
        edited = edit(client, world.a.notes[0], text="Revu malgré la panne")
        assert edited.status_code == 200 and "Revu malgré la panne" in edited.content.decode()
    assert Contribution.objects.filter(text="Malgré Redis en panne").count() == 1
    assert Contribution.objects.get(pk=world.a.notes[0].pk).text == "Revu malgré la panne"
    assert "not queued for embedding: Redis did not answer" in caplog.text


def read(note):
    """What the model reads for a note: its text as the answer to its question."""
    return in_context(note.question.title, note.text)


# --- The task ------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_task_stores_one_vector_per_text_once(world, backend):
    note = world.a.notes[0]
    tasks.embed_notes.delay([note.pk])
    tasks.embed_notes.delay([note.pk])  # a duplicate message
    assert backend.embedded == [read(note)]
    stored = TextEmbedding.objects.get(digest=embeddings.digest(read(note)))
    assert stored.model == "test/1" and len(bytes(stored.vector)) == 4 * 2  # four float16


@pytest.mark.django_db
def test_two_notes_with_the_same_text_share_one_vector(world, backend):
    twin = f.ContributionFactory(
        group=world.a.groups[1], question=world.a.question, text=world.a.notes[0].text
    )
    tasks.embed_notes.delay([world.a.notes[0].pk, twin.pk])
    assert backend.embedded == [read(twin)] and vectors_of(read(twin)) == 1


@pytest.mark.django_db
def test_a_changed_text_gets_a_new_vector_and_the_old_one_stays(world, backend):
    note = world.a.notes[0]
    old = read(note)
    tasks.embed_notes.delay([note.pk])
    assert note.edit(version=note.version, text="Le confinement a coupé le lien")
    tasks.embed_notes.delay([note.pk])
    new = in_context(note.question.title, "Le confinement a coupé le lien")
    assert backend.embedded == [old, new]
    assert vectors_of(old, new) == 2


@pytest.mark.django_db
def test_a_deleted_note_is_not_embedded(world, backend):
    note = world.a.notes[0]
    note.soft_delete()
    tasks.embed_notes.delay([note.pk])
    assert backend.batches == [] and vectors_of(read(note)) == 0


# --- manage.py embed_notes -----------------------------------------------------------


def embed_notes(*args):
    from io import StringIO

    out = StringIO()
    call_command("embed_notes", *args, stdout=out)
    return out.getvalue().strip()


@pytest.mark.django_db
def test_the_backfill_embeds_what_is_missing_then_nothing(world, backend):
    f.ContributionFactory(group=world.b.groups[0], question=world.b.question, text="Texte B2")
    assert embed_notes() == "4 notes vectorisées, 0 déjà à jour."
    assert TextEmbedding.objects.filter(model="test/1").count() == 4
    assert embed_notes() == "Aucune nouvelle note à vectoriser, 4 déjà à jour."
    assert len(backend.embedded) == 4  # the second run computed nothing


@pytest.mark.django_db
def test_the_backfill_counts_notes_already_embedded_by_the_worker(world, backend):
    tasks.embed_notes.delay([world.a.notes[0].pk])
    assert embed_notes() == "2 notes vectorisées, 1 déjà à jour."


@pytest.mark.django_db
def test_the_backfill_of_one_workshop_leaves_the_others(world, backend):
    assert embed_notes("--workshop", "atelier-a") == "2 notes vectorisées, 0 déjà à jour."
    assert set(backend.embedded) == {read(n) for n in world.a.notes}


@pytest.mark.django_db
def test_the_backfill_skips_deleted_notes_and_works_in_chunks(world, backend):
    world.a.notes[0].soft_delete()
    for i in range(5):
        f.ContributionFactory(group=world.b.groups[0], question=world.b.question, text=f"B {i}")
    assert embeddings.backfill(Contribution.objects.alive(), chunk=2) == (7, 0)
    assert read(world.a.notes[0]) not in backend.embedded
    assert len(backend.batches) == 4  # 7 notes, 2 at a time


@pytest.mark.django_db
def test_the_backfill_prints_large_counts_the_french_way(world, monkeypatch):
    monkeypatch.setattr(embeddings, "backfill", lambda notes, on_chunk=None: (412, 3020))
    assert embed_notes() == "412 notes vectorisées, 3\xa0020 déjà à jour."


@pytest.mark.django_db
def test_the_backfill_names_an_unknown_workshop(world, backend):
    with pytest.raises(CommandError, match="Aucun atelier n'a l'identifiant « inconnu »."):
        embed_notes("--workshop", "inconnu")


@pytest.fixture
def lexical(settings):
    settings.DRAFTING_BACKEND = "lexical"
    similarity.get_backend.cache_clear()
    yield
    similarity.get_backend.cache_clear()


@pytest.mark.django_db
def test_with_the_lexical_backend_there_is_nothing_to_compute(world, lexical):
    assert embed_notes() == (
        "Rien à calculer : le brouillon utilise la similarité lexicale "
        "(DRAFTING_BACKEND=lexical), qui ne stocke pas de vecteurs."
    )
    assert not TextEmbedding.objects.exists()

"""F13: Redis unreachable. Login, logout, boards, note saves and polling go on
with the database alone; an export request answers at once and stays queued
until the sweep hands it to Redis again.

A private redis-server on a free port, started and killed by the test: the
shared one of the machine (or of another test) is never touched.
"""

import time
import uuid

import pytest
import redis
from django.test import Client

from atelier.models import Contribution, Kind
from synthesis import jobs
from synthesis.models import Export, ExportStatus

from . import factories as f

# Committed for real: the export is enqueued on commit, as in production.
pytestmark = pytest.mark.django_db(transaction=True)

HTMX = {"HX-Request": "true"}


def note(world, text):
    return {
        "client_uuid": str(uuid.uuid4()),
        "question": world.a.question.pk,
        "kind": Kind.OBSTACLE,
        "text": text,
        "outbox_user": str(world.users.coordinator.pk),
    }


def log_in(client, username, password=f.PASSWORD):
    return client.post("/connexion/", {"username": username, "password": password})


def use_the_site(client, world, text):
    """What a coordinator does during a workshop; each answer as the user sees it."""
    group = world.a.groups[0]
    board = client.get(f"/groupes/{group.pk}/")
    assert board.status_code == 200 and "Note secrète A1" in board.content.decode()
    saved = client.post(f"/groupes/{group.pk}/notes/", note(world, text), headers=HTMX)
    assert saved.status_code == 201 and text in saved.content.decode()
    assert Contribution.objects.filter(group=group, text=text).count() == 1
    since = "2000-01-01T00:00:00+00:00"
    poll = client.get(f"/groupes/{group.pk}/changements/", {"since": since})
    assert poll.status_code == 200 and text in poll.content.decode()
    assert client.get("/").status_code == 200


def request_export(client, world, fmt):
    synthesis = world.a.synthesis
    started = time.monotonic()
    response = client.post(
        f"/syntheses/{synthesis.pk}/exports/demander/", {"format": fmt}, headers=HTMX
    )
    elapsed = time.monotonic() - started
    assert response.status_code == 200
    assert Export.objects.get(synthesis=synthesis, format=fmt).status == ExportStatus.PENDING
    return elapsed


def test_pages_and_saves_go_on_without_redis_and_exports_wait_for_it(world, on_redis):
    client = Client()
    assert log_in(client, "coord").status_code == 302
    use_the_site(client, world, "Avec Redis")
    request_export(client, world, "pdf")
    pdf = Export.objects.get(synthesis=world.a.synthesis, format="pdf")
    exports = [task for task in on_redis.queued() if task[0] == "synthesis.run_export"]
    assert exports == [("synthesis.run_export", [pdf.pk])]  # handed over at once

    on_redis.kill()

    # The same session goes on: sessions are in the database, never in Redis.
    use_the_site(client, world, "Pendant la panne")
    # The broker refuses at once: the page answers "en file d'attente" (F5, F13).
    assert request_export(client, world, "docx") < 1.5
    assert client.post("/deconnexion/").status_code == 302
    assert client.get(f"/groupes/{world.a.groups[0].pk}/").status_code == 302  # logged out
    assert log_in(client, "coord").status_code == 302
    use_the_site(client, world, "Après une nouvelle connexion")

    on_redis.start()  # empty: the docx request never reached it
    assert jobs.sweep() == 2  # both pending: nobody ran the pdf either
    docx = Export.objects.get(synthesis=world.a.synthesis, format="docx")
    assert ("synthesis.run_export", [docx.pk]) in on_redis.queued()


def test_login_is_still_throttled_without_redis(world, on_redis, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    on_redis.kill()
    client = Client()
    for _ in range(3):
        assert "Saisissez un nom d’utilisateur" in log_in(client, "coord", "faux").content.decode()
    refused = log_in(client, "coord")  # the right password, too late
    assert "Trop de tentatives de connexion" in refused.content.decode()
    assert "_auth_user_id" not in client.session
    # Another account from the same address is not held back.
    assert log_in(Client(), "anim").status_code == 302


def test_the_cache_falls_back_to_memory_and_returns_to_redis(on_redis, settings):
    from django.core.cache import cache

    settings.CACHES["default"]["OPTIONS"]["RETRY_AFTER"] = 0.2
    settings.CACHES = {**settings.CACHES}  # a new cache object with that option
    cache.set("reponse", "dans Redis")
    on_redis.kill()
    assert cache.get("reponse") is None  # Redis's copy is out of reach, no error
    cache.set("reponse", "en mémoire")
    assert cache.get("reponse") == "en mémoire"

    on_redis.start()  # empty
    time.sleep(0.3)
    assert cache.get("reponse") is None  # Redis answers again
    cache.set("reponse", "de retour")
    assert redis.Redis(port=on_redis.port).exists("atelier:1:reponse")

"""An animator's new note stored before the session and auth middlewares
(atelier/board_save.py): one statement when all is well, and the view's
own answer — a refusal, a login page, the stored row — whenever anything is
not. tests/test_board.py runs every save test with and without the token."""

import re
import uuid
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.db import OperationalError, connection, connections
from django.test import Client
from django.utils import timezone

from atelier import board_poll
from atelier.models import Contribution, Kind
from atelier.signals import notes_written

from . import factories as f

pytestmark = pytest.mark.django_db

OUTBOX = {"HX-Request": "true", "X-Outbox": "1"}


def open_board(client, group):
    page = client.get(f"/groupes/{group.pk}/").content.decode()
    return re.search(r'data-poll-token="([^"]+)"', page)[1]


@pytest.fixture
def save(world):
    """The animator's browser on group A1, with the token its board gave it,
    and CSRF checked as in production."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users.animator)
    group = world.a.groups[0]
    token = open_board(client, group)

    def post(
        text="Le manque de temps", *, on=client, group_id=group.pk, csrf=True, host=None, **fields
    ):
        data = {**fields_of(world, token, world.users.animator, text), **fields}
        # board.js sends Django's CSRF token too, which the view checks; the
        # quick path does not need it (csrf=False shows which path answered).
        headers = {**OUTBOX, "X-CSRFToken": on.cookies["csrftoken"].value} if csrf else {**OUTBOX}
        if host:
            headers["Host"] = host
        return on.post(f"/groupes/{group_id}/notes/", data, headers=headers), data

    return post, client, group, token


def fields_of(world, token, author, text):
    """A note as board.js's outbox posts it, with its board's token."""
    return {
        "client_uuid": str(uuid.uuid4()),
        "question": world.a.question.pk,
        "kind": Kind.OBSTACLE,
        "text": text,
        "outbox_user": str(author.pk),
        "jeton": token,
    }


def stored(text):
    return list(Contribution.objects.filter(text=text).values_list("group_id", "author_id"))


def test_a_new_note_is_stored_from_one_statement_and_shown_as_the_view_shows_it(
    save, world, django_assert_max_num_queries
):
    post, client, group, _ = save
    with django_assert_max_num_queries(1):
        response, data = post("Le **manque** de temps", csrf=False)
    assert response.status_code == 201
    note = Contribution.objects.get(client_uuid=data["client_uuid"])
    assert (note.group, note.author, note.question) == (
        group,
        world.users.animator,
        world.a.question,
    )
    shown = client.get(f"/notes/{note.pk}/", headers={"HX-Request": "true"})
    assert response.content.decode() == shown.content.decode()
    assert response["X-Frame-Options"] == "DENY" and response["Content-Language"] == "fr"
    assert "Le <strong>manque</strong> de temps" in response.content.decode()


def test_a_retry_gets_the_stored_row_from_the_view_and_nothing_twice(save):
    post, *_ = save
    first, data = post("Une seule fois")
    again, _ = post(**data)
    assert (first.status_code, again.status_code) == (201, 200)
    assert len(stored("Une seule fois")) == 1


def test_a_quote_keeps_its_speaker(save):
    post, *_ = save
    speaker = f.ActorTypeFactory(name="Habitant·e")
    response, _ = post("« On nous écoute enfin »", kind=Kind.QUOTE, speaker_actor_type=speaker.pk)
    assert response.status_code == 201
    assert "Habitant·e" in response.content.decode()
    assert Contribution.objects.get(text="« On nous écoute enfin »").speaker_actor_type == speaker


def test_a_saved_note_is_announced_once_for_its_vectors(save):
    post, *_ = save
    heard = []

    def receiver(sender, note_ids, **kwargs):
        heard.append(list(note_ids))

    notes_written.connect(receiver)
    try:
        response, data = post("À vectoriser")
    finally:
        notes_written.disconnect(receiver)
    assert heard == [[Contribution.objects.get(client_uuid=data["client_uuid"]).pk]]


def test_the_note_speaks_the_language_of_the_page(save):
    post, client, *_ = save
    client.cookies["django_language"] = "en"
    response, _ = post("In English")
    assert response.status_code == 201
    assert ">Edit<" in response.content.decode() and "Modifier" not in response.content.decode()


# --- everything else reaches the view, which answers as it always has ---------


def test_a_session_ended_elsewhere_stores_nothing(save, world):
    post, client, *_ = save
    Session.objects.all().delete()  # "log out of every device"
    response, _ = post("Après la déconnexion")
    assert response.status_code == 302 and "/connexion/" in response["Location"]
    assert stored("Après la déconnexion") == []


def test_an_expired_session_stores_nothing(save):
    post, *_ = save
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    response, _ = post("Session expirée")
    assert response.status_code == 302
    assert stored("Session expirée") == []


def test_a_password_changed_since_the_token_stores_nothing(save, world):
    post, *_ = save
    world.users.animator.set_password("un-autre-mot-de-passe")
    world.users.animator.save()
    response, _ = post("Avec l'ancien mot de passe")
    assert response.status_code == 302
    assert stored("Avec l'ancien mot de passe") == []


def test_a_deactivated_animator_stores_nothing(save, world):
    post, *_ = save
    world.users.animator.is_active = False
    world.users.animator.save()
    response, _ = post("Compte désactivé")
    assert response.status_code == 302
    assert stored("Compte désactivé") == []


def test_an_animator_taken_off_the_group_gets_the_views_french_refusal(save, world):
    post, _, group, _ = save
    group.animators.remove(world.users.animator)
    world.a.groups[1].animators.add(world.users.animator)
    response, _ = post("Plus animateur")
    assert response.status_code == 403
    assert "n'animez plus ce groupe" in response.json()["errors"]["text"][0]
    assert stored("Plus animateur") == []


@pytest.mark.parametrize("question", ["", "abc", "9" * 30, "-1"], ids=str)
def test_a_garbled_question_gets_the_views_french_refusal(save, question):
    post, *_ = save
    response, _ = post("Consigne illisible", question=question)
    assert response.status_code == 400
    assert response.json()["errors"]["question"]
    assert stored("Consigne illisible") == []


def test_a_question_of_another_workshop_gets_the_views_french_refusal(save, world):
    post, *_ = save
    response, _ = post("Mauvaise consigne", question=world.b.question.pk)
    assert response.status_code == 400
    assert "n'appartient pas à ce temps" in response.json()["errors"]["question"][0]
    assert stored("Mauvaise consigne") == []


def test_another_origin_meets_the_views_csrf_check(save, world):
    post, client, group, token = save
    response = client.post(
        f"/groupes/{group.pk}/notes/",
        fields_of(world, token, world.users.animator, "Depuis un autre site"),
        headers={**OUTBOX, "Origin": "https://ailleurs.example"},
    )
    assert response.status_code == 403
    assert stored("Depuis un autre site") == []


def test_a_token_in_another_persons_session_is_no_use(save, world):
    post, client, group, token = save
    thief = Client(enforce_csrf_checks=True)
    thief.force_login(world.users.other_animator)  # animates group A2
    open_board(thief, world.a.groups[1])
    response, _ = post("Jeton emprunté", on=thief)
    assert response.status_code == 409 and response.json()["code"] == "other_user"
    assert stored("Jeton emprunté") == []


# Without the CSRF header, only the quick path can store a note: the view's
# CSRF check refuses what the quick path did not take.


def test_a_token_for_one_group_is_no_use_on_another(save, world):
    post, *_ = save
    response, _ = post("Sur le groupe voisin", group_id=world.a.groups[1].pk, csrf=False)
    assert response.status_code == 403
    assert stored("Sur le groupe voisin") == []


@pytest.mark.parametrize("jeton", ["", "pas-un-jeton", "W10:abc:def"], ids=str)
def test_without_a_good_token_the_view_decides(save, jeton):
    post, *_ = save
    assert post("Sans bon jeton", jeton=jeton, csrf=False)[0].status_code == 403
    assert stored("Sans bon jeton") == []
    assert post("Sans bon jeton", jeton=jeton)[0].status_code == 201  # the view stored it


def test_a_token_older_than_ten_minutes_is_no_use(save, monkeypatch):
    post, *_ = save
    monkeypatch.setattr(board_poll, "TOKEN_SECONDS", -1)
    assert post("Jeton périmé", csrf=False)[0].status_code == 403
    assert stored("Jeton périmé") == []


def test_a_token_from_before_the_password_field_is_no_use(save, world):
    post, client, group, _ = save
    old = board_poll.signing.dumps(
        [world.users.animator.pk, group.pk, board_poll._digest(client.cookies["sessionid"].value)],
        salt=board_poll.SALT,
        compress=False,
    )
    assert post("Ancien jeton", jeton=old, csrf=False)[0].status_code == 403
    assert stored("Ancien jeton") == []


def test_a_coordinator_goes_through_the_view_and_writes(world):
    client = Client()
    client.force_login(world.users.coordinator)
    group = world.a.groups[0]
    token = open_board(client, group)
    response = client.post(
        f"/groupes/{group.pk}/notes/",
        fields_of(world, token, world.users.coordinator, "Note de la coordination"),
        headers=OUTBOX,
    )
    assert response.status_code == 201
    assert stored("Note de la coordination") == [(group.pk, world.users.coordinator.pk)]


@pytest.mark.parametrize(
    "path", ["/groupes/{pk}/notes/%0A", "/groupes/{pk}/notes/x", "/groupes/１/notes/"], ids=repr
)
def test_only_the_views_own_urls_are_taken(save, world, path):
    post, client, group, token = save
    data = fields_of(world, token, world.users.animator, "Adresse bricolée")
    response = client.post(path.format(pk=group.pk), data, headers=OUTBOX)
    assert response.status_code in (403, 404)  # the view's route (or CSRF) refuses it
    assert stored("Adresse bricolée") == []


def test_a_host_not_allowed_meets_the_views_answer(save):
    post, client, *_ = save
    response, _ = post("Hôte inconnu", csrf=False, host="ailleurs.example")
    assert response.status_code == 400
    assert stored("Hôte inconnu") == []


def _refused_once(execute, sql, params, many, context):
    """The database fails the first statement, as a connection broken by a
    restart does."""
    if not getattr(_refused_once, "done", False):
        _refused_once.done = True
        raise OperationalError("server closed the connection unexpectedly")
    return execute(sql, params, many, context)


@pytest.mark.django_db(transaction=True)
def test_a_database_error_on_the_quick_statement_hands_the_note_to_the_view(save, caplog):
    """The quick path skips Django's per-request health check: when its one
    statement fails, the connection is closed and the view, on a new one,
    stores the note once and says so. The hand-over is logged."""
    post, *_ = save
    _refused_once.done = False
    with connection.execute_wrapper(_refused_once):
        response, data = post("Après la coupure")
    assert _refused_once.done
    assert response.status_code == 201
    assert Contribution.objects.filter(client_uuid=data["client_uuid"]).count() == 1
    assert "Quick path handed to the view" in caplog.text


def test_an_overlong_value_is_never_cut(world):
    """The insert casts its values on PostgreSQL; a cast to varchar(n) would
    cut a longer value, which the column refuses instead. SQLite does not
    check a varchar's length: there the value is stored whole (the forms
    check lengths before any insert)."""
    from django.db import DataError, transaction

    note = Contribution(
        group=world.a.groups[0],
        question=world.a.question,
        kind="x" * 40,
        text="Trop long",
        client_uuid=uuid.uuid4(),
    )
    try:
        with transaction.atomic():
            stored = note.insert_once()
    except DataError:
        stored = False
    assert connection.vendor != "postgresql" or not stored
    kinds = Contribution.objects.filter(client_uuid=note.client_uuid).values_list("kind", flat=True)
    assert list(kinds) == (["x" * 40] if stored else [])


def _cut(connection):
    """The web process's connection broken under Django: on PostgreSQL the
    server ends its backend (a restart, a failover); SQLite has no server,
    and its file's handle is closed instead."""
    if connection.vendor != "postgresql":
        connection.connection.close()
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        other.close()


@pytest.mark.django_db(transaction=True)
def test_a_connection_cut_between_two_saves_loses_and_doubles_nothing(save, world, caplog):
    """The next save is stored once, through the view on a fresh connection."""
    post, *_ = save
    assert post("Avant la coupure", csrf=False)[0].status_code == 201
    _cut(connection)
    response, data = post("Après la coupure")  # with the CSRF token, as board.js
    assert "Quick path handed to the view" in caplog.text
    assert response.status_code == 201
    assert stored("Après la coupure") == [(world.a.groups[0].pk, world.users.animator.pk)]

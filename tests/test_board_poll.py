"""A quiet board's poll answered 204 before the session and rights checks
(atelier/board_poll.py), and everything else still going through the view."""

import re
import uuid
from datetime import datetime

import pytest
from django.db import OperationalError, connection
from django.utils import timezone

from atelier import board_poll
from atelier.models import Contribution, Kind

from . import factories as f

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def poll(world, as_user):
    """The animator's board on group A1: its token, and a poll from a moment."""
    client = as_user(world.users.animator)
    group = world.a.groups[0]
    page = client.get(f"/groupes/{group.pk}/").content.decode()
    token = re.search(r'data-poll-token="([^"]+)"', page)[1]

    def ask(since, *, jeton=token, on=client, group_id=group.pk):
        params = {"since": since.isoformat() if hasattr(since, "isoformat") else since}
        if jeton is not None:
            params["jeton"] = jeton
        return on.get(f"/groupes/{group_id}/changements/", params, headers=HTMX)

    return ask, client, group, token


def test_a_quiet_board_is_answered_204_from_one_query(poll, django_assert_max_num_queries):
    ask, *_ = poll
    with django_assert_max_num_queries(1):
        response = ask(timezone.now())
    assert response.status_code == 204 and response.content == b""
    # The same URL comes back while the board is quiet: no cache may answer it.
    assert response["Cache-Control"] == "no-store"
    full = ask(timezone.now(), jeton=None)
    assert "no-store" in full["Cache-Control"]


def test_a_note_saved_by_another_animator_reaches_the_quiet_board(poll, world):
    ask, client, group, token = poll
    since = timezone.now()
    assert ask(since).status_code == 204
    group.add_note(
        client_uuid=uuid.uuid4(),
        question=world.a.question,
        kind=Kind.OBSTACLE,
        text="Une note de la collègue",
    )
    response = ask(since)
    assert response.status_code == 200
    assert "Une note de la collègue" in response.content.decode()
    assert response["X-Board-Token"] and response["X-Board-Cursor"]


def _edit(note, theme):
    note.edit(version=note.version, text="Texte corrigé")


def _tag(note, theme):
    Contribution.objects.filter(pk=note.pk).tag(theme)


def _untag(note, theme):
    Contribution.objects.filter(pk=note.pk).tag(theme)
    note.themes.remove(theme)
    note.touch()


def _merge(note, theme):
    """The note had both themes: merging loses a name it showed."""
    other = f.ThemeFactory(name="Thème fusionné")
    note.themes.add(theme, other)
    theme.absorb([other])


@pytest.mark.parametrize(
    "change",
    [
        _edit,
        lambda note, theme: note.soft_delete(),
        lambda note, theme: (note.soft_delete(), note.restore()),
        lambda note, theme: note.move(1),
        _tag,
        _untag,
        _merge,
    ],
    ids=["edit", "delete", "restore", "move", "tag", "untag", "merge"],
)
def test_every_change_a_board_shows_ends_the_quiet_answer(poll, world, change):
    """The fast answer relies on every write a board shows moving the note's
    updated_at, as the view's own query does: each one is checked here."""
    ask, client, group, token = poll
    note = world.a.notes[0]
    f.ContributionFactory(group=group, question=note.question)  # a neighbour to move past
    since = timezone.now()
    assert ask(since).status_code == 204
    change(note, world.theme)
    response = ask(since)
    assert response.status_code == 200
    assert f'id="note-{note.pk}"' in response.content.decode()
    # Answered before the view for the group's animator, as the view answers.
    assert response.content.strip() == ask(since, jeton=None).content.strip()


def _shown(html, pk):
    return re.search(rf'<li id="note-{pk}".*?</li>\n', html, re.S)[0]


def test_changed_notes_read_in_the_poll_as_on_the_board_page(poll, world):
    """The poll's notes come from SQL written out (`changes_since`): a quote
    with its speaker, a note with two themes, a moved note, in board order,
    each exactly as the board page shows it."""
    ask, client, group, token = poll
    since = timezone.now()
    speaker = f.ActorTypeFactory(name="Habitant·e")
    quote = f.ContributionFactory(
        group=group, question=world.a.question, kind=Kind.QUOTE, speaker_actor_type=speaker
    )
    tagged = f.ContributionFactory(group=group, question=world.a.question)
    tagged.themes.add(world.theme, f.ThemeFactory(name="Accès aux droits"))
    tagged.touch()
    quote.move(1)  # below `tagged`: a position, set on both
    html = ask(since).content.decode()
    page = client.get(f"/groupes/{group.pk}/").content.decode()
    for note in (quote, tagged):
        assert _shown(html, note.pk) == _shown(page, note.pk)
    assert "Habitant·e" in _shown(html, quote.pk)
    assert "Accès aux droits" in _shown(html, tagged.pk)
    order = [int(pk) for pk in re.findall(r'<li id="note-(\d+)"', html)]
    on_page = [pk for pk in map(int, re.findall(r'<li id="note-(\d+)"', page)) if pk in order]
    assert order == on_page and order.index(tagged.pk) < order.index(quote.pk)


def test_a_token_for_one_group_is_no_use_on_another(poll, world):
    ask, client, group, token = poll
    other = world.b.groups[0]  # the animator may not read it
    response = ask(timezone.now(), group_id=other.pk)
    assert response.status_code in (403, 404)


def test_a_token_is_no_use_with_another_session(poll, world):
    """Copied from a URL, it answers nothing to another browser: the view
    decides, and an outsider is refused."""
    ask, client, group, token = poll
    from django.test import Client

    outsider = Client()
    outsider.force_login(f.UserFactory())
    response = ask(timezone.now(), on=outsider)
    assert response.status_code in (403, 404)


def test_after_logout_the_poll_goes_to_the_login_page(poll):
    ask, client, group, token = poll
    client.post("/deconnexion/")
    response = ask(timezone.now())
    assert response.status_code == 302 and "connexion" in response.url


@pytest.mark.parametrize(
    "jeton", ["", "pas-un-jeton", "W10:abc:def", None], ids=["empty", "garbage", "forged", "none"]
)
def test_without_a_good_token_the_view_answers(poll, jeton):
    ask, *_ = poll
    response = ask(timezone.now(), jeton=jeton)
    assert response.status_code == 200 and response["X-Board-Token"]


def test_an_expired_token_is_renewed_by_a_full_answer(poll, monkeypatch):
    ask, client, group, token = poll
    monkeypatch.setattr(board_poll, "TOKEN_SECONDS", -1)
    response = ask(timezone.now())
    assert response.status_code == 200
    assert response["X-Board-Token"]


def test_a_token_checked_before_still_expires(poll, monkeypatch):
    """Its signature is checked once and kept (`_verified`); its age, at
    every use."""
    import time
    from types import SimpleNamespace

    ask, *_ = poll
    assert ask(timezone.now()).status_code == 204
    later = time.time() + board_poll.TOKEN_SECONDS + 1
    monkeypatch.setattr(board_poll, "time", SimpleNamespace(time=lambda: later))
    response = ask(timezone.now())
    assert response.status_code == 200 and response["X-Board-Token"]


@pytest.mark.parametrize(
    "since", ["", "pas une date", "2026-01-01T10:00:00", "0001-01-01T00:00+23:59"]
)
def test_a_malformed_since_is_left_to_the_view(poll, since):
    ask, *_ = poll
    assert ask(since).status_code == 200


def test_a_board_of_a_group_with_no_note_is_quiet(world, as_user):
    group = f.WorkingGroupFactory(round=world.a.groups[0].round, number=9)
    group.animators.add(world.users.animator)
    client = as_user(world.users.animator)
    page = client.get(f"/groupes/{group.pk}/").content.decode()
    token = re.search(r'data-poll-token="([^"]+)"', page)[1]
    response = client.get(
        f"/groupes/{group.pk}/changements/",
        {"since": timezone.now().isoformat(), "jeton": token},
    )
    assert response.status_code == 204


# --- a changed board, answered before the view for the group's own animators ---------


def _change(world, group, text="Une note de la collègue"):
    return group.add_note(
        client_uuid=uuid.uuid4(), question=world.a.question, kind=Kind.OBSTACLE, text=text
    )[0]


def test_a_changed_board_is_answered_from_two_queries_with_a_renewed_token(
    poll, world, django_assert_max_num_queries
):
    ask, client, group, token = poll
    since = timezone.now()
    _change(world, group)
    with django_assert_max_num_queries(2):
        response = ask(since)
    assert response.status_code == 200
    assert "Une note de la collègue" in response.content.decode()
    assert "no-store" in response["Cache-Control"] and response["Content-Language"] == "fr"
    assert response.content.strip() == ask(since, jeton=None).content.strip()
    # The renewed token and cursor keep the board quiet from there.
    renewed, cursor = response["X-Board-Token"], response["X-Board-Cursor"]
    assert ask(cursor, jeton=renewed).status_code == 204


def test_the_changes_speak_the_language_of_the_page(poll, world):
    ask, client, group, token = poll
    since = timezone.now()
    _change(world, group)
    client.cookies["django_language"] = "en"
    body = ask(since).content.decode()
    assert ">Edit<" in body and "Modifier" not in body


def test_a_board_opened_to_read_gets_no_buttons(poll, world):
    ask, client, group, token = poll
    since = timezone.now()
    _change(world, group)
    params = {"since": since.isoformat(), "jeton": token, "lecture": "1"}
    response = client.get(f"/groupes/{group.pk}/changements/", params, headers=HTMX)
    assert response.status_code == 200
    assert "Une note de la collègue" in response.content.decode()
    assert "Modifier" not in response.content.decode()


def test_an_animator_moved_off_the_group_gets_the_views_answer(poll, world):
    ask, client, group, token = poll
    since = timezone.now()
    _change(world, group)
    group.animators.remove(world.users.animator)
    world.a.groups[1].animators.add(world.users.animator)  # still reads the workshop's boards
    response = ask(since)
    assert response.status_code == 200
    assert "Modifier" not in response.content.decode()  # read only, as the view says


def test_a_session_ended_elsewhere_gets_the_login_page(poll, world):
    from django.contrib.sessions.models import Session

    ask, client, group, token = poll
    since = timezone.now()
    _change(world, group, "Après la déconnexion")
    Session.objects.all().delete()
    response = ask(since)
    assert response.status_code == 302 and "connexion" in response.url


def test_a_password_changed_since_the_token_gets_the_login_page(poll, world):
    ask, client, group, token = poll
    since = timezone.now()
    _change(world, group, "Après le changement de mot de passe")
    world.users.animator.set_password("un-autre-mot-de-passe")
    world.users.animator.save()
    response = ask(since)
    assert response.status_code == 302 and "connexion" in response.url


def test_a_coordinator_is_answered_by_the_view(world, as_user):
    client = as_user(world.users.coordinator)
    group = world.a.groups[0]
    page = client.get(f"/groupes/{group.pk}/").content.decode()
    token = re.search(r'data-poll-token="([^"]+)"', page)[1]
    since = timezone.now()
    _change(world, group)
    params = {"since": since.isoformat(), "jeton": token}
    response = client.get(f"/groupes/{group.pk}/changements/", params, headers=HTMX)
    assert response.status_code == 200 and "Modifier" in response.content.decode()


# --- the notes a board holds are not sent again ------------------------------------


def _held(*notes):
    from atelier.templatetags.board_notes import stamp

    return ",".join(f"{note.pk}:{stamp(note.updated_at)}" for note in notes)


def _ask_holding(client, group, since, token, held):
    params = {"since": since.isoformat(), "vu": held}
    if token is not None:
        params["jeton"] = token
    return client.get(f"/groupes/{group.pk}/changements/", params, headers=HTMX)


def test_a_board_holding_every_change_is_answered_204_with_a_new_cursor(
    poll, world, django_assert_max_num_queries
):
    """The board's own save (its answer brought the note) does not come back
    with its next polls."""
    ask, client, group, token = poll
    since = timezone.now()
    mine = _change(world, group, "Ma propre note")
    with django_assert_max_num_queries(1):
        response = _ask_holding(client, group, since, token, _held(mine))
    assert response.status_code == 204 and response.content == b""
    assert response["Cache-Control"] == "no-store"
    cursor = datetime.fromisoformat(response["X-Board-Cursor"])
    assert cursor > mine.updated_at


@pytest.mark.parametrize("quick", [True, False], ids=["quick path", "view"])
def test_only_the_changes_a_board_does_not_hold_are_sent(poll, world, quick):
    ask, client, group, token = poll
    since = timezone.now()
    mine = _change(world, group, "Ma propre note")
    edited = _change(world, group, "Avant correction")
    held = _held(mine, edited)  # the board holds the version before the edit
    edited.edit(version=edited.version, text="Corrigée par la collègue")
    theirs = _change(world, group, "La note de la collègue")
    response = _ask_holding(client, group, since, token if quick else None, held)
    html = response.content.decode()
    assert response.status_code == 200 and response["X-Board-Cursor"]
    assert f'id="note-{mine.pk}"' not in html
    assert "Corrigée par la collègue" in html and "La note de la collègue" in html
    # Each note exactly as without `vu`.
    complete = ask(since, jeton=token if quick else None).content.decode()
    for note in (edited, theirs):
        assert _shown(html, note.pk) == _shown(complete, note.pk)


@pytest.mark.parametrize(
    "held",
    ["{pk}", "{pk}:", "{pk}:1.2", "x{pk}:{stamp}", "{pk}:{stamp}x", "{pk}:{stamp};", "٣:{stamp}"],
)
def test_a_malformed_held_entry_names_nothing(poll, world, held):
    from atelier.templatetags.board_notes import stamp

    ask, client, group, token = poll
    since = timezone.now()
    note = _change(world, group, "Toujours envoyée")
    value = held.format(pk=note.pk, stamp=stamp(note.updated_at))
    response = _ask_holding(client, group, since, token, value)
    assert response.status_code == 200 and "Toujours envoyée" in response.content.decode()


def test_held_notes_are_read_up_to_the_boards_limit():
    entries = [f"{pk}:1700000000.000001" for pk in range(1, board_poll.HELD_MAX + 50)]
    held = board_poll.held_notes(",".join(entries))
    assert len(held) == board_poll.HELD_MAX and (1, "1700000000.000001") in held


def test_holding_the_changes_is_no_pass_for_a_withdrawn_right(poll, world):
    """A 204 for held notes is given only with the rights a full answer needs:
    an animator moved off the group is answered by the view."""
    ask, client, group, token = poll
    since = timezone.now()
    note = _change(world, group)
    group.animators.remove(world.users.animator)
    response = _ask_holding(client, group, since, token, _held(note))
    assert response.status_code in (403, 404)  # the view: no reader of this workshop


@pytest.mark.django_db(transaction=True)
def test_a_database_error_on_the_quick_poll_hands_it_to_the_view(poll, world):
    """The quick poll skips Django's per-request health check: when its
    statement fails, the connection is closed and the view answers the poll
    on a new one, with the note that changed."""
    ask, client, group, token = poll
    since = timezone.now()
    _change(world, group)
    failed = []

    def refuse_once(execute, sql, params, many, context):
        if not failed:
            failed.append(sql)
            raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(refuse_once):
        response = ask(since)
    assert failed and response.status_code == 200
    assert "Une note de la collègue" in response.content.decode()
    assert response["X-Board-Token"]

"""The group board's views: saving exactly once, editing without overwriting,
and refusing bad input with a French message beside the field."""

import re
import threading
import uuid

import pytest
from django.db import connection
from django.test import Client

from atelier.models import Contribution, Kind

from . import factories as f

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
OUTBOX = {"HX-Request": "true", "X-Outbox": "1"}


@pytest.fixture(params=["view", "token"])
def board(request, world, as_user):
    """The animator's client on group A1, with the URL and a valid note. Run
    twice: as a page without a token sends it (the view answers), and with
    the token board.js sends, which has an outbox note stored before the
    session middleware when all is well (atelier/board_save.py) and must
    come to the same outcome as the view in every other case."""
    client = as_user(world.users.animator)
    group = world.a.groups[0]
    token = {}
    if request.param == "token":
        page = client.get(f"/groupes/{group.pk}/").content.decode()
        token["jeton"] = re.search(r'data-poll-token="([^"]+)"', page)[1]

    def note(**overrides):
        return {
            "client_uuid": str(uuid.uuid4()),
            "question": world.a.question.pk,
            "kind": Kind.OBSTACLE,
            "text": "Le manque de temps",
            # Who typed it, as the browser's outbox says (checked on X-Outbox posts).
            "outbox_user": str(world.users.animator.pk),
            **token,
            **overrides,
        }

    return client, group, f"/groupes/{group.pk}/notes/", note


def test_a_note_is_saved_and_returned_ready_to_show(board):
    client, group, url, note = board
    response = client.post(url, note(text="Le **manque** de temps"), headers=HTMX)
    assert response.status_code == 201
    assert "Le <strong>manque</strong> de temps" in response.content.decode()
    saved = Contribution.objects.get(text="Le **manque** de temps")
    assert (saved.group, saved.kind, saved.author.username) == (group, Kind.OBSTACLE, "anim")


def test_without_javascript_a_saved_note_redirects_to_the_board(board):
    client, group, url, note = board
    response = client.post(url, note())
    assert response.status_code == 302
    assert response.url.startswith(f"/groupes/{group.pk}/#note-")


def test_the_same_uuid_posted_twice_gives_one_note(board):
    client, group, url, note = board
    data = note()
    first = client.post(url, data, headers=HTMX)
    second = client.post(url, data, headers=HTMX)
    assert (first.status_code, second.status_code) == (201, 200)
    assert Contribution.objects.filter(client_uuid=data["client_uuid"]).count() == 1
    note = Contribution.objects.get(client_uuid=data["client_uuid"])
    for response in (first, second):
        assert f'id="note-{note.pk}"' in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_the_same_uuid_posted_concurrently_gives_one_note(world):
    data = {
        "client_uuid": str(uuid.uuid4()),
        "question": world.a.question.pk,
        "kind": Kind.OBSTACLE,
        "text": "Cinquante fois la même note",
    }
    url = f"/groupes/{world.a.groups[0].pk}/notes/"
    statuses, start = [], threading.Barrier(20, timeout=30)

    def post():
        client = Client()
        client.force_login(world.users.animator)
        start.wait()
        statuses.append(client.post(url, data, headers=HTMX).status_code)
        connection.close()

    threads = [threading.Thread(target=post) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses.count(201) == 1 and statuses.count(200) == 19
    assert Contribution.objects.filter(text="Cinquante fois la même note").count() == 1


def test_a_uuid_of_another_groups_note_is_refused(board, world):
    client, group, url, note = board
    other = world.a.notes[1]  # group A2's note
    response = client.post(
        url, note(client_uuid=str(other.client_uuid), text="Intrus"), headers=OUTBOX
    )
    assert response.status_code == 409
    assert "déjà utilisé" in response.json()["errors"]["text"][0]
    other.refresh_from_db()
    assert other.text == "Note secrète A2" and other.group == world.a.groups[1]
    assert not Contribution.objects.filter(text="Intrus").exists()


BAD_INPUT = [
    ({"text": ""}, "text", "La note est vide."),
    ({"text": "   \n\t "}, "text", "La note est vide."),
    ({"text": "x" * 5001}, "text", "dépasse 5000 caractères"),
    ({"kind": "rumeur"}, "kind", "Type de note inconnu."),
    (
        {"speaker_actor_type": "999999", "kind": "quote"},
        "speaker_actor_type",
        "Type d'acteur inconnu.",
    ),
    ({"client_uuid": "pas-un-uuid"}, "client_uuid", "Identifiant de note invalide"),
]


@pytest.mark.parametrize(("overrides", "field", "message"), BAD_INPUT)
def test_bad_input_gets_a_french_message_and_saves_nothing(board, overrides, field, message):
    client, group, url, note = board
    before = Contribution.objects.count()
    response = client.post(url, note(**overrides), headers=OUTBOX)
    assert response.status_code == 400
    assert message in " ".join(response.json()["errors"][field])
    assert Contribution.objects.count() == before


def test_a_question_of_another_round_is_refused(board, world):
    client, group, url, note = board
    other_round = f.QuestionFactory(round=f.RoundFactory(workshop=world.a.workshop, order=2))
    response = client.post(url, note(question=other_round.pk), headers=OUTBOX)
    assert response.status_code == 400
    assert response.json()["errors"]["question"] == ["Cette consigne n'appartient pas à ce temps."]


def test_without_javascript_bad_input_keeps_the_typed_text_beside_the_message(board):
    client, group, url, note = board
    typed = "Une note bien trop longue " + "x" * 5000
    response = client.post(url, note(text=typed))
    body = response.content.decode()
    assert response.status_code == 400
    assert "dépasse 5000 caractères" in body
    assert typed in body  # still in the field
    assert 'aria-invalid="true"' in body


def test_a_forged_group_id_is_not_found(board, world):
    client, group, url, note = board
    response = client.post(f"/groupes/{world.b.groups[0].pk}/notes/", note(), headers=HTMX)
    assert response.status_code == 404
    assert not Contribution.objects.filter(text="Le manque de temps").exists()


def test_hidden_fields_cannot_change_the_author(board, world):
    client, group, url, note = board
    client.post(url, note(author=world.users.coordinator.pk), headers=HTMX)
    assert Contribution.objects.get(text="Le manque de temps").author == world.users.animator


def test_control_characters_are_dropped_and_markup_stays_inert(board):
    client, group, url, note = board
    response = client.post(url, note(text="<script>alert(1)</script>\x07 ok"), headers=HTMX)
    assert "<script>" not in response.content.decode()
    assert Contribution.objects.get(text__endswith="ok").text == "<script>alert(1)</script> ok"


def test_a_nul_byte_is_refused_in_french(board):
    client, group, url, note = board
    response = client.post(url, note(text="avant\x00après"), headers=OUTBOX)
    assert response.status_code == 400
    assert "Le caractère nul n’est pas autorisé." in response.json()["errors"]["text"][0]


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("rouge \x1b[31malerte\x1b[0m fin", "rouge [31malerte[0m fin"),  # ESC sequences
        ("csi \x9b31m\x85suite", "csi 31msuite"),  # C1 controls, NEL
        ("cloche\x07\x08\x7f ok", "cloche ok"),
        ("tab\tgardée\nligne gardée", "tab\tgardée\nligne gardée"),
    ],
    ids=["esc", "c1", "bell-backspace-del", "tab-newline"],
)
def test_control_characters_other_than_tab_and_newline_are_never_stored(board, text, stored):
    client, group, url, note = board
    data = note(text=text)
    response = client.post(url, data, headers=OUTBOX)
    assert response.status_code == 201
    assert Contribution.objects.get(client_uuid=data["client_uuid"]).text == stored


def test_an_edit_drops_control_characters_too(board, world):
    client, group, url, note = board
    target = world.a.notes[0]
    client.post(
        f"/notes/{target.pk}/modifier/",
        {"text": "modifiée\x1b[2J\x9b", "kind": target.kind, "version": target.version},
        headers=HTMX,
    )
    target.refresh_from_db()
    assert target.text == "modifiée[2J"


# --- the browser's outbox: who typed the note ------------------------------------


def test_a_note_the_outbox_says_another_user_typed_is_refused_and_not_saved(board, world):
    client, group, url, note = board
    response = client.post(
        url,
        note(outbox_user=str(world.users.coordinator.pk), text="Note de la coordination"),
        headers=OUTBOX,
    )
    assert response.status_code == 409
    assert response.json()["code"] == "other_user"
    assert "écrite par une autre personne" in response.json()["errors"]["text"][0]
    assert not Contribution.objects.filter(text="Note de la coordination").exists()


@pytest.mark.parametrize("claimed", ["", "abc"], ids=["empty", "garbage"])
def test_an_outbox_note_without_a_valid_author_is_refused(board, claimed):
    client, group, url, note = board
    data = note(text="Sans auteur")
    data["outbox_user"] = claimed
    response = client.post(url, data, headers=OUTBOX)
    assert response.status_code == 409
    assert not Contribution.objects.filter(text="Sans auteur").exists()


def test_a_board_opened_before_the_author_was_sent_is_told_to_retry_not_refused(board):
    # The board.js of before issue 16 sends no author; it drops a note refused
    # with a 4xx but keeps and retries one answered 5xx (and, reloaded, the new
    # script adopts its outbox): nothing typed on an old page is lost.
    client, group, url, note = board
    data = note(text="Page ouverte avant la mise à jour")
    del data["outbox_user"]
    response = client.post(url, data, headers=OUTBOX)
    assert response.status_code == 503 and response["Retry-After"] == "30"
    assert response.json()["code"] == "reload"
    assert not Contribution.objects.filter(text="Page ouverte avant la mise à jour").exists()


def test_an_outbox_note_is_saved_under_the_user_who_typed_it(board, world):
    client, group, url, note = board
    response = client.post(url, note(text="Tapée par moi"), headers=OUTBOX)
    assert response.status_code == 201
    assert Contribution.objects.get(text="Tapée par moi").author == world.users.animator


def test_an_animator_moved_to_another_group_gets_a_french_refusal_for_the_old_one(board, world):
    client, group, url, note = board
    group.animators.remove(world.users.animator)
    world.a.groups[1].animators.add(world.users.animator)
    old = client.post(url, note(text="Pour l'ancien groupe"), headers=OUTBOX)
    assert old.status_code == 403
    assert old.json()["errors"]["text"] == [
        "Vous n'animez plus ce groupe : la note n'y a pas été enregistrée."
    ]
    new = client.post(
        f"/groupes/{world.a.groups[1].pk}/notes/", note(text="Pour le nouveau"), headers=OUTBOX
    )
    assert new.status_code == 201
    stored = Contribution.objects.filter(text__startswith="Pour").values_list("text", flat=True)
    assert list(stored) == ["Pour le nouveau"]


def test_an_outbox_note_for_a_group_out_of_reach_gets_a_french_404(board, world):
    client, group, url, note = board
    response = client.post(f"/groupes/{world.b.groups[0].pk}/notes/", note(), headers=OUTBOX)
    assert response.status_code == 404
    assert "n'existe plus" in response.json()["errors"]["text"][0]


def test_a_speaker_is_kept_only_for_a_quote(board):
    client, group, url, note = board
    speaker = f.ActorTypeFactory(name="Habitant·e")
    client.post(
        url,
        note(kind="obstacle", speaker_actor_type=speaker.pk, text="Pas une parole"),
        headers=HTMX,
    )
    client.post(
        url, note(kind="quote", speaker_actor_type=speaker.pk, text="Une parole"), headers=HTMX
    )
    assert Contribution.objects.get(text="Pas une parole").speaker_actor_type is None
    assert Contribution.objects.get(text="Une parole").speaker_actor_type == speaker


def test_saving_a_note_stays_within_five_queries(board, django_assert_max_num_queries):
    client, group, url, note = board
    # The session, the user, the group with the writer's right, the question,
    # and one INSERT … ON CONFLICT DO NOTHING RETURNING.
    with django_assert_max_num_queries(5):
        response = client.post(url, note(), headers=HTMX)
    assert response.status_code == 201


# --- editing -----------------------------------------------------------------


def edit(client, note, **data):
    payload = {"text": note.text, "kind": note.kind, "version": note.version, **data}
    return client.post(f"/notes/{note.pk}/modifier/", payload, headers=HTMX)


def test_an_edit_saves_and_bumps_the_version(board, world):
    client, *_ = board
    note = world.a.notes[0]
    response = edit(client, note, text="Texte **revu**", kind="lesson")
    assert (
        response.status_code == 200 and "Texte <strong>revu</strong>" in response.content.decode()
    )
    note.refresh_from_db()
    assert (note.text, note.kind, note.version) == ("Texte **revu**", "lesson", 2)


def test_a_stale_edit_shows_both_texts_and_overwrites_nothing(board, world, as_user):
    note = world.a.notes[0]
    stale_version = note.version
    coordinator = as_user(world.users.coordinator)
    assert edit(coordinator, note, text="Version de la coordination").status_code == 200
    animator = as_user(world.users.animator)
    response = edit(animator, note, text="Version de l'animatrice", version=stale_version)
    body = response.content.decode()
    assert response.status_code == 409
    assert "Version de la coordination" in body and "Version de l&#x27;animatrice" in body
    note.refresh_from_db()
    assert note.text == "Version de la coordination"
    # Keeping one's own version is one more save, on the current version.
    assert edit(animator, note, text="Version de l'animatrice").status_code == 200
    note.refresh_from_db()
    assert note.text == "Version de l'animatrice"


def test_an_edit_of_a_note_deleted_meanwhile_keeps_the_text_and_offers_to_restore(board, world):
    client, *_ = board
    note = world.a.notes[0]
    version = note.version
    note.soft_delete()
    response = edit(client, note, text="Mon texte", version=version)
    body = response.content.decode()
    assert response.status_code == 409
    assert "supprimée" in body and "Mon texte" in body and "Rétablir la note" in body


def test_an_empty_edit_is_refused_beside_the_field(board, world):
    client, *_ = board
    note = world.a.notes[0]
    response = edit(client, note, text="  ")
    assert response.status_code == 400 and "La note est vide." in response.content.decode()
    note.refresh_from_db()
    assert note.text == "Note secrète A1"


def test_without_javascript_the_edit_page_saves_and_returns_to_the_board(board, world):
    client, *_ = board
    note = world.a.notes[0]
    assert "Texte de la note" in client.get(f"/notes/{note.pk}/modifier/").content.decode()
    response = client.post(
        f"/notes/{note.pk}/modifier/",
        {"text": "Sans JS", "kind": "lesson", "version": note.version},
    )
    assert response.status_code == 302 and response.url.endswith(f"#note-{note.pk}")


# --- delete, undo, reorder, themes ---------------------------------------------


def test_delete_offers_undo_and_undo_restores(board, world):
    client, *_ = board
    note = world.a.notes[0]
    response = client.post(f"/notes/{note.pk}/supprimer/", headers=HTMX)
    assert "Annuler la suppression" in response.content.decode()
    assert not Contribution.objects.alive().filter(pk=note.pk).exists()
    response = client.post(f"/notes/{note.pk}/retablir/", headers=HTMX)
    assert "Note secrète A1" in response.content.decode()
    assert Contribution.objects.alive().filter(pk=note.pk).exists()


def test_without_javascript_delete_shows_the_undo_on_the_board(board, world):
    client, group, *_ = board
    note = world.a.notes[0]
    response = client.post(f"/notes/{note.pk}/supprimer/", follow=True)
    body = response.content.decode()
    assert "Note supprimée" in body and f"/notes/{note.pk}/retablir/" in body


def test_notes_move_up_and_down_within_their_question(board, world):
    client, group, url, note = board
    for text in ["deux", "trois"]:
        client.post(url, note(text=text, kind="success_factor"), headers=HTMX)
    first = world.a.notes[0]

    def order():
        return list(
            Contribution.objects.alive()
            .filter(group=group)
            .board_order()
            .values_list("text", flat=True)
        )

    assert order() == ["Note secrète A1", "deux", "trois"]
    response = client.post(f"/notes/{first.pk}/deplacer/", {"direction": "down"}, headers=HTMX)
    assert order() == ["deux", "Note secrète A1", "trois"]
    assert f'id="down-{first.pk}" autofocus' in response.content.decode()
    client.post(f"/notes/{first.pk}/deplacer/", {"direction": "up"}, headers=HTMX)
    client.post(f"/notes/{first.pk}/deplacer/", {"direction": "up"}, headers=HTMX)  # stays first
    assert order() == ["Note secrète A1", "deux", "trois"]
    client.post(url, note(text="quatre", kind="success_factor"), headers=HTMX)
    assert order()[-1] == "quatre"  # a new note still goes last


def test_a_dropped_note_moves_several_places_and_stops_at_the_ends(board, world):
    client, group, url, note = board
    for text in ["deux", "trois", "quatre"]:
        client.post(url, note(text=text, kind="success_factor"), headers=HTMX)
    first = world.a.notes[0]

    def order():
        return list(
            Contribution.objects.alive()
            .filter(group=group)
            .board_order()
            .values_list("text", flat=True)
        )

    move = f"/notes/{first.pk}/deplacer/"
    response = client.post(move, {"offset": "2"}, headers=HTMX)
    assert response.status_code == 200
    assert order() == ["deux", "trois", "Note secrète A1", "quatre"]
    client.post(move, {"offset": "-99"}, headers=HTMX)
    assert order() == ["Note secrète A1", "deux", "trois", "quatre"]
    client.post(move, {"offset": "99"}, headers=HTMX)
    assert order()[-1] == "Note secrète A1"
    for bad in ["", "deux", "1.5"]:  # nothing moves on a malformed offset
        assert client.post(move, {"offset": bad}, headers=HTMX).status_code == 200
    assert order()[-1] == "Note secrète A1"


def test_moving_a_note_another_animator_just_deleted_is_refused_in_french(board, world):
    client, group, url, note = board
    gone = world.a.notes[0]
    client.post(url, note(text="deux"), headers=HTMX)
    gone.soft_delete()  # by the other animator of the board, a moment ago
    response = client.post(f"/notes/{gone.pk}/deplacer/", {"direction": "down"}, headers=HTMX)
    assert response.status_code == 409
    body = response.content.decode()
    assert "Cette note vient d'être supprimée : elle n'a pas été déplacée." in body.replace(
        "&#x27;", "'"
    )
    assert f'id="note-{gone.pk}"' not in body and "deux" in body  # the list as it is now
    dropped = client.post(f"/notes/{gone.pk}/deplacer/", {"offset": "1"}, headers=HTMX)
    assert dropped.status_code == 409
    plain = client.post(f"/notes/{gone.pk}/deplacer/", {"direction": "up"}, follow=True)
    assert plain.redirect_chain[0][1] == 302
    assert "vient d&#x27;être supprimée" in plain.content.decode()


def test_a_note_deleted_between_the_check_and_the_move_stays_where_it_was(world):
    """The view's check and the move are two queries: a deletion may fall between."""
    note = world.a.notes[0]
    stale = Contribution.objects.get(pk=note.pk)  # loaded alive, as the view did
    note.soft_delete()
    assert stale.move(1) is False
    note.refresh_from_db()
    assert note.position is None


def test_themes_are_added_from_the_codebook_and_removed(board, world):
    client, *_ = board
    note = world.a.notes[0]
    response = client.post(f"/notes/{note.pk}/themes/", {"theme": "thème MATRICE"}, headers=HTMX)
    assert response.status_code == 200
    assert list(note.themes.values_list("name", flat=True)) == ["Thème matrice"]
    client.post(f"/notes/{note.pk}/themes/{world.theme.pk}/retirer/", headers=HTMX)
    assert not note.themes.exists()


def test_an_unknown_theme_is_refused_beside_the_field(board, world):
    client, *_ = board
    note = world.a.notes[0]
    response = client.post(f"/notes/{note.pk}/themes/", {"theme": "Inventé"}, headers=HTMX)
    assert response.status_code == 400
    body = response.content.decode()
    assert "Thème inconnu" in body and 'value="Inventé"' in body
    assert not note.themes.exists()


# --- reading ---------------------------------------------------------------------


def test_changes_list_new_edited_and_deleted_notes_since_a_moment(board, world):
    client, group, url, note = board
    since = "2000-01-01T00:00:00+00:00"
    world.a.notes[0].soft_delete()
    response = client.get(f"/groupes/{group.pk}/changements/", {"since": since})
    body = response.content.decode()
    assert f'id="note-{world.a.notes[0].pk}"' in body and "data-deleted" in body
    cursor = response["X-Board-Cursor"]
    client.post(url, note(text="Toute nouvelle"), headers=HTMX)
    later = client.get(f"/groupes/{group.pk}/changements/", {"since": cursor}).content.decode()
    assert "Toute nouvelle" in later and "data-deleted" not in later


@pytest.mark.parametrize(
    "since",
    [
        "2026-01-01T10:00:00 23:59",  # "+23:59" with its plus read as a space
        "0001-01-01T00:00:00+23:59",
        "0001-01-01",
        "9999-12-31T23:59:59-23:59",
        "pas une date",
        "",
    ],
)
def test_a_malformed_since_on_the_changes_endpoint_is_read_as_now(board, world, since):
    client, group, url, note = board
    response = client.get(f"/groupes/{group.pk}/changements/", {"since": since})
    assert response.status_code == 200
    assert "Note secrète A1" not in response.content.decode()  # nothing newer than now
    assert response["X-Board-Cursor"]


def test_a_since_with_an_offset_is_compared_in_utc(board, world):
    client, group, url, note = board
    response = client.get(
        f"/groupes/{group.pk}/changements/", {"since": "2000-01-01T23:59:00+23:59"}
    )
    assert "Note secrète A1" in response.content.decode()


def test_board_budget_does_not_grow_with_500_notes(board, world, django_assert_max_num_queries):
    client, group, *_ = board
    with django_assert_max_num_queries(12):
        client.get(f"/groupes/{group.pk}/")
    theme = world.theme
    notes = Contribution.objects.bulk_create(
        [
            Contribution(group=group, question=world.a.question, kind="obstacle", text=f"Note {i}")
            for i in range(500)
        ]
    )
    Contribution.themes.through.objects.bulk_create(
        [Contribution.themes.through(contribution=n, theme=theme) for n in notes]
    )
    with django_assert_max_num_queries(12):
        response = client.get(f"/groupes/{group.pk}/")
    body = response.content.decode()
    assert body.count('class="note kind-') == 501
    assert body.count('<span class="theme-tag">Thème matrice</span>') == 500
    # The notes' buttons share the board's one form, and its CSRF token.
    assert body.count('form="board-actions"') == 501 * 3
    assert body.count('name="csrfmiddlewaretoken"') < 10


def test_an_edited_note_shows_its_new_text_on_the_board(board, world):
    client, group, *_ = board
    note = world.a.notes[0]
    assert "Note secrète A1" in client.get(f"/groupes/{group.pk}/").content.decode()
    edit(client, note, text="Texte **revu** après coup")
    body = client.get(f"/groupes/{group.pk}/").content.decode()
    assert "Texte <strong>revu</strong> après coup" in body
    assert "Note secrète A1" not in body
    assert 'Modifier<span class="visually-hidden"> : Texte **revu** après coup</span>' in body


def test_a_notes_markup_is_rendered_once_and_languages_stay_apart(world, monkeypatch):
    from django.utils import translation

    from atelier import rows
    from atelier.templatetags import board_notes

    note = world.a.notes[0]
    rows._rendered.cache_clear()
    french = board_notes.render_notes([note], can_write=True)
    monkeypatch.setattr(rows.markup, "render", lambda text: pytest.fail("rendered again"))
    assert board_notes.render_notes([note], can_write=True) == french
    monkeypatch.undo()
    with translation.override("en"):
        english = board_notes.render_notes([note], can_write=True)
    assert "Move up : Note secrète A1" in english and "Monter" not in english


def test_note_buttons_are_named_after_the_note_with_its_text_escaped(board, world):
    client, group, url, note = board
    speaker = f.ActorTypeFactory(name="Élu·e <local>")
    theme = f.ThemeFactory(name="Thème & <b>gras</b>")
    response = client.post(
        url,
        note(kind="quote", speaker_actor_type=speaker.pk, text='<img src=x> "dit" & fait'),
        headers=HTMX,
    )
    saved = Contribution.objects.get(text__endswith="& fait")
    saved.themes.add(theme)
    body = client.get(f"/groupes/{group.pk}/").content.decode()
    assert "<img" not in body and "<b>gras" not in body
    name = "&lt;img src=x&gt; &quot;dit&quot; &amp; fait"
    for action in ["Modifier<span", "Monter :", "Descendre :", "Supprimer<span"]:
        assert action in body
    assert f'<span class="visually-hidden">Monter : {name}</span>' in body
    assert f'<span class="visually-hidden">Descendre : {name}</span>' in body
    assert '<span class="speaker">Élu·e &lt;local&gt;</span>' in body
    assert '<span class="theme-tag">Thème &amp; &lt;b&gt;gras&lt;/b&gt;</span>' in body
    assert f'formaction="/notes/{saved.pk}/deplacer/" name="direction" value="up"' in body
    assert f'formaction="/notes/{saved.pk}/supprimer/"' in body
    assert response.status_code == 201


def test_the_facilitator_overview_counts_and_highlights_silent_groups(world, as_user):
    client = as_user(world.users.coordinator)
    f.WorkingGroupFactory(round=world.a.round, number=3)
    body = client.get(f"/ateliers/{world.a.workshop.slug}/direct/").content.decode()
    assert "1 groupe n'a encore rien noté." in body
    assert body.count("aucune note") == 1 and "Note secrète A1" in body
    assert f"/groupes/{world.a.groups[0].pk}/?lecture=1" in body


def test_the_overview_shows_the_latest_notes_without_markup(world, as_user):
    f.ContributionFactory(
        group=world.a.groups[0], question=world.a.question, text="Un **point** *clé*"
    )
    body = as_user(world.users.coordinator).get(f"/ateliers/{world.a.workshop.slug}/direct/")
    page = body.content.decode()
    assert "<li>Un point clé</li>" in page and "**" not in page


def test_overview_refreshes_as_a_fragment_within_budget(
    world, as_user, django_assert_max_num_queries
):
    client = as_user(world.users.animator)
    for i in range(20):
        group = f.WorkingGroupFactory(round=world.a.round, number=10 + i)
        f.ContributionFactory.create_batch(3, group=group, question=world.a.question)
    with django_assert_max_num_queries(10):
        response = client.get(f"/ateliers/{world.a.workshop.slug}/direct/", headers=HTMX)
    body = response.content.decode()
    assert body.startswith('\n<div id="overview-grid"') or body.lstrip().startswith(
        '<div id="overview-grid"'
    )
    assert "<html" not in body


@pytest.mark.parametrize("value", ["abc", ""])
def test_a_round_that_is_not_a_number_leaves_the_live_round_as_it_was(world, as_user, value):
    workshop = world.a.workshop
    workshop.current_round = world.a.round
    workshop.save(update_fields=["current_round"])
    client = as_user(world.users.coordinator)
    response = client.post(
        f"/ateliers/{workshop.slug}/direct/temps/", {"round": value}, follow=True
    )
    assert response.redirect_chain == [(f"/ateliers/{workshop.slug}/direct/", 302)]
    assert "Ce temps n&#x27;existe pas dans cet atelier." in response.content.decode()
    workshop.refresh_from_db()
    assert workshop.current_round == world.a.round


@pytest.mark.parametrize("query", ["?temps=abc", "?temps=", "?temps=%00", "?temps=99999999999"])
def test_the_overview_shows_the_live_round_for_a_round_that_is_not_one(world, as_user, query):
    client = as_user(world.users.animator)
    for headers in ({}, HTMX):
        response = client.get(f"/ateliers/{world.a.workshop.slug}/direct/{query}", headers=headers)
        assert response.status_code == 200
        assert "Note secrète A1" in response.content.decode()


@pytest.mark.parametrize(
    "url",
    [
        lambda w: f"/ateliers/{w.a.workshop.slug}/direct/",
        lambda w: f"/participants/{w.a.person.pk}/modifier/",
        lambda w: f"/enonces/{w.a.draft_statement.pk}/sources/",
        lambda w: f"/enonces/{w.a.draft_statement.pk}/commentaires/",
    ],
    ids=["overview", "participant-edit", "statement-sources", "statement-comments"],
)
def test_a_url_that_answers_a_page_or_a_fragment_varies_on_hx_request(world, as_user, url):
    """Else a cache (the browser's back button too) may serve the fragment as the page."""
    client = as_user(world.users.coordinator)
    page = client.get(url(world))
    fragment = client.get(url(world), headers=HTMX)
    assert "<html" in page.content.decode() and "<html" not in fragment.content.decode()
    assert "HX-Request" in page["Vary"] and "HX-Request" in fragment["Vary"]


def test_read_only_board_has_no_writing_controls_even_for_a_coordinator(world, as_user):
    client = as_user(world.users.coordinator)
    body = client.get(f"/groupes/{world.a.groups[0].pk}/?lecture=1").content.decode()
    assert "Lecture seule" in body and "Nouvelle note" not in body and "Supprimer" not in body


def test_markup_preview_renders_like_the_pages(board):
    client, *_ = board
    response = client.post("/apercu/", {"text": "**clé**\n- puce"})
    assert "<strong>clé</strong>" in response.content.decode()
    assert "<li>puce</li>" in response.content.decode()


def test_the_page_gives_the_script_the_servers_note_limit(board):
    import json
    import re

    from atelier.models import NOTE_MAX_LENGTH

    client, group, _url, _note = board
    body = client.get(f"/groupes/{group.pk}/").content.decode()
    found = re.search(r'<script id="board-messages" type="application/json">(.*?)</script>', body)
    messages = json.loads(found.group(1))
    assert messages["max_length"] == NOTE_MAX_LENGTH
    assert f"dépasse {NOTE_MAX_LENGTH} caractères" in messages["too_long"]


# --- the save path and the poll, in statements (issue 17: capacity) ------------


def test_a_retry_with_another_text_is_answered_with_the_stored_note(board):
    """The outbox may send a note again after an edit in the browser: the first
    text stored stays, and the answer shows it, so the board shows what the
    server has."""
    client, group, url, note = board
    data = note(text="Premier texte")
    assert client.post(url, data, headers=OUTBOX).status_code == 201
    retry = client.post(url, {**data, "text": "Autre texte"}, headers=OUTBOX)
    assert retry.status_code == 200
    assert "Premier texte" in retry.content.decode()
    assert "Autre texte" not in retry.content.decode()
    assert list(
        Contribution.objects.filter(client_uuid=data["client_uuid"]).values_list("text", flat=True)
    ) == ["Premier texte"]


def test_a_poll_by_the_groups_animator_stays_within_four_queries(
    board, django_assert_max_num_queries
):
    """300 open boards poll every 3 s: the session, the user, the group with
    its animator's right in one plain join, and the changes."""
    from django.utils import timezone

    client, group, url, note = board
    since = timezone.now().isoformat()
    with django_assert_max_num_queries(4):
        response = client.get(f"/groupes/{group.pk}/changements/", {"since": since})
    assert response.status_code == 200


def test_a_fellow_animator_still_reads_the_board_but_may_not_write(world, as_user):
    """The writer's join answers no for a fellow animator of the workshop: the
    reader's rule then still lets them look (200), and refuses the save (403)."""
    from atelier.models import Role

    fellow = f.UserFactory(role=Role.ANIMATOR)
    world.a.groups[1].animators.add(fellow)
    client = as_user(fellow)
    group = world.a.groups[0]
    assert client.get(f"/groupes/{group.pk}/").status_code == 200
    data = {
        "client_uuid": str(uuid.uuid4()),
        "question": world.a.question.pk,
        "kind": Kind.OBSTACLE,
        "text": "Pas mon groupe",
    }
    assert client.post(f"/groupes/{group.pk}/notes/", data, headers=HTMX).status_code == 403
    assert not Contribution.objects.filter(text="Pas mon groupe").exists()

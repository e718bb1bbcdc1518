"""The board in Debian's Chromium: keyboard-only typing, the offline outbox,
two animators at once, edit conflicts, and accessibility scans."""

from urllib.parse import unquote

import pytest
from playwright.sync_api import expect

from atelier.models import Contribution

from . import factories as f
from .browser import assert_accessible, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def open_board(browser, live_server, client):
    """Open group A1's board in a fresh browser context as `user`."""
    contexts = []

    def open_as(user, group, query="", **options):
        context = browser.new_context(locale="fr-FR", base_url=live_server.url, **options)
        contexts.append(context)
        log_in(context, live_server, user)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(f"/groupes/{group.pk}/{query}")
        return page

    yield open_as
    for context in contexts:
        context.close()


def new_note_field(page, question):
    return page.locator(f"#new-text-q{question.pk}")


def saved_notes(page, question):
    return page.locator(f"#notes-q{question.pk} li.note[data-note-id]")


def test_ten_notes_typed_with_the_keyboard_only_are_there_after_a_reload(open_board, world):
    page = open_board(world.users.animator, world.a.groups[0])
    field_id = f"new-text-q{world.a.question.pk}"
    for _ in range(40):  # Tab through the page until the note field has the focus
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == field_id:
            break
    assert page.evaluate("document.activeElement.id") == field_id
    for i in range(1, 11):
        page.keyboard.type(f"Note {i} au clavier")
        if i == 3:
            page.keyboard.press("Shift+Enter")
            page.keyboard.type("- une sous-puce")
        page.keyboard.press("Enter")
    # Locator waits, not wait_for_function: the Content-Security-Policy forbids eval.
    expect(page.locator("li.note-pending")).to_have_count(0)
    assert page.evaluate("document.activeElement.id") == field_id  # ready for the next one
    page.reload()
    texts = saved_notes(page, world.a.question).all_inner_texts()
    assert len(texts) == 11  # the note already there, and ten new ones
    assert "une sous-puce" in texts[3]
    assert Contribution.objects.filter(text__endswith="au clavier").count() == 9
    assert Contribution.objects.get(text__startswith="Note 3").text == (
        "Note 3 au clavier\n- une sous-puce"
    )


def _no_network(route):
    route.abort("internetdisconnected")


def offline(context, yes):
    """Chromium's offline emulation does not cover what goes through the
    service worker, which controls the board (playwright#2311): a request
    could still reach the server. Every request of the context is refused too."""
    if yes:
        context.set_offline(True)
        context.route("**/*", _no_network)
    else:
        context.unroute("**/*", _no_network)
        context.set_offline(False)


def test_five_notes_typed_offline_survive_a_reload_and_arrive_once(open_board, world):
    page = open_board(world.users.animator, world.a.groups[0])
    page.wait_for_selector("#board[data-offline-ready]")
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.accept()))
    offline(page.context, True)
    field = new_note_field(page, world.a.question)
    for i in range(1, 6):
        field.fill(f"Hors ligne {i}")
        field.press("Enter")
    status = page.locator("#outbox-status")
    assert status.inner_text().startswith("5 notes pas encore enregistrées")
    assert page.locator("li.note-pending").count() == 5
    page.reload()  # served by the service worker, notes come back from storage
    assert dialogs == ["beforeunload"]  # leaving with notes waiting asks first
    assert page.locator("li.note-pending").count() == 5
    assert page.locator("#outbox-status").inner_text().startswith("5 notes")
    assert not Contribution.objects.filter(text__startswith="Hors ligne").exists()
    offline(page.context, False)
    expect(page.locator("li.note-pending")).to_have_count(0, timeout=30_000)
    assert page.locator("#outbox-status").is_hidden()
    stored = Contribution.objects.filter(text__startswith="Hors ligne").order_by("created_at")
    assert [n.text for n in stored] == [f"Hors ligne {i}" for i in range(1, 6)]


def test_two_animators_see_each_others_notes(open_board, world):
    question = world.a.question
    mine = open_board(world.users.animator, world.a.groups[0])
    theirs = open_board(world.users.coordinator, world.a.groups[0])
    # While nothing changes, the board's polls are answered 204 before the
    # server's session and rights checks (atelier/board_poll.py).
    with theirs.expect_response(lambda r: "/changements/" in r.url and r.status == 204):
        pass
    theirs_field = new_note_field(theirs, question)
    theirs_field.fill("Je suis en train d'écrire")  # must survive the live updates
    new_note_field(mine, question).fill("Vue par l'autre")
    new_note_field(mine, question).press("Enter")
    theirs.locator(f"#notes-q{question.pk} li", has_text="Vue par l'autre").wait_for()
    # The board that typed it holds it: its polls name it and are not sent it again.
    saved = saved_notes(mine, question).filter(has_text="Vue par l'autre")
    held = f"{saved.get_attribute('data-note-id')}:{saved.get_attribute('data-updated')}"
    with mine.expect_response(
        lambda r: "/changements/" in r.url and held in unquote(r.url)
    ) as answer:
        pass
    assert answer.value.status == 204
    # An edit and a deletion travel too.
    note = world.a.notes[0]
    mine.locator(f"#note-{note.pk} a", has_text="Modifier").click()
    mine.locator(f"#edit-text-{note.pk}").fill("Texte modifié ailleurs")
    mine.locator(f"#note-{note.pk} button", has_text="Enregistrer").click()
    theirs.locator(f"#note-{note.pk}", has_text="Texte modifié ailleurs").wait_for()
    mine.locator(f"#note-{note.pk} button", has_text="Supprimer").click()
    theirs.locator(f"#note-{note.pk}").wait_for(state="detached")
    assert theirs_field.input_value() == "Je suis en train d'écrire"


def test_a_stale_edit_shows_the_conflict(open_board, world):
    note = world.a.notes[0]
    first = open_board(world.users.animator, world.a.groups[0])
    second = open_board(world.users.coordinator, world.a.groups[0])
    for page in (first, second):
        page.locator(f"#note-{note.pk} a", has_text="Modifier").click()
    second.locator(f"#edit-text-{note.pk}").fill("Version de la coordination")
    second.locator(f"#note-{note.pk} button", has_text="Enregistrer").click()
    second.locator(f"#note-{note.pk}", has_text="Version de la coordination").wait_for()
    first.locator(f"#edit-text-{note.pk}").fill("Version de l'animatrice")
    first.locator(f"#note-{note.pk} button", has_text="Enregistrer").click()
    conflict = first.locator(f"#note-{note.pk}.note-conflict")
    conflict.wait_for()
    assert "Version de la coordination" in conflict.locator(".conflict-theirs").inner_text()
    assert "Version de l'animatrice" in conflict.locator(".conflict-mine").inner_text()
    assert_accessible(first)
    note.refresh_from_db()
    assert note.text == "Version de la coordination"


def test_a_deletion_can_be_undone_from_the_keyboard(open_board, world):
    note = world.a.notes[0]
    page = open_board(world.users.animator, world.a.groups[0])
    page.locator(f"#note-{note.pk} button", has_text="Supprimer").focus()
    page.keyboard.press("Enter")
    undo = page.locator(f"#note-{note.pk} button", has_text="Annuler la suppression")
    undo.wait_for()
    assert page.evaluate("document.activeElement.textContent") == "Annuler la suppression"
    page.keyboard.press("Enter")
    page.locator(f"#note-{note.pk} .note-text", has_text="Note secrète A1").wait_for()
    note.refresh_from_db()
    assert note.deleted_at is None


def test_a_note_moves_from_the_keyboard_and_keeps_the_focus(open_board, world):
    question, note = world.a.question, world.a.notes[0]
    f.ContributionFactory(group=world.a.groups[0], question=question, text="Deuxième note")
    page = open_board(world.users.animator, world.a.groups[0])
    page.locator(f"#down-{note.pk}").focus()
    page.keyboard.press("Enter")
    page.locator(f"#notes-q{question.pk} li.note:nth-child(2)#note-{note.pk}").wait_for()
    # htmx gives the focus back at the swap and again at the settle (autofocus):
    # wait for the settle, or Shift+Tab may be undone by it.
    expect(page.locator(".htmx-settling, .htmx-swapping, .htmx-request")).to_have_count(0)
    expect(page.locator(f"#down-{note.pk}")).to_be_focused()
    page.keyboard.press("Shift+Tab")  # back to the "up" button, and up again
    assert page.evaluate("document.activeElement.id") == f"up-{note.pk}"
    page.keyboard.press("Enter")
    page.locator(f"#notes-q{question.pk} li.note:nth-child(1)#note-{note.pk}").wait_for()
    expect(page.locator(f"#up-{note.pk}")).to_be_focused()
    texts = [n.text for n in Contribution.objects.alive().board_order()]
    assert texts.index("Note secrète A1") < texts.index("Deuxième note")


def test_a_note_is_dragged_and_dropped_below_another(open_board, world):
    question, note = world.a.question, world.a.notes[0]
    for text in ["Deuxième note", "Troisième note"]:
        f.ContributionFactory(group=world.a.groups[0], question=question, text=text)
    page = open_board(world.users.animator, world.a.groups[0])
    third = page.locator(f"#notes-q{question.pk} li.note", has_text="Troisième note")
    page.locator(f"#note-{note.pk} .note-text").drag_to(third.locator(".note-text"))
    page.locator(f"#notes-q{question.pk} li.note:nth-child(3)#note-{note.pk}").wait_for()
    notes = Contribution.objects.alive().filter(group=world.a.groups[0], question=question)
    texts = [n.text for n in notes.board_order()]
    assert texts == ["Deuxième note", "Troisième note", "Note secrète A1"]
    # The list came back from the server: its buttons work as before.
    page.locator(f"#up-{note.pk}").click()
    page.locator(f"#notes-q{question.pk} li.note:nth-child(2)#note-{note.pk}").wait_for()


def test_without_javascript_notes_move_and_are_deleted_with_an_undo(open_board, world):
    question, note = world.a.question, world.a.notes[0]
    f.ContributionFactory(group=world.a.groups[0], question=question, text="Deuxième note")
    page = open_board(world.users.animator, world.a.groups[0], java_script_enabled=False)
    with page.expect_navigation():
        page.locator(f"#down-{note.pk}").click()
    assert saved_notes(page, question).all_inner_texts()[1].startswith("Note secrète A1")
    with page.expect_navigation():
        page.locator(f"#note-{note.pk} button", has_text="Supprimer").click()
    assert "Note supprimée" in page.locator(".undo-banner").inner_text()
    assert saved_notes(page, question).count() == 1
    with page.expect_navigation():
        page.locator(".undo-banner button", has_text="Annuler la suppression").click()
    assert saved_notes(page, question).count() == 2
    note.refresh_from_db()
    assert note.deleted_at is None and note.position == 2


def test_empty_note_is_refused_beside_the_field(open_board, world):
    page = open_board(world.users.animator, world.a.groups[0])
    field = new_note_field(page, world.a.question)
    field.fill("   ")
    field.press("Enter")
    error = page.locator(f"#err-q{world.a.question.pk}")
    assert error.inner_text() == "La note est vide."
    assert field.get_attribute("aria-invalid") == "true"


def test_board_and_overview_have_no_accessibility_violation(open_board, world, live_server):
    page = open_board(world.users.animator, world.a.groups[0])
    assert_accessible(page)
    page.locator(f"#note-{world.a.notes[0].pk} a", has_text="Modifier").click()
    page.locator(f"#edit-text-{world.a.notes[0].pk}").wait_for()
    assert_accessible(page)
    page.goto(f"/ateliers/{world.a.workshop.slug}/direct/")
    assert "Note secrète A1" in page.content()
    assert_accessible(page)
    read_only = open_board(world.users.other_animator, world.a.groups[0])
    assert "Lecture seule" in read_only.content()
    assert_accessible(read_only)


def test_the_board_goes_on_when_redis_goes_down(open_board, world, on_redis):
    """F13 in the browser: the cache, the broker and the sessions' old home
    vanish mid-workshop; the animator types on as if nothing happened."""
    page = open_board(world.users.animator, world.a.groups[0])
    field = new_note_field(page, world.a.question)
    field.fill("Avant la panne")
    field.press("Enter")
    expect(page.locator("li.note-pending")).to_have_count(0)

    on_redis.kill()
    for text in ("Pendant la panne", "Toujours pendant la panne"):
        field.fill(text)
        field.press("Enter")
    expect(page.locator("li.note-pending")).to_have_count(0)
    expect(page.locator("#outbox-status")).not_to_contain_text("pas encore enregistrée")
    page.reload()  # a full page, its session and its rights, on the database alone
    texts = " ".join(saved_notes(page, world.a.question).all_inner_texts())
    for text in ("Avant la panne", "Pendant la panne", "Toujours pendant la panne"):
        assert text in texts
        assert Contribution.objects.filter(text=text).count() == 1

"""The board's outbox in Debian's Chromium, when it belongs to one person: an
animator moved to another group (F15), a shared computer (F14), a refusal
that must not hold up the next notes, and a session that ended."""

import json

import pytest
from playwright.sync_api import expect

from atelier.models import Contribution

from .browser import assert_accessible, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOTES = "**/groupes/*/notes/"


@pytest.fixture
def new_browser(browser, live_server):
    """A fresh browser context (its own localStorage): one computer."""
    contexts = []

    def new():
        # No service worker: requests it handles go around page.route, so a
        # save these tests refuse could reach the server once it has taken
        # control (test_board_browser covers the service worker itself).
        context = browser.new_context(
            locale="fr-FR", base_url=live_server.url, service_workers="block"
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context

    yield new
    for context in contexts:
        context.close()


def open_board(context, live_server, user, group, page=None):
    log_in(context, live_server, user)
    page = page or context.new_page()
    page.goto(f"/groupes/{group.pk}/")
    return page


def type_notes(page, question, *texts):
    field = page.locator(f"#new-text-q{question.pk}")
    for text in texts:
        field.fill(text)
        field.press("Enter")


def all_sent(page):
    # Locator waits only: the Content-Security-Policy forbids the eval that
    # wait_for_function needs.
    expect(page.locator("li.note-pending")).to_have_count(0, timeout=30_000)


def status_says(page, text):
    expect(page.locator("#outbox-status")).to_contain_text(text, timeout=30_000)


def outbox_keys(page):
    return page.evaluate(
        "Object.keys(localStorage).filter(k => k.startsWith('atelier-outbox')).sort()"
    )


def test_an_animator_moved_to_another_group_keeps_the_refused_notes_and_saves_the_new_ones(
    new_browser, live_server, world
):
    old, new = world.a.groups
    animator, question = world.users.animator, world.a.question
    context = new_browser()
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = open_board(context, live_server, animator, old)
    page.on("dialog", lambda dialog: dialog.accept())
    context.set_offline(True)
    type_notes(page, question, "Pour l'ancien groupe, une", "Pour l'ancien groupe, deux")
    # Meanwhile the coordination moves her to the other group of the round.
    old.animators.remove(animator)
    new.animators.add(animator)
    context.set_offline(False)

    refused = page.locator("#refused-list li")
    refused.nth(1).wait_for()
    assert page.locator("#refused-notes").is_visible()
    assert page.locator("#refused-title").inner_text() == "2 notes non enregistrées"
    assert refused.locator(".refused-text").all_inner_texts() == [
        "Pour l'ancien groupe, une",
        "Pour l'ancien groupe, deux",
    ]
    assert "Vous n'animez plus ce groupe" in refused.first.inner_text()
    assert page.locator("li.note-pending").count() == 0  # nothing left waiting, no block
    assert page.locator("#outbox-status").is_hidden()
    assert "reconnectez-vous" not in page.locator("body").inner_text()
    assert_accessible(page)

    refused.first.get_by_role("button", name="Copier le texte").click()
    refused.first.get_by_text("Texte copié.").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == "Pour l'ancien groupe, une"

    # On her new group's board the notes are saved at once, the refused ones still shown.
    open_board(context, live_server, animator, new, page)
    assert page.locator("#refused-list li").count() == 2
    assert "Groupe :" in page.locator("#refused-list li").first.inner_text()
    type_notes(page, question, "Pour le nouveau groupe")
    all_sent(page)
    saved = Contribution.objects.get(text="Pour le nouveau groupe")
    assert (saved.group, saved.author) == (new, animator)
    assert not Contribution.objects.filter(text__startswith="Pour l'ancien").exists()

    # Given back her old group, she resends one and discards the other.
    old.animators.add(animator)
    refused.first.get_by_role("button", name="Renvoyer").click()
    expect(page.locator("#refused-list li")).to_have_count(1)
    expect(page.locator("#outbox-status")).to_be_hidden()  # sent: nothing waits
    resent = Contribution.objects.get(text="Pour l'ancien groupe, une")
    assert (resent.group, resent.author) == (old, animator)
    page.locator("#refused-list li").get_by_role("button", name="Effacer").click()
    page.locator("#refused-notes").wait_for(state="hidden")
    assert outbox_keys(page) == []
    assert not Contribution.objects.filter(text="Pour l'ancien groupe, deux").exists()


def test_a_refused_note_never_holds_up_the_next_ones(new_browser, live_server, world):
    context = new_browser()
    page = open_board(context, live_server, world.users.animator, world.a.groups[0])
    context.set_offline(True)
    type_notes(page, world.a.question, "Refusée par le serveur", "Passe après", "Et celle-ci")

    def refuse_the_first(route):
        if "Refus" in (route.request.post_data or ""):
            body = json.dumps({"errors": {"text": ["Refus de test."]}})
            route.fulfill(status=422, content_type="application/json", body=body)
        else:
            route.continue_()

    page.route(NOTES, refuse_the_first)
    context.set_offline(False)
    all_sent(page)
    assert page.locator("#refused-list li .refused-text").all_inner_texts() == [
        "Refusée par le serveur"
    ]
    assert "Refus de test." in page.locator("#refused-list li").inner_text()
    stored = Contribution.objects.filter(group=world.a.groups[0]).order_by("created_at")
    assert [n.text for n in stored][-2:] == ["Passe après", "Et celle-ci"]
    page.reload()  # the refused note is kept by the browser, not sent again by itself
    assert page.locator("#refused-list li .refused-text").all_inner_texts() == [
        "Refusée par le serveur"
    ]
    assert not Contribution.objects.filter(text="Refusée par le serveur").exists()


def test_an_ended_session_keeps_the_notes_waiting_until_she_logs_in_again(
    new_browser, live_server, world, settings
):
    context = new_browser()
    animator = world.users.animator
    page = open_board(context, live_server, animator, world.a.groups[0])
    context.clear_cookies(name=settings.SESSION_COOKIE_NAME)  # the session ended
    type_notes(page, world.a.question, "Écrite après la fin de session")
    status = page.locator("#outbox-status")
    status_says(page, "reconnectez-vous")
    assert status.inner_text().startswith("1 note pas encore enregistrée")
    assert page.locator("li.note-pending").count() == 1
    assert page.locator("#refused-notes").is_hidden()
    log_in(context, live_server, animator)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    all_sent(page)
    assert Contribution.objects.filter(text="Écrite après la fin de session").count() == 1


def test_on_a_shared_computer_notes_waiting_at_logout_stay_with_their_author(
    new_browser, live_server, world
):
    """F14: A logs out with a note waiting, B logs in on the same browser."""
    group, question = world.a.groups[0], world.a.question
    first, second = world.users.animator, world.users.coordinator  # both write on group A1
    context = new_browser()
    page = open_board(context, live_server, first, group)
    page.route(NOTES, lambda route: route.abort())  # saves fail for now
    type_notes(page, question, "Note de A en attente")
    status_says(page, "1 note pas encore enregistrée")

    page.get_by_role("button", name="Se déconnecter").click()
    dialog = page.locator("#logout-dialog")
    dialog.wait_for()
    assert "1 note de ce navigateur n'est pas encore enregistrée." in dialog.inner_text()
    assert_accessible(page)
    dialog.get_by_role("button", name="Rester sur le tableau").click()
    assert dialog.is_hidden() and page.url.endswith(f"/groupes/{group.pk}/")
    page.get_by_role("button", name="Se déconnecter").click()
    with page.expect_navigation():
        dialog.get_by_role("button", name="Me déconnecter en les gardant pour moi").click()
    page.unroute(NOTES)
    assert not Contribution.objects.filter(text="Note de A en attente").exists()

    # B on the same browser: never sees A's note, never sends it.
    open_board(context, live_server, second, group, page)
    type_notes(page, question, "Note de B")
    all_sent(page)
    page.wait_for_timeout(1_000)  # a flush would have sent A's note by now
    assert page.locator("#outbox-status").is_hidden()
    assert page.locator("#refused-notes").is_hidden()
    assert "Note de A en attente" not in page.content()
    assert not Contribution.objects.filter(text="Note de A en attente").exists()
    assert Contribution.objects.get(text="Note de B").author == second
    with page.expect_navigation():  # nothing waiting: no question asked
        page.get_by_role("button", name="Se déconnecter").click()
    assert page.locator("#logout-dialog").count() == 0  # the home page

    # A back on the same browser: her note is there, and saved under her name.
    open_board(context, live_server, first, group, page)
    all_sent(page)
    page.locator("li.note[data-note-id] .note-text", has_text="Note de A en attente").wait_for()
    assert Contribution.objects.get(text="Note de A en attente").author == first
    assert outbox_keys(page) == []


def test_a_note_is_never_saved_under_the_session_of_someone_who_logged_in_meanwhile(
    new_browser, live_server, world
):
    """The author check on the server: A's page still open, B logged in in another tab."""
    group, question = world.a.groups[0], world.a.question
    first, second = world.users.animator, world.users.coordinator
    context = new_browser()
    page = open_board(context, live_server, first, group)
    page.route(NOTES, lambda route: route.abort())
    type_notes(page, question, "Tapée par A")
    log_in(context, live_server, second)  # the cookie the browser sends is now B's
    page.unroute(NOTES)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    status_says(page, "une autre personne est connectée dans ce navigateur")
    assert page.locator("li.note-pending").count() == 1  # kept for A, not refused
    assert not Contribution.objects.filter(text="Tapée par A").exists()
    log_in(context, live_server, first)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    all_sent(page)
    assert Contribution.objects.get(text="Tapée par A").author == first

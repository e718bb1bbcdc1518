"""The main pages in Debian's Chromium under the Content-Security-Policy: nothing
blocked, no script error, while the page's scripts and htmx do their work."""

import pytest

from atelier.models import Contribution

from .browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Runs before any script of the page: every violation the browser reports.
LISTEN = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  const where = `${event.sourceFile}:${event.lineNumber}`;
  window.__cspViolations.push(
    `${event.effectiveDirective} blocked ${event.blockedURI || "inline"} in ${where}`
  );
});
"""


@pytest.fixture
def open_page(browser, live_server):
    """Open a path as a user (None: anonymous) with every problem recorded."""
    opened = []

    def open_as(user, path):
        context = browser.new_context(locale="fr-FR", base_url=live_server.url)
        if user is not None:
            log_in(context, live_server, user)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.add_init_script(LISTEN)
        problems = []

        def on_console(message):
            # The admin's pages name no icon, so Chromium asks for /favicon.ico.
            if message.location.get("url", "").endswith("/favicon.ico"):
                return
            if message.type == "error" or "policy" in message.text.lower():
                problems.append(message.text)

        page.on("console", on_console)
        page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
        page.goto(path)
        page.wait_for_load_state("networkidle")
        opened.append((context, page, problems))
        return page

    yield open_as
    for context, _, _ in opened:
        context.close()
    # Nothing was blocked nor broken on any page the test opened.
    for _, page, problems in opened:
        if not page.is_closed():
            problems += page.evaluate("window.__cspViolations")
        assert problems == [], (page.url, problems)


def no_violation(page):
    assert page.evaluate("window.__cspViolations") == []


def test_home_and_published_synthesis(open_page, world):
    page = open_page(None, f"/ateliers/{world.national.workshop.slug}/synthese/")
    assert "Énoncé secret N" in page.content()
    no_violation(page)
    page = open_page(world.users.animator, "/")
    assert page.locator("h2#my-groups").inner_text() == "Mes groupes"
    no_violation(page)


def test_board_saves_a_note_and_opens_an_edit(open_page, world):
    question = world.a.question
    page = open_page(world.users.animator, f"/groupes/{world.a.groups[0].pk}/")
    field = page.locator(f"#new-text-q{question.pk}")
    field.fill("Une note sous la politique de sécurité")
    field.press("Enter")
    saved = page.locator(f"#notes-q{question.pk} li.note[data-note-id]")
    saved.filter(has_text="Une note sous la politique").wait_for()
    assert Contribution.objects.filter(text="Une note sous la politique de sécurité").exists()
    # An htmx swap: the edit form of the first note, with its live preview.
    saved.first.get_by_role("link", name="Modifier").first.click()
    page.locator(".note-edit-form").first.wait_for()
    no_violation(page)


def test_editor_and_its_htmx_panels(open_page, world):
    page = open_page(
        world.users.coordinator, f"/ateliers/{world.a.workshop.slug}/synthese/edition/"
    )
    assert "Énoncé brouillon A" in page.content()
    no_violation(page)


def test_dashboard_and_its_charts(open_page, world):
    page = open_page(world.users.delegate_a, f"/territoires/{world.territories.region_a.pk}/")
    assert "Hauts-de-France" in page.content()
    no_violation(page)


def test_admin(open_page, world):
    page = open_page(world.users.coordinator, "/admin/atelier/contribution/")
    assert "Note secrète A1" in page.content()
    no_violation(page)

"""Keyboard use and accessibility scans in Debian's Chromium."""

import pytest

from web import demo

from .browser import assert_accessible, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_login_with_the_keyboard_only(page, world, live_server):
    page.goto("/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Aller au contenu"
    page.goto("/connexion/")
    page.locator("#id_username").focus()
    page.keyboard.type("anim")
    page.keyboard.press("Tab")
    page.keyboard.type("un-mot-de-passe-solide")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/")
    assert page.locator("h2#my-groups").inner_text() == "Mes groupes"


def test_skip_link_moves_focus_to_the_content(page, world):
    page.goto("/")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "contenu"


def test_login_errors_are_announced_and_accessible(page, world):
    page.goto("/connexion/")
    page.fill("#id_username", "anim")
    page.fill("#id_password", "faux")
    page.click("button[type=submit]:has-text('Se connecter')")
    alert = page.locator("[role=alert]")
    assert "mot de passe valides" in alert.inner_text()
    assert_accessible(page)


@pytest.mark.parametrize("role", ["anonymous", "animator", "coordinator", "delegate_a"])
def test_home_has_no_accessibility_violation(page, world, client, live_server, role):
    if role != "anonymous":
        log_in(page.context, live_server, getattr(world.users, role))
    page.goto("/")
    assert_accessible(page)


def test_workshop_page_has_no_accessibility_violation(page, world, client, live_server):
    log_in(page.context, live_server, world.users.coordinator)
    page.goto("/ateliers/atelier-a/")
    assert "Consigne A" in page.content()
    assert_accessible(page)


def test_seed_synthesis_page_has_no_accessibility_violation(page, transactional_db):
    demo.load()
    page.goto("/ateliers/grand-atelier-atc-2021/synthese/")
    assert page.locator("h3").count() == 5
    assert_accessible(page)


def test_language_switcher_works_from_the_keyboard(page, world):
    page.goto("/connexion/")
    page.locator("#language-select").focus()
    page.keyboard.press("ArrowDown")
    assert page.locator("#language-select").input_value() == "en"
    page.keyboard.press("Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Log in"


def test_admin_index_has_no_accessibility_violation(page, world, client, live_server):
    log_in(page.context, live_server, world.users.coordinator)
    page.goto("/admin/")
    assert_accessible(page)


def test_territory_dashboard_has_no_accessibility_violation(page, world, live_server):
    world.a.notes[0].themes.add(world.theme)
    log_in(page.context, live_server, world.users.delegate_a)
    page.goto("/")
    page.get_by_role("link", name="Hauts-de-France").click()
    assert page.locator("svg.bar-chart").count() == 3
    assert_accessible(page)


def test_trends_page_has_no_accessibility_violation(page, world, live_server):
    world.a.notes[1].themes.add(world.theme)
    log_in(page.context, live_server, world.users.coordinator)
    page.goto("/tendances/")
    assert "Thème matrice" in page.content()
    assert_accessible(page)


def test_search_page_has_no_accessibility_violation(page, world, live_server):
    log_in(page.context, live_server, world.users.coordinator)
    page.goto("/recherche/?q=secret")
    assert page.locator("mark").count() > 0
    assert_accessible(page)


def test_split_and_no_javascript_pages_have_no_accessibility_violation(page, world, live_server):
    log_in(page.context, live_server, world.users.coordinator)
    statement = world.a.draft_statement
    for url in [
        f"/enonces/{statement.pk}/scinder/",
        f"/enonces/{statement.pk}/modifier/",
        f"/enonces/{statement.pk}/sources/",
        f"/notes/{world.a.notes[0].pk}/modifier/",
        f"/participants/{world.a.person.pk}/modifier/",
    ]:
        page.goto(url)
        assert_accessible(page)

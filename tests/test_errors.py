"""The error pages: French, in the site's layout, and short for htmx."""

import pytest
from django.test import RequestFactory

from web import views

pytestmark = pytest.mark.django_db

HEADER = '<header class="site-header">'


def test_not_found_is_a_french_page_in_the_site_layout(world, as_user):
    response = as_user(world.users.animator).get("/ateliers/nulle-part/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "Page introuvable" in page
    assert "Cette page n'existe pas, ou plus." in page
    assert HEADER in page and "Retour à l'accueil" in page
    assert 'lang="fr"' in page


def test_forbidden_is_a_french_page_in_the_site_layout(world, as_user):
    response = as_user(world.users.animator).get("/ateliers/nouveau/")
    assert response.status_code == 403
    page = response.content.decode()
    assert "Accès refusé" in page
    assert "Vous n'avez pas le droit d'ouvrir cette page." in page
    assert HEADER in page and "Retour à l'accueil" in page


@pytest.mark.parametrize(
    "url, status, text",
    [
        ("/ateliers/nulle-part/", 404, "Cette page n'existe pas, ou plus."),
        ("/ateliers/nouveau/", 403, "Vous n'avez pas le droit d'ouvrir cette page."),
    ],
)
def test_htmx_requests_get_a_french_fragment(world, as_user, url, status, text):
    response = as_user(world.users.animator).get(url, headers={"HX-Request": "true"})
    assert response.status_code == status
    fragment = response.content.decode()
    assert text in fragment
    assert '<div class="error-message" role="alert">' in fragment
    assert "<html" not in fragment and HEADER not in fragment and "<h1>" not in fragment


def test_server_error_page_needs_no_database(django_assert_num_queries):
    with django_assert_num_queries(0):
        response = views.server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    page = response.content.decode()
    assert "Erreur du serveur" in page and HEADER in page
    assert 'href="/"' in page


def test_server_error_for_htmx_is_a_fragment():
    request = RequestFactory().get("/", headers={"HX-Request": "true"})
    request.htmx = True
    fragment = views.server_error(request).content.decode()
    assert "Une erreur inattendue" in fragment and "<html" not in fragment


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_htmx_shows_refusals_in_the_alert_area_and_clears_them(page, world, live_server):
    from playwright.sync_api import expect

    from atelier.models import Role

    from . import factories as f
    from .browser import log_in

    coordinator = world.users.coordinator
    kept = f.ParticipantFactory(workshop=world.a.workshop, first_name="Gardée", last_name="Là")
    log_in(page.context, live_server, coordinator)
    page.goto(f"/ateliers/{world.a.workshop.slug}/participants/")
    alerts = page.locator("#htmx-alerts")
    expect(alerts).to_be_hidden()

    # Another coordinator removed this person meanwhile: "Modifier" answers 404.
    edit_gone = page.locator(f"#person-{world.a.person.pk} a", has_text="Modifier")
    edit_gone.wait_for()
    world.a.person.delete()
    edit_gone.click()
    expect(alerts).to_contain_text("Cette page n'existe pas, ou plus.")
    expect(alerts.get_by_role("alert")).to_be_visible()

    # This coordinator is now an animator of the workshop: 403, said in French.
    coordinator.role = Role.ANIMATOR
    coordinator.save()
    world.a.groups[0].animators.add(coordinator)
    edit_kept = page.locator(f"#person-{kept.pk} a", has_text="Modifier")
    edit_kept.click()
    expect(alerts).to_contain_text("Vous n'avez pas le droit d'ouvrir cette page.")
    expect(alerts).not_to_contain_text("Cette page n'existe pas")  # one message at a time

    # The role back, the same link works: its form opens and the alert goes.
    coordinator.role = Role.COORDINATOR
    coordinator.save()
    edit_kept.click()
    page.locator(f"#person-{kept.pk}.editing").wait_for()
    expect(alerts).to_be_hidden()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_htmx_shows_the_generic_message_for_a_proxy_error(page, world, live_server):
    from playwright.sync_api import expect

    from .browser import log_in

    log_in(page.context, live_server, world.users.coordinator)
    # A proxy in front of Atelier answers 502 with a page of its own.
    page.route("**/modifier/", lambda route: route.fulfill(status=502, body="<h1>Bad Gateway</h1>"))
    page.goto(f"/ateliers/{world.a.workshop.slug}/participants/")
    page.locator(f"#person-{world.a.person.pk} a", has_text="Modifier").click()
    alerts = page.locator("#htmx-alerts")
    expect(alerts).to_contain_text("Une erreur inattendue nous empêche d'afficher cette page.")
    expect(alerts).not_to_contain_text("Bad Gateway")

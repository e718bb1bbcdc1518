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

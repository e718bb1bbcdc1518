"""The pages this project added without JavaScript or outside the main flows
(suggestions and granularity as pages of their own, the password pages, the
error pages): each has a query budget that does not grow with the data, and
no accessibility violation in Chromium."""

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from synthesis import similarity

from . import factories as f
from .browser import assert_accessible, log_in


@pytest.fixture(autouse=True)
def _lexical(settings):
    """The offline TF-IDF backend: the pages, not the encoders, are measured."""
    settings.DRAFTING_BACKEND = "lexical"
    similarity.get_backend.cache_clear()
    yield
    similarity.get_backend.cache_clear()


def reset_url(user):
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return f"/mot-de-passe/{uid}/{default_token_generator.make_token(user)}/"


def coordinator_pages(world):
    slug = world.a.workshop.slug
    return [
        f"/ateliers/{slug}/synthese/rapprochements/",
        f"/ateliers/{slug}/synthese/brouillon/finesse/",
    ]


PUBLIC_PAGES = ["/mot-de-passe/oublie/", "/mot-de-passe/envoye/", "/mot-de-passe/fait/"]


def grow(world):
    """More statements and notes in the editable revision of workshop A."""
    section = world.a.draft_statement.section
    for i in range(15):
        statement = f.StatementFactory(section=section, text=f"Énoncé ajouté {i}", order=10 + i)
        statement.sources.add(
            f.ContributionFactory(
                group=world.a.groups[i % 2], question=world.a.question, text=f"Note {i}"
            )
        )


@pytest.mark.django_db
@pytest.mark.parametrize("index", [0, 1])
def test_coordinator_pages_keep_their_query_budget(
    world, as_user, index, django_assert_max_num_queries
):
    client = as_user(world.users.coordinator)
    url = coordinator_pages(world)[index]
    with django_assert_max_num_queries(20):
        assert client.get(url).status_code == 200
    grow(world)
    with django_assert_max_num_queries(20):
        assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_password_and_error_pages_keep_their_query_budget(
    world, client, django_assert_max_num_queries
):
    for url in [*PUBLIC_PAGES, reset_url(world.users.animator), "/ateliers/inconnu/"]:
        # At most: the user, the session written by the reset link's redirect.
        with django_assert_max_num_queries(8):
            response = client.get(url, follow=True)
        assert response.status_code in (200, 404), url


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_coordinator_pages_have_no_accessibility_violation(page, live_server, world):
    log_in(page.context, live_server, world.users.coordinator)
    for url in coordinator_pages(world):
        page.goto(url)
        assert_accessible(page)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_password_and_error_pages_have_no_accessibility_violation(page, live_server, world):
    for url in [*PUBLIC_PAGES, reset_url(world.users.animator), "/ateliers/inconnu/"]:
        page.goto(url)
        assert_accessible(page)
    log_in(page.context, live_server, world.users.animator)
    response = page.goto("/ateliers/nouveau/")  # animators may not open it: the French 403
    assert response.status == 403 and "Accès refusé" in page.content()
    assert_accessible(page)

"""Content-Security-Policy and Permissions-Policy on every kind of page, and no
inline script, handler or style attribute in the templates for them to block."""

import re
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db


def pages(world):
    """(role, path, status): one page of each kind."""
    a = world.a
    return [
        ("anonymous", "/", 200),
        ("anonymous", "/connexion/", 200),
        ("anonymous", f"/ateliers/{world.national.workshop.slug}/synthese/", 200),  # public page
        ("animator", "/", 200),
        ("animator", f"/groupes/{a.groups[0].pk}/", 200),  # board
        ("coordinator", f"/ateliers/{a.workshop.slug}/synthese/edition/", 200),  # editor
        ("delegate_a", f"/territoires/{world.territories.region_a.pk}/", 200),  # dashboard
        ("coordinator", "/admin/", 200),
        ("anonymous", "/admin/login/", 200),
        ("animator", "/ateliers/nouveau/", 403),
        ("animator", "/ateliers/nulle-part/", 404),
        ("anonymous", "/health/", 200),
    ]


def policy(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    return {
        name: values
        for name, *values in (directive.split() for directive in header.split(";") if directive)
    }


def assert_protected(response):
    csp = policy(response)
    assert csp["default-src"] == ["'self'"]
    # Our own files, plus the response's nonce where a page used one (htmx's tag).
    assert csp["script-src"][0] == "'self'"
    assert all(value.startswith("'nonce-") for value in csp["script-src"][1:])
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response.headers["Content-Security-Policy"]
    assert csp["style-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"] and csp["frame-ancestors"] == ["'none'"]
    permissions = response.headers["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()"):
        assert feature in permissions
    # The time spent in Django, for the browsers' tools and the bench.
    assert re.fullmatch(r"app;dur=\d+\.\d", response.headers["Server-Timing"])


def test_every_kind_of_page_carries_both_policies(world, as_user):
    for role, path, status in pages(world):
        user = None if role == "anonymous" else getattr(world.users, role)
        response = as_user(user).get(path)
        assert response.status_code == status, path
        assert_protected(response)


def test_the_htmx_script_carries_the_nonce_of_its_response(world, as_user):
    response = as_user(world.users.animator).get(f"/groupes/{world.a.groups[0].pk}/")
    nonce = policy(response)["script-src"][1].removeprefix("'nonce-").removesuffix("'")
    page = response.content.decode()
    assert re.search(rf'<script[^>]+src="[^"]*htmx[^"]*"[^>]*nonce="{re.escape(nonce)}"', page) or (
        re.search(rf'<script[^>]+nonce="{re.escape(nonce)}"[^>]+src="[^"]*htmx', page)
    )
    # A new nonce for every response: one seen in a page is no key to the next.
    again = as_user(world.users.animator).get(f"/groupes/{world.a.groups[0].pk}/")
    assert policy(again)["script-src"][1] != policy(response)["script-src"][1]


def test_htmx_does_not_inject_its_indicator_style(world, as_user):
    page = as_user(world.users.animator).get("/").content.decode()
    assert '"includeIndicatorStyles": false' in page


def test_the_server_error_page_carries_both_policies(world, client, monkeypatch):
    class BrokenConnection:
        def cursor(self):
            raise RuntimeError("the database is gone")

    monkeypatch.setattr("web.views.connection", BrokenConnection())
    client.raise_request_exception = False
    response = client.get("/health/")
    assert response.status_code == 500 and "Erreur du serveur" in response.content.decode()
    assert_protected(response)


TEMPLATES = sorted(Path(settings.BASE_DIR, "templates").rglob("*.html"))
INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "an inline <script>"),
    (re.compile(r"<[^>]+\son[a-z]+\s*=", re.I), "an inline event handler"),
    (re.compile(r"<[^>]+\sstyle\s*=", re.I), "a style attribute"),
    (re.compile(r"<style\b", re.I), "a <style> element"),
    (re.compile(r"javascript:", re.I), "a javascript: URL"),
]


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(p.parents[1])))
def test_templates_hold_nothing_the_policy_would_block(path):
    text = path.read_text()
    for pattern, what in INLINE:
        assert not pattern.search(text), f"{path.name} holds {what}"


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(p.parents[1])))
def test_template_comments_stay_on_one_line(path):
    # Django's {# #} ends at the line's end: a comment over several lines is
    # printed into the page as text ({% comment %} is the multi-line form).
    for number, line in enumerate(path.read_text().splitlines(), 1):
        assert "{#" not in line or "#}" in line, (
            f"{path.name}:{number} opens a {{# comment it never closes"
        )

"""Every page a role may open is reachable by links from the home page.

The pages are those of the permission matrix (tests/test_permission_matrix.py):
each pattern is requested with GET as the role, at the address of its row;
a full HTML page answered 200 is a page the role may open, and a crawl that
follows the `<a href>` of every page from `/` as that role must reach that
pattern. The patterns that are not pages are listed below with why, and a
test checks that each still answers as its reason says.
"""

import re
from functools import cache

import pytest
from django.urls import Resolver404, resolve

from . import test_permission_matrix as matrix

# Forms post there (GET answers 405): nobody opens them.
POST_ONLY = {
    "logout",
    "set_language",
    "workshop_archive",
    "round_add",
    "round_edit",
    "round_move",
    "round_remove",
    "question_add",
    "question_edit",
    "question_move",
    "question_remove",
    "overview_round",
    "participant_delete",
    "group_move",
    "animator_invite",
    "group_lock",
    "group_animators",
    "name_alias_delete",
    "note_create",
    "note_delete",
    "note_restore",
    "note_move",
    "note_theme_add",
    "note_theme_remove",
    "markup_preview",
    "search_tag",
    "follow_up",
    "synthesis_draft",
    "synthesis_assisted_grouping",
    "synthesis_new_revision",
    "synthesis_status",
    "synthesis_section_action",
    "synthesis_attach",
    "synthesis_suggestion_accept",
    "synthesis_suggestion_dismiss",
    "statement_reorder",
    "statement_remove",
    "statement_accept_label",
    "statement_comment",
    "comment_resolve",
    "export_request",
}
# Files, not pages: they are downloaded from a link, never read as HTML.
DOWNLOADS = {
    "roster_export",
    "groups_export",
    "territory_csv",
    "export_download",
    "service_worker",
    "logo",
}
# Parts of a page that htmx swaps in (polls, inline panels): never a page alone.
FRAGMENTS = {
    "export_panel",
    "board_changes",
    "note_detail",
    "synthesis_draft_job",
    "statement_detail",
}
# Pages for people who are not logged in: a logged-in person has no link to them.
LOGGED_OUT_ONLY = {"login", "password_reset"}
# Pages no link leads to, on purpose.
NOT_BY_LINK = {
    "health": "for load balancers: a plain 'ok'",
    "admin:*": "Django's admin: linked as « Administration », it has its own navigation",
    "password_reset_confirm": "opened from the link of an e-mail (invitation, forgotten password)",
    "password_reset_done": "the answer to the forgotten-password form",
    "password_reset_complete": "the answer to the new-password form",
    # Reached by the journey (tests/test_journeys_browser.py): the world's draft is not approved.
    "synthesis_publish": "linked (« Publier… ») from the editor once the revision is approved",
}
# Never followed: side effects, files and the admin's hundreds of pages.
CRAWL_SKIP = ("/admin/", "/i18n/", "/media/", "/static/", "/deconnexion/", "/sw.js")
MAX_PAGES = 600


def links(body):
    """The site's own links of a page (href="/…"), without their fragment."""
    hrefs = re.findall(r'<a [^>]*href="(/[^"]*)"', body)
    return [href.split("#")[0].replace("&amp;", "&") for href in hrefs]


def crawl(client):
    """Follow every link from `/`: {pattern name reached}, the links that led
    nowhere (not 200), and how many addresses were opened."""
    seen, frontier, reached, dead_ends = {"/"}, ["/"], set(), []
    while frontier and len(seen) < MAX_PAGES:
        url = frontier.pop()
        response = client.get(url)
        if response.status_code != 200:
            dead_ends.append((url, response.status_code))
            continue
        reached.add(pattern_name(url))
        if "text/html" not in response.get("Content-Type", ""):
            continue
        for href in links(response.content.decode()):
            if href not in seen and not href.startswith(CRAWL_SKIP):
                seen.add(href)
                frontier.append(href)
    return reached, dead_ends, len(seen)


def pattern_name(url):
    try:
        match = resolve(url.split("?")[0])
    except Resolver404:
        return None
    return match.view_name


@cache
def excluded():
    return POST_ONLY | DOWNLOADS | FRAGMENTS | set(NOT_BY_LINK)


def page_candidates():
    return [name for name in matrix.MATRIX if name not in excluded()]


def rich_world(world):
    """The shared world with one of each kind of thing a page lists: a
    published synthesis and a draft (the world's), a finished export, a
    followed-up commitment, a theme in use, other names of an actor type and
    a territory. Returns {pattern name: the address its matrix row requests}."""
    from atelier.models import ActorTypeAlias
    from synthesis.models import FollowUp
    from territories.models import TerritoryAlias

    from . import factories as f

    matrix.done_export(world)
    commitment = matrix.commitment_a(world)
    FollowUp.objects.create(statement=commitment, status="doing", by=world.users.coordinator)
    ActorTypeAlias.objects.create(actor_type=f.ActorTypeFactory(name="Habitant·e"), name="Hab")
    TerritoryAlias.objects.create(territory=world.territories.dept_a, name="CD59")
    return {name: matrix.MATRIX[name].url(world) for name in page_candidates()}


def is_page(response):
    return (
        response.status_code == 200
        and "text/html" in response.get("Content-Type", "")
        and "<html" in response.content.decode()[:500]
    )


@pytest.mark.django_db
@pytest.mark.parametrize("role", matrix.ROLES)
def test_every_page_a_role_may_open_is_reachable_by_links_from_home(world, as_user, role):
    addresses = rich_world(world)
    user = None if role == "anonymous" else getattr(world.users, role)
    client = as_user(user)
    may_open = {name for name, url in addresses.items() if is_page(client.get(url))}
    if user is not None and user.is_active:
        may_open -= LOGGED_OUT_ONLY
    reached, dead_ends, opened = crawl(client)
    assert opened < MAX_PAGES, "the crawl stopped early: raise MAX_PAGES"
    assert sorted(may_open - reached) == [], role
    assert dead_ends == [], role


@pytest.mark.django_db
def test_each_role_opens_the_pages_of_its_job(world, as_user):
    """A sample of what each role opens, so that a page wrongly refused to
    everybody cannot make the crawl above pass by having nothing to reach."""
    addresses = rich_world(world)
    expected = {
        "animator": {"workshop", "board", "overview", "synthesis", "search"},
        "delegate_a": {"workshop", "synthesis", "territory", "search"},
        "coordinator": {
            "workshop_create",
            "workshop_settings",
            "roster",
            "roster_import",
            "name_aliases",
            "participant_edit",
            "round_groups",
            "board",
            "note_edit",
            "overview",
            "synthesis_editor",
            "synthesis_history",
            "statement_split",
            "territory",
            "trends",
        },
        "anonymous": {"home", "login", "password_reset", "search"},
    }
    for role, names in expected.items():
        user = None if role == "anonymous" else getattr(world.users, role)
        client = as_user(user)
        opened = {name for name, url in addresses.items() if is_page(client.get(url))}
        assert names - opened == set(), role


@pytest.mark.django_db
def test_the_patterns_left_out_of_the_crawl_answer_as_their_reason_says(world, as_user):
    client = as_user(world.users.coordinator)
    assert excluded() <= set(matrix.MATRIX), sorted(excluded() - set(matrix.MATRIX))
    for name in sorted(POST_ONLY):
        row = matrix.MATRIX[name]
        if callable(row.data):
            row.data(world)  # some addresses name what the data makes
        assert row.method == "post", name
        # Django's set_language sends a GET back where it came from, unchanged.
        expected = 302 if name == "set_language" else 405
        assert client.get(row.url(world)).status_code == expected, name
    for name in sorted(DOWNLOADS | FRAGMENTS):
        response = client.get(matrix.MATRIX[name].url(world))
        assert not is_page(response), name


@pytest.mark.django_db
def test_the_hub_never_shows_two_links_called_settings(world, as_user):
    """The app's settings page and the admin's were both « Réglages… »."""
    body = as_user(world.users.superuser).get(f"/ateliers/{world.a.workshop.slug}/").content
    hub = body.decode()
    assert hub.count(">Réglages<") == 1
    assert "Ouvrir dans l'administration" in hub

"""The open-data API (/api/v1/), its tokens and its pages: who sees what
(anonymous, a token of each role, a revoked token), nothing personal and no
note text in any answer, pagination and filters, ETags, the rate limit, query
budgets that do not grow with the data, and the pages' accessibility."""

import hashlib
import json

import pytest
from django.contrib.auth.models import AnonymousUser

from api.access import readable_syntheses
from api.models import Token
from atelier import markup
from atelier.permissions import can_read_published
from synthesis.models import Synthesis

from . import factories as f
from .browser import assert_accessible, log_in

ROLES = [
    "anonymous",
    "animator",
    "other_animator",
    "animator_elsewhere",
    "coordinator",
    "delegate_a",
    "delegate_b",
    "superuser",
]
# Slugs of the workshops (and so of the published syntheses) each role reads.
SEES = {
    "anonymous": {"atelier-n"},
    "animator": {"atelier-a", "atelier-n"},
    "other_animator": {"atelier-a", "atelier-n"},
    "animator_elsewhere": {"atelier-b", "atelier-n"},
    "coordinator": {"atelier-a", "atelier-b", "atelier-n"},
    "delegate_a": {"atelier-a", "atelier-n"},
    "delegate_b": {"atelier-b", "atelier-n"},
    "superuser": {"atelier-a", "atelier-b", "atelier-n"},
}
FIGURE_READERS = {"coordinator", "superuser", "delegate_a"}


def bearer(world, role):
    """Headers of a call with a fresh token of the role (none for anonymous)."""
    if role == "anonymous":
        return {}
    _token, secret = Token.issue(getattr(world.users, role), "tests")
    return {"Authorization": f"Bearer {secret}"}


def get(client, url, headers=None, **params):
    response = client.get(url, params, headers=headers or {})
    return response, (response.json() if response.content else None)


def slugs(body, key="workshop"):
    return {row[key] for row in body["results"]}


def strings(value) -> str:
    """Every string of a JSON document, one a line: what a reader gets."""
    if isinstance(value, dict):
        return "\n".join(strings(v) for v in [*value.keys(), *value.values()])
    if isinstance(value, list):
        return "\n".join(strings(v) for v in value)
    return str(value) if value is not None else ""


# --- The OpenAPI document -------------------------------------------------------------


def test_openapi_document_validates(client, db):
    from openapi_spec_validator import validate

    document = client.get("/api/v1/openapi.json").json()
    validate(document)
    paths = set(document["paths"])
    assert {
        "/api/v1/syntheses/",
        "/api/v1/syntheses/{slug}/",
        "/api/v1/statements/",
        "/api/v1/workshops/",
        "/api/v1/territories/",
        "/api/v1/territories/{territory_id}/figures/",
        "/api/v1/themes/",
    } <= paths
    # Read-only: not one operation writes.
    assert {method for item in document["paths"].values() for method in item} == {"get"}
    # The token is optional on every operation.
    operation = document["paths"]["/api/v1/syntheses/"]["get"]
    assert operation["security"] == [{"PersonalToken": []}, {}]
    statement = document["components"]["schemas"]["StatementOut"]["properties"]
    assert "support" in statement and "plain_text" in statement


def test_index_lists_the_endpoints(client, db):
    response, body = get(client, "/api/v1/")
    assert response.status_code == 200
    assert body["openapi"].endswith("/api/v1/openapi.json")
    assert body["endpoints"]["syntheses"].endswith("/api/v1/syntheses/")


# --- Who sees what --------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_each_role_sees_through_a_token_what_it_sees_on_the_site(world, client, role):
    headers = bearer(world, role)
    response, body = get(client, "/api/v1/syntheses/", headers)
    assert response.status_code == 200
    assert slugs(body) == SEES[role]

    response, body = get(client, "/api/v1/workshops/", headers)
    assert slugs(body, "slug") == SEES[role]

    response, body = get(client, "/api/v1/statements/", headers)
    texts = {row["text"] for row in body["results"]}
    expected = {f"Énoncé secret {slug[-1].upper()}" for slug in SEES[role]}
    assert texts == expected  # never the draft's "Énoncé brouillon A"

    for slug in ["atelier-a", "atelier-b", "atelier-n"]:
        response, body = get(client, f"/api/v1/syntheses/{slug}/", headers)
        if slug in SEES[role]:
            assert response.status_code == 200, slug
            statement = body["sections"][0]["statements"][0]
            assert statement["text"] == f"Énoncé secret {slug[-1].upper()}"
        else:
            assert response.status_code == 404, slug
            assert "Énoncé" not in response.content.decode()

    region = world.territories.region_a.pk
    response, body = get(client, f"/api/v1/territories/{region}/figures/", headers)
    if role in FIGURE_READERS:
        assert response.status_code == 200
        assert body["workshop_count"] == 1  # workshop A, in Roubaix
        assert body["notes_by_kind"] == [{"kind": "success_factor", "notes": 2}]
    else:
        assert response.status_code == 404

    # Reference data is public.
    assert get(client, "/api/v1/territories/", headers)[1]["count"] == 5
    assert get(client, "/api/v1/themes/", headers)[1]["results"][0]["slug"] == "theme-matrice"


def test_a_session_sees_what_its_user_sees(world, as_user):
    client = as_user(world.users.delegate_b)
    assert slugs(get(client, "/api/v1/syntheses/")[1]) == SEES["delegate_b"]


@pytest.mark.parametrize("kind", ["revoked", "deactivated", "unknown", "malformed"])
def test_a_dead_token_is_refused_not_served_as_anonymous(world, client, kind):
    token, secret = Token.issue(world.users.coordinator, "tests")
    header = f"Bearer {secret}"
    if kind == "revoked":
        token.revoke()
    elif kind == "deactivated":
        world.users.coordinator.is_active = False
        world.users.coordinator.save()
    elif kind == "unknown":
        header = "Bearer atl_inconnu"
    else:
        header = f"Token {secret}"
    for url in ["/api/v1/syntheses/", "/api/v1/workshops/", "/api/v1/themes/"]:
        response = client.get(url, headers={"Authorization": header})
        assert response.status_code == 401, url
        assert response["WWW-Authenticate"].startswith("Bearer"), url
        assert "Énoncé" not in response.content.decode()


@pytest.mark.parametrize("role", [*ROLES, "deactivated"])
def test_readable_syntheses_agree_with_the_site_rule(world, role):
    user = AnonymousUser() if role == "anonymous" else getattr(world.users, role)
    listed = set(readable_syntheses(user).values_list("workshop__slug", flat=True))
    published = Synthesis.objects.latest_published().select_related("workshop")
    assert listed == {s.workshop.slug for s in published if can_read_published(user, s.workshop)}


def test_no_note_text_nor_participant_in_the_world_answers(world, client):
    headers = bearer(world, "coordinator")
    region = world.territories.region_a.pk
    for url in [
        "/api/v1/syntheses/",
        "/api/v1/syntheses/atelier-a/",
        "/api/v1/statements/",
        "/api/v1/workshops/",
        f"/api/v1/territories/{region}/figures/",
    ]:
        body = client.get(url, headers=headers).content.decode()
        assert "Note secrète" not in body and "Personne" not in body, url


# --- Demo data: nothing personal, no note --------------------------------------------


@pytest.fixture
def demo(db):
    from web import demo

    demo.load()
    demo.load_local()


def all_answers(client, headers):
    """Every list (every page) and every detail of the API, as one text."""
    from atelier.models import Workshop
    from territories.models import Territory

    seen = []

    def crawl(url):
        while url:
            body = client.get(url, headers=headers).json()
            seen.append(body)
            url = body.get("next")

    for url in ["/api/v1/", "/api/v1/syntheses/", "/api/v1/statements/", "/api/v1/workshops/"]:
        crawl(url + "?limit=200")
    for url in ["/api/v1/territories/?limit=200", "/api/v1/themes/?limit=200"]:
        crawl(url)
    for workshop in Workshop.objects.all():
        seen.append(client.get(f"/api/v1/syntheses/{workshop.slug}/", headers=headers).json())
        seen.append(client.get(f"/api/v1/workshops/{workshop.slug}/", headers=headers).json())
    for territory in Territory.objects.exclude(workshops=None):
        url = f"/api/v1/territories/{territory.pk}/figures/"
        seen.append(client.get(url, headers=headers).json())
    return strings(seen)


def test_no_participant_data_nor_note_text_in_any_answer_on_the_demo(demo, client):
    from atelier.models import Contribution, Participant, User
    from synthesis.models import Statement

    # Give everybody an e-mail, so that the check is not vacuous.
    for participant in Participant.objects.all():
        participant.email = f"participant{participant.pk}@exemple.fr"
        participant.save(update_fields=["email"])
    User.objects.update(email="")
    for user in User.objects.all():
        user.email = f"{user.username}@exemple.fr"
        user.save(update_fields=["email"])

    names = {f"{p.first_name} {p.last_name}" for p in Participant.objects.all()}
    names |= {f"{p.last_name} {p.first_name}" for p in Participant.objects.all()}
    names |= {f"{u.first_name} {u.last_name}" for u in User.objects.exclude(first_name="")}
    emails = set(Participant.objects.values_list("email", flat=True))
    emails |= set(User.objects.values_list("email", flat=True))
    # A note the coordination copied word for word into a statement is
    # published as the statement, not as a note: those texts are left out.
    statements = set(Statement.objects.values_list("text", flat=True))
    statements |= {markup.plain(s) for s in statements}
    published = "\n".join(statements)
    notes = {
        text
        for text in Contribution.objects.values_list("text", flat=True)
        if text not in published
    }
    assert len(notes) > 100 and len(names) > 20

    for user in [None, *User.objects.all()]:
        headers = {}
        if user is not None:
            headers = {"Authorization": f"Bearer {Token.issue(user, 'demo')[1]}"}
        text = all_answers(client, headers)
        assert "Énoncé" in text or "synth" in text  # the crawl did read something
        leaked = [n for n in names | emails if n in text]
        assert leaked == [], (user, leaked[:5])
        leaked_notes = [n for n in notes if n in text]
        assert leaked_notes == [], (user, leaked_notes[:3])


# --- Pagination and filters ---------------------------------------------------------


def test_pages_link_to_each_other_and_cover_every_row(world, client):
    for i in range(7):
        f.WorkshopFactory(title=f"Atelier public {i}", slug=f"public-{i}", is_public=True)
    response, body = get(client, "/api/v1/workshops/", limit=3)
    assert body["count"] == 8 and len(body["results"]) == 3 and body["previous"] is None
    seen = []
    url = "/api/v1/workshops/?limit=3"
    while url:
        body = client.get(url).json()
        seen += [row["slug"] for row in body["results"]]
        url = body["next"]
    assert len(seen) == 8 and set(seen) == {*(f"public-{i}" for i in range(7)), "atelier-n"}
    _, last = get(client, "/api/v1/workshops/", limit=3, offset=6)
    assert last["next"] is None and "offset=3" in last["previous"]
    assert get(client, "/api/v1/workshops/", limit=500)[0].status_code == 422


def test_filters_narrow_the_statements(world, client):
    headers = bearer(world, "coordinator")
    world.a.notes[0].themes.add(world.theme)

    def texts(**params):
        return {
            row["text"]
            for row in get(client, "/api/v1/statements/", headers, **params)[1]["results"]
        }

    # A territory covers everything beneath it: workshop A is in Roubaix, in Nord.
    assert texts(territory=world.territories.region_a.pk) == {"Énoncé secret A"}
    assert texts(territory=world.territories.dept_b.pk) == {"Énoncé secret B"}
    assert texts(theme="theme-matrice") == {"Énoncé secret A"}
    assert texts(kind="success_factor") == {"Énoncé secret A", "Énoncé secret B", "Énoncé secret N"}
    assert texts(kind="obstacle") == set()
    world.b.workshop.date = "2020-03-01"
    world.b.workshop.save()
    assert texts(date_to="2020-12-31") == {"Énoncé secret B"}
    assert "Énoncé secret B" not in texts(date_from="2021-01-01")
    assert get(client, "/api/v1/statements/", headers, theme="inconnu")[0].status_code == 400
    assert get(client, "/api/v1/statements/", headers, date_from="hier")[0].status_code == 400
    assert get(client, "/api/v1/statements/", headers, kind="secret")[0].status_code == 422

    syntheses = get(client, "/api/v1/syntheses/", headers, theme="theme-matrice")[1]
    assert slugs(syntheses) == {"atelier-a"}
    territories = get(client, "/api/v1/territories/", within=world.territories.region_a.pk)[1]
    assert {t["name"] for t in territories["results"]} == {"Hauts-de-France", "Nord", "Roubaix"}


def test_a_statement_carries_its_support_and_themes(world, client):
    world.a.notes[0].themes.add(world.theme)
    headers = bearer(world, "coordinator")
    body = get(client, "/api/v1/syntheses/atelier-a/", headers)[1]
    assert body["statement_count"] == 1 and body["intro"] == "Introduction A"
    statement = body["sections"][0]["statements"][0]
    assert statement["support"] == {"groups": 2, "groups_total": 2, "label": "2 groupes sur 2"}
    assert statement["themes"] == [{"slug": "theme-matrice", "name": "Thème matrice"}]


def test_figures_count_by_theme_and_quarter(world, client):
    world.a.notes[0].themes.add(world.theme)
    headers = bearer(world, "delegate_a")
    url = f"/api/v1/territories/{world.territories.dept_a.pk}/figures/"
    body = get(client, url, headers)[1]
    assert body["themes"] == [
        {"theme": "theme-matrice", "name": "Thème matrice", "kind": "success_factor", "notes": 1}
    ]
    quarter = world.a.workshop.date
    label = f"{quarter.year}-T{(quarter.month - 1) // 3 + 1}"
    assert body["quarters"] == [{"quarter": label, "kind": "success_factor", "notes": 2}]
    assert get(client, url, headers, kind="obstacle")[1]["notes_by_kind"] == []
    only_theme = get(client, url, headers, theme="theme-matrice")[1]
    assert only_theme["notes_by_kind"] == [{"kind": "success_factor", "notes": 1}]


# --- ETag, rate limit ------------------------------------------------------------------


def test_an_unchanged_answer_is_304(world, client):
    first = client.get("/api/v1/syntheses/")
    etag = first["ETag"]
    assert etag and "Authorization" in first["Vary"]
    again = client.get("/api/v1/syntheses/", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    f.WorkshopFactory(slug="nouveau-public", is_public=True)
    f.SynthesisFactory(workshop=type(world.a.workshop).objects.get(slug="nouveau-public"))
    changed = client.get("/api/v1/syntheses/", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed["ETag"] != etag


def test_too_many_calls_get_429_with_retry_after(world, client, settings):
    settings.API_RATE_PER_MINUTE = 3
    for _ in range(3):
        assert client.get("/api/v1/themes/").status_code == 200
    refused = client.get("/api/v1/themes/")
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    # A token has its own allowance, apart from the address's.
    headers = bearer(world, "coordinator")
    assert client.get("/api/v1/themes/", headers=headers).status_code == 200


def test_one_user_shares_one_allowance_whatever_the_tokens(world, client, settings):
    settings.API_RATE_PER_MINUTE = 2
    first, second = bearer(world, "coordinator"), bearer(world, "coordinator")
    assert client.get("/api/v1/themes/", headers=first).status_code == 200
    assert client.get("/api/v1/themes/", headers=second).status_code == 200
    assert client.get("/api/v1/themes/", headers=second).status_code == 429  # a new token or not


def test_behind_a_proxy_each_client_address_has_its_own_allowance(world, client, settings):
    settings.API_RATE_PER_MINUTE = 1
    settings.API_CLIENT_IP_HEADER = "X-Real-IP"
    # REMOTE_ADDR is the proxy's for both; the header the proxy sets tells them apart.
    assert client.get("/api/v1/themes/", headers={"X-Real-IP": "192.0.2.1"}).status_code == 200
    assert client.get("/api/v1/themes/", headers={"X-Real-IP": "192.0.2.2"}).status_code == 200
    assert client.get("/api/v1/themes/", headers={"X-Real-IP": "192.0.2.1"}).status_code == 429


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/syntheses/?theme=%00",
        "/api/v1/territories/?code=a%00",
        "/api/v1/workshops/a%00b/",
        "/api/v1/syntheses/a%1bb/",
    ],
)
def test_control_characters_in_an_address_are_a_400_with_the_reason(world, client, url):
    response = client.get(url)
    assert response.status_code == 400
    assert "Caractère invisible interdit" in response.json()["detail"]


@pytest.mark.parametrize("name", ["parent", "within", "territory"])
def test_an_id_past_64_bits_is_refused_not_a_500(world, client, name):
    url = "/api/v1/territories/" if name != "territory" else "/api/v1/syntheses/"
    assert client.get(url, {name: "99999999999999999999999"}).status_code in (400, 422)


def test_the_api_answers_when_the_cache_is_down(world, client, settings, monkeypatch):
    from django.core.cache import caches

    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    backend = type(caches["default"])
    monkeypatch.setattr(backend, "add", down)
    monkeypatch.setattr(backend, "incr", down)
    settings.API_RATE_PER_MINUTE = 1
    for _ in range(3):
        assert client.get("/api/v1/themes/").status_code == 200


# --- Query budgets ------------------------------------------------------------------


def grow(world, n):
    """n more public workshops with a published synthesis of 3 statements,
    each fed by notes of 2 groups, tagged."""
    for i in range(n):
        ws = f.WorkshopFactory(
            slug=f"grand-{i}", is_public=True, territory=world.territories.commune_a
        )
        rnd = f.RoundFactory(workshop=ws, order=1)
        question = f.QuestionFactory(round=rnd, order=1)
        groups = [f.WorkingGroupFactory(round=rnd, number=k + 1) for k in range(2)]
        synthesis = f.SynthesisFactory(workshop=ws)
        section = f.SectionFactory(synthesis=synthesis, round=rnd, question=question, order=1)
        for j in range(3):
            statement = f.StatementFactory(section=section, text=f"Énoncé {i}-{j}", order=j)
            notes = [
                f.ContributionFactory(group=g, question=question, text=f"n {i}-{j}-{g.number}")
                for g in groups
            ]
            notes[0].themes.add(world.theme)
            statement.sources.set(notes)


def endpoint_urls(world):
    region = world.territories.region_a.pk
    return [
        "/api/v1/",
        "/api/v1/syntheses/",
        "/api/v1/syntheses/atelier-a/",
        "/api/v1/statements/",
        "/api/v1/statements/?theme=theme-matrice&territory=" + str(region),
        "/api/v1/workshops/",
        "/api/v1/workshops/atelier-a/",
        "/api/v1/territories/",
        f"/api/v1/territories/{region}/",
        f"/api/v1/territories/{region}/figures/",
        "/api/v1/themes/",
    ]


def test_query_budgets_do_not_grow_with_the_data(world, client, django_assert_max_num_queries):
    headers = bearer(world, "coordinator")
    # The token's user, its last use, then the endpoint's own queries.
    budget = 12
    for url in endpoint_urls(world):
        with django_assert_max_num_queries(budget):
            assert client.get(url, headers=headers).status_code == 200, url
    grow(world, 12)
    for url in endpoint_urls(world):
        with django_assert_max_num_queries(budget):
            assert client.get(url, headers=headers).status_code == 200, url


# --- Tokens ---------------------------------------------------------------------------


def test_a_token_is_shown_once_and_stored_as_its_digest(world, as_user):
    client = as_user(world.users.delegate_a)
    response = client.post("/compte/jetons/", {"name": "Mon script"})
    assert response.status_code == 201 and response["Cache-Control"] == "no-store"
    secret = response.context["secret"]
    assert secret.startswith("atl_") and secret in response.content.decode()
    token = Token.objects.get(user=world.users.delegate_a)
    assert token.digest == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in json.dumps(list(Token.objects.values()), default=str)
    page = client.get("/compte/jetons/").content.decode()
    assert "Mon script" in page and secret not in page and token.hint in page
    # It works, read-only: the API has no writing method.
    headers = {"Authorization": f"Bearer {secret}"}
    assert slugs(client.get("/api/v1/syntheses/", headers=headers).json()) == SEES["delegate_a"]
    assert client.post("/api/v1/syntheses/", headers=headers).status_code == 405


def test_a_revoked_token_stops_working(world, as_user):
    client = as_user(world.users.animator)
    client.post("/compte/jetons/", {"name": "Essai"})
    token = Token.objects.get(user=world.users.animator)
    secret_client = as_user(None)
    response = secret_client.post(f"/compte/jetons/{token.pk}/revoquer/")
    assert response.status_code == 302 and "/connexion/" in response["Location"]
    client = as_user(world.users.animator)
    client.post(f"/compte/jetons/{token.pk}/revoquer/")
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert "révoqué le" in client.get("/compte/jetons/").content.decode()


def test_nobody_revokes_someone_elses_token(world, as_user):
    token, _ = Token.issue(world.users.coordinator, "À moi")
    client = as_user(world.users.animator)
    assert client.post(f"/compte/jetons/{token.pk}/revoquer/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_a_token_needs_a_name(world, as_user):
    client = as_user(world.users.animator)
    response = client.post("/compte/jetons/", {"name": "  "})
    assert response.status_code == 200 and not Token.objects.exists()
    assert "Donnez un nom au jeton" in response.content.decode()


def test_a_token_name_with_a_nul_is_refused_in_french(world, as_user):
    client = as_user(world.users.animator)
    response = client.post("/compte/jetons/", {"name": "a\x00b"})
    assert response.status_code == 200 and not Token.objects.exists()
    assert "Caractère invisible interdit (U+0000)" in response.content.decode()


def test_ten_active_tokens_at_most(world, as_user):
    client = as_user(world.users.animator)
    for i in range(10):
        assert client.post("/compte/jetons/", {"name": f"Programme {i}"}).status_code == 201
    refused = client.post("/compte/jetons/", {"name": "Un de trop"})
    assert refused.status_code == 200 and "10 jetons actifs" in refused.content.decode()
    assert Token.objects.filter(user=world.users.animator).count() == 10


# --- Pages ----------------------------------------------------------------------------


def test_the_documentation_page_is_french_and_linked_from_every_page(world, as_user):
    client = as_user(None)
    home = client.get("/").content.decode()
    assert 'href="/api/"' in home
    page = client.get("/api/").content.decode()
    assert "Qui voit quoi" in page and "/api/v1/openapi.json" in page
    assert "Télécharger le jeu de données" not in page
    client = as_user(world.users.coordinator)
    page = client.get("/api/").content.decode()
    assert "/donnees-ouvertes.zip" in page and "/compte/jetons/" in page


def test_coordinators_find_the_package_on_the_trends_page(world, as_user):
    page = as_user(world.users.coordinator).get("/tendances/").content.decode()
    assert 'href="/donnees-ouvertes.zip"' in page


def test_pages_keep_their_query_budget(world, as_user, django_assert_max_num_queries):
    client = as_user(world.users.coordinator)
    for i in range(5):
        Token.issue(world.users.coordinator, f"Jeton {i}")
    for url in ["/api/", "/compte/jetons/"]:
        with django_assert_max_num_queries(6):
            assert client.get(url).status_code == 200


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_api_pages_have_no_accessibility_violation(page, live_server, world):
    page.goto(f"{live_server.url}/api/")
    assert_accessible(page)
    Token.issue(world.users.delegate_a, "Revoqué").__getitem__(0).revoke()
    log_in(page.context, live_server, world.users.delegate_a)
    page.goto(f"{live_server.url}/compte/jetons/")
    page.fill("#token-name", "Mon script")
    page.click("text=Créer le jeton")
    assert page.input_value("#token-secret").startswith("atl_")
    assert_accessible(page)

"""The search page (web/search.py, on the engine of atelier/lib/fulltext.py):
French words, rights per role, filters, safe excerpts, and the page. Runs on
SQLite and on PostgreSQL; the engine alone is tested in test_fulltext.py."""

import datetime
import re

import pytest
from django import forms
from django.db import connection
from django.urls import include, path

from atelier.lib import fulltext
from atelier.models import Contribution, Kind, Workshop
from web import search as search_module
from web.search import NOTE, QUOTE, STATEMENT, search

from . import factories as f


def flash(response):
    """The messages the response leaves for the next page."""
    from django.contrib.messages import get_messages

    return [str(m) for m in get_messages(response.wsgi_request)]


# The page is not wired into atelier/urls.py yet: view tests use this urlconf.
urlpatterns = [
    path("recherche/", search_module.search_view, name="search"),
    path("", include("atelier.urls")),
]
with_search_url = pytest.mark.urls(__name__)

NOTES = {"Note secrète A1", "Note secrète A2", "Note secrète B1"}
NOTES_A = {"Note secrète A1", "Note secrète A2"}
STATEMENT_A, STATEMENT_B, STATEMENT_N = "Énoncé secret A", "Énoncé secret B", "Énoncé secret N"


def texts(user, query="secret", **filters):
    return {hit.text for hit in search(user, query, **filters).hits}


def add_note(group, text, **fields):
    return f.ContributionFactory(
        group=group, question=group.round.questions.first(), text=text, **fields
    )


# --- Words ----------------------------------------------------------------------------


def test_accents_and_case_are_ignored(world):
    results = search(world.users.coordinator, "ENONCE SECRET")
    assert {STATEMENT_A, STATEMENT_B, STATEMENT_N} <= {hit.text for hit in results.hits}
    hit = next(hit for hit in results.hits if hit.text == STATEMENT_A)
    assert hit.type == STATEMENT
    assert hit.workshop == world.a.workshop
    assert hit.date == world.a.workshop.date
    assert hit.object == world.a.statement
    assert "<mark>Énoncé</mark>" in hit.excerpt
    assert "<mark>secret</mark>" in hit.excerpt


def test_accented_query_finds_unaccented_text(world):
    add_note(world.a.groups[0], "Enonce sans accent")
    assert "Enonce sans accent" in texts(world.users.coordinator, "énoncé")
    assert "Enonce sans accent" in texts(world.users.coordinator, "ÉNONCÉS")


def test_plurals_and_singulars(world):
    add_note(world.a.groups[0], "Les habitants participent")
    add_note(world.a.groups[0], "La participation des jeunes")
    coordinator = world.users.coordinator
    assert texts(coordinator, "notes secrètes") >= NOTES
    assert texts(coordinator, "NOTE SECRÈTE") >= NOTES
    assert "Les habitants participent" in texts(coordinator, "habitant")
    assert "La participation des jeunes" in texts(coordinator, "participations")


def test_every_word_must_match(world):
    assert texts(world.users.coordinator, "secrète introuvable") == set()
    assert texts(world.users.coordinator, "note énoncé") == set()


def test_empty_and_stop_word_queries_find_nothing(world, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert search(world.users.coordinator, "   ").total == 0
    results = search(world.users.coordinator, "le la des")
    assert results.hits == [] and results.total == 0
    # Odd input is words like any other, never an error.
    for query in ("secret\x00", "'secret' & | ! :* (", '"note secrète" -A1', "a" * 1000):
        search(world.users.coordinator, query)
    assert texts(world.users.coordinator, "note secrète -A1") == {
        "Note secrète A2",
        "Note secrète B1",
    }


def test_quotes_are_a_type_of_their_own(world):
    national = world.national
    section = national.synthesis.sections.get()
    quote = f.StatementFactory(
        section=section, kind=Kind.QUOTE, text="« On se sent enfin écoutés »"
    )
    results = search(_anonymous(), "écoutés")
    assert [(hit.type, hit.object) for hit in results.hits] == [(QUOTE, quote)]
    assert texts(world.users.coordinator, "ecoute", kind=Kind.QUOTE) == {quote.text}


def test_more_matches_rank_higher(world):
    group = world.a.groups[0]
    add_note(group, "Une fois la mobilisation, puis autre chose")
    many = add_note(group, "Mobilisation, mobilisation et encore mobilisation")
    results = search(world.users.coordinator, "mobilisation")
    assert results.hits[0].object == many
    assert results.hits[0].rank > results.hits[1].rank


def test_limit_and_total(world):
    results = search(world.users.coordinator, "secret", limit=2)
    assert len(results.hits) == 2
    assert results.total == 6


def test_beyond_the_cap_the_page_says_more_than(world, client, monkeypatch):
    from web import search as search_module

    monkeypatch.setattr(search_module, "COUNT_CAP", 4)
    results = search(world.users.coordinator, "secret", limit=2)
    assert len(results.hits) == 2
    assert results.capped and results.total == 5
    client.force_login(world.users.coordinator)
    body = client.get("/recherche/", {"q": "secret"}).content.decode()
    assert "Plus de 4 résultats" in body
    monkeypatch.setattr(search_module, "COUNT_CAP", 1000)
    body = client.get("/recherche/", {"q": "secret"}).content.decode()
    assert "6 résultats" in body and "Plus de" not in body


def test_best_match_comes_first_however_many_match(world):
    group = world.a.groups[0]
    best = add_note(group, "Logement, logement, logement : le logement d'abord")
    for i in range(12):
        add_note(group, f"Un mot sur le logement, numéro {i}")
    results = search(world.users.coordinator, "logement", limit=5)
    assert results.hits[0].object == best
    assert len(results.hits) == 5
    assert results.total == 13
    ranks = [hit.rank for hit in results.hits]
    assert ranks == sorted(ranks, reverse=True)


def test_notes_and_statements_share_the_limit_by_rank(world):
    section = world.a.statement.section
    best = f.StatementFactory(section=section, text="Quartier, quartier, quartier et quartier")
    for i in range(3):
        add_note(world.a.groups[0], f"Le quartier numéro {i}")
        f.StatementFactory(section=section, text=f"Un énoncé sur le quartier {i}")
    results = search(world.users.coordinator, "quartier", limit=4)
    assert results.hits[0].object == best
    assert len(results.hits) == 4
    assert results.total == 7
    assert all(hit.excerpt and "<mark>" in hit.excerpt for hit in results.hits)


def test_only_the_hits_shown_are_loaded_with_their_excerpts(world, monkeypatch):
    loaded = []
    original = fulltext.excerpts

    def spy(queryset, query, pks):
        loaded.extend((queryset.model, pk) for pk in pks)
        return original(queryset, query, pks)

    monkeypatch.setattr(fulltext, "excerpts", spy)
    results = search(world.users.coordinator, "secret", limit=2)
    assert results.total == 6
    assert set(loaded) == {(type(hit.object), hit.object.pk) for hit in results.hits}
    assert len(loaded) == 2


def test_an_edited_note_is_found_by_its_new_words_only(world):
    note = add_note(world.a.groups[0], "Une cantine partagée")
    assert note.edit(version=note.version, text="Un jardin partagé")
    coordinator = world.users.coordinator
    assert "Un jardin partagé" in texts(coordinator, "jardin")
    assert texts(coordinator, "cantine") == set()
    note.refresh_from_db()
    note.text = "Une ressourcerie de quartier"
    note.save()
    assert texts(coordinator, "ressourcerie") == {"Une ressourcerie de quartier"}
    assert texts(coordinator, "jardin") == set()


def test_an_edited_statement_is_found_by_its_new_words_only(world):
    statement = world.a.statement
    assert statement.edit(version=statement.version, text="Énoncé réécrit sur la mobilité")
    coordinator = world.users.coordinator
    assert texts(coordinator, "mobilité") == {"Énoncé réécrit sur la mobilité"}
    assert STATEMENT_A not in texts(coordinator, "secret")


def test_deleted_notes_are_not_found(world):
    world.a.notes[1].soft_delete()
    assert texts(world.users.coordinator) & NOTES == {"Note secrète A1", "Note secrète B1"}


# --- Rights ---------------------------------------------------------------------------


def _anonymous():
    from django.contrib.auth.models import AnonymousUser

    return AnonymousUser()


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("coordinator", NOTES | {STATEMENT_A, STATEMENT_B, STATEMENT_N}),
        ("superuser", NOTES | {STATEMENT_A, STATEMENT_B, STATEMENT_N}),
        ("animator", NOTES_A | {STATEMENT_A, STATEMENT_N}),
        ("other_animator", NOTES_A | {STATEMENT_A, STATEMENT_N}),
        ("animator_elsewhere", {"Note secrète B1", STATEMENT_B, STATEMENT_N}),
        ("delegate_a", {STATEMENT_A, STATEMENT_N}),
        ("delegate_b", {STATEMENT_B, STATEMENT_N}),
        ("deactivated", {STATEMENT_N}),
        (None, {STATEMENT_N}),
    ],
)
def test_results_per_role(world, role, expected):
    user = getattr(world.users, role) if role else _anonymous()
    results = search(user, "secret")
    assert {hit.text for hit in results.hits} == expected
    assert results.total == len(expected)


def test_delegates_never_get_notes(world):
    for delegate in (world.users.delegate_a, world.users.delegate_b):
        assert all(hit.type != NOTE for hit in search(delegate, "note secrète").hits)
        assert search(delegate, "note secrète").total == 0


def test_delegate_b_never_gets_workshop_a(world):
    user = world.users.delegate_b
    for query in ("secret", "énoncé A", "atelier", "Roubaix", "brouillon"):
        assert all(hit.workshop != world.a.workshop for hit in search(user, query).hits)
    assert texts(user, workshop="atelier-a") == set()
    assert texts(user, territory=world.territories.region_a.pk) == set()


def test_private_workshop_is_hidden_from_anonymous_even_with_filters(world):
    anonymous = _anonymous()
    assert texts(anonymous, workshop="atelier-a") == set()
    assert texts(anonymous, "note") == set()


def test_only_the_latest_published_revision_counts(world):
    b = world.b
    revision = f.SynthesisFactory(workshop=b.workshop, revision=2)
    section = f.SectionFactory(synthesis=revision, round=b.round, question=b.question, order=1)
    f.StatementFactory(section=section, text="Énoncé révisé B")
    found = texts(world.users.delegate_b, "énoncé")
    assert "Énoncé révisé B" in found
    assert STATEMENT_B not in found
    # Drafts are never searched, not even by the coordination.
    assert texts(world.users.coordinator, "brouillon") == set()


def test_animating_gives_notes_of_the_whole_workshop_only(world):
    # anim3 animates a group of B only: never A's notes, whatever the query.
    user = world.users.animator_elsewhere
    assert texts(user, "A1") == set()
    assert texts(user, "note", workshop="atelier-a") == set()
    assert texts(user, "note") == {"Note secrète B1"}


# --- Filters --------------------------------------------------------------------------


def test_filter_by_workshop(world):
    assert texts(world.users.coordinator, workshop="atelier-a") == NOTES_A | {STATEMENT_A}
    assert texts(world.users.coordinator, workshop=world.b.workshop) == {
        "Note secrète B1",
        STATEMENT_B,
    }
    assert texts(world.users.coordinator, workshop="inconnu") == set()


def test_filter_by_territory_covers_descendants(world):
    coordinator, places = world.users.coordinator, world.territories
    a_only = NOTES_A | {STATEMENT_A}
    assert texts(coordinator, territory=places.region_a.pk) == a_only
    assert texts(coordinator, territory=places.dept_a) == a_only
    assert texts(coordinator, territory=places.commune_a.pk) == a_only
    assert texts(coordinator, territory=places.region_b.pk) == {"Note secrète B1", STATEMENT_B}
    assert texts(coordinator, territory=999_999) == set()


def test_filter_by_kind(world):
    note = world.a.notes[0]
    Contribution.objects.filter(pk=note.pk).update(kind=Kind.OBSTACLE)
    assert texts(world.users.coordinator, kind=Kind.OBSTACLE) == {note.text}
    found = texts(world.users.coordinator, kind=Kind.SUCCESS_FACTOR)
    assert note.text not in found
    assert "Note secrète A2" in found


def test_filter_by_theme(world):
    note = world.a.notes[0]
    note.themes.add(world.theme)
    # The note, and the statement it is a source of.
    assert texts(world.users.coordinator, theme=world.theme.pk) == {note.text, STATEMENT_A}
    assert texts(world.users.delegate_a, theme=world.theme) == {STATEMENT_A}
    assert texts(world.users.delegate_b, theme=world.theme) == set()


def test_filter_by_date(world):
    Workshop.objects.filter(pk=world.b.workshop.pk).update(date=datetime.date(2022, 5, 1))
    coordinator = world.users.coordinator
    b_only = {"Note secrète B1", STATEMENT_B}
    assert texts(coordinator, date_from=datetime.date(2022, 1, 1)) == b_only
    assert texts(coordinator, date_from="2022-05-01", date_to="2022-05-01") == b_only
    assert texts(coordinator, date_to=datetime.date(2021, 12, 31)) == NOTES_A | {
        STATEMENT_A,
        STATEMENT_N,
    }
    hit = search(coordinator, "B1").hits[0]
    assert hit.date == datetime.date(2022, 5, 1)


def test_query_budget_does_not_grow_with_hits(world, django_assert_max_num_queries):
    for i in range(30):
        add_note(world.a.groups[i % 2], f"Secret numéro {i}")
    with django_assert_max_num_queries(6):
        results = search(world.users.coordinator, "secret", territory=world.territories.region_a.pk)
        shown = [(hit.workshop.title, hit.date, hit.excerpt) for hit in results.hits]
        boards = [hit.object.group_id for hit in results.hits if hit.type == NOTE]
    assert results.total == 30 + 3
    assert len(shown) == 33 and len(boards) == 32


# --- Excerpts -------------------------------------------------------------------------


def test_excerpt_escapes_the_text(world):
    note = add_note(
        world.a.groups[0],
        '<script>alert("secret")</script> un secret <mark>faux</mark> & <b>gras</b>'
        " <img src=x onerror=alert(1)>",
    )
    hit = next(hit for hit in search(world.users.coordinator, "secret").hits if hit.object == note)
    excerpt = str(hit.excerpt)
    assert "<script" not in excerpt
    assert "&lt;script&gt;" in excerpt
    assert "<mark>secret</mark>" in excerpt
    # Our <mark> elements are the only markup.
    assert "<" not in re.sub(r"</?mark>", "", excerpt)
    assert ">" not in re.sub(r"</?mark>", "", excerpt)
    assert "&lt;mark&gt;faux" in excerpt


def test_excerpt_shows_no_raw_markup(world):
    note = add_note(world.a.groups[0], "Un **secret** bien *gardé* et un **début coupé")
    hit = next(hit for hit in search(world.users.coordinator, "secret").hits if hit.object == note)
    excerpt = str(hit.excerpt)
    assert "<mark>secret</mark> bien gardé" in excerpt
    assert "*" not in excerpt


def test_long_text_excerpt_is_cut_around_the_match(world):
    words = " ".join(f"mot{i}" for i in range(200))
    note = add_note(world.a.groups[0], f"{words} trouvaille {words}")
    hit = search(world.users.coordinator, "trouvaille").hits[0]
    assert hit.object == note
    assert "<mark>trouvaille</mark>" in hit.excerpt
    assert len(hit.excerpt) < 600
    assert hit.excerpt.startswith("…") and hit.excerpt.endswith("…")


# --- PostgreSQL ------------------------------------------------------------------------


postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")


@postgresql_only
@pytest.mark.django_db
def test_postgresql_uses_the_gin_indexes_on_the_stored_vectors():
    from synthesis.models import Statement

    tsquery = fulltext.tsquery("secret")
    for model, index in (
        (Contribution, "atelier_contribution_search_vector"),
        (Statement, "synthesis_statement_search_vector"),
    ):
        queryset = (
            model.objects.filter(fulltext.Matches(fulltext.StoredVector(), tsquery))
            .order_by()
            .values("pk")
        )
        sql, params = queryset.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert index in plan


@postgresql_only
def test_postgresql_never_computes_vectors_at_query_time(world):
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        search(world.users.coordinator, "secret")
    sql = "\n".join(query["sql"] for query in queries.captured_queries)
    assert "to_tsvector" not in sql
    assert "search_vector" in sql


@postgresql_only
def test_loading_notes_does_not_fetch_the_stored_vector(world):
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        list(Contribution.objects.all())
    assert "search_vector" not in queries.captured_queries[0]["sql"]


# --- The page -------------------------------------------------------------------------


@with_search_url
def test_page_without_query_shows_the_form_only(world, as_user):
    response = as_user(world.users.coordinator).get("/recherche/")
    assert response.status_code == 200
    content = response.content.decode()
    assert 'name="q"' in content
    assert '<label for="id_q">' in content
    assert "Résultats" not in content
    assert "Aucun résultat" not in content


@with_search_url
def test_page_lists_hits_with_links(world, as_user):
    response = as_user(world.users.coordinator).get("/recherche/", {"q": "secret"})
    content = response.content.decode()
    statement = world.a.statement
    assert f'href="/ateliers/atelier-a/synthese/#enonce-{statement.pk}"' in content
    assert f'href="/groupes/{world.a.groups[0].pk}/"' in content
    assert "<mark>secret</mark>" in content or "<mark>secrète</mark>" in content
    assert "6 résultats" in content


@with_search_url
def test_page_respects_rights(world, as_user):
    content = as_user(world.users.delegate_b).get("/recherche/", {"q": "secret"}).content.decode()
    assert "Énoncé <mark>secret</mark> B" in content
    assert "secret</mark> A" not in content
    assert "secrète" not in content  # no note at all


@with_search_url
def test_page_for_anonymous_lists_only_public_workshops(world, as_user):
    content = as_user(None).get("/recherche/", {"q": "secret"}).content.decode()
    assert "Énoncé <mark>secret</mark> N" in content
    assert "Atelier A" not in content  # not even in the filter's choices
    assert "Atelier B" not in content
    assert "Roubaix" not in content


@with_search_url
def test_page_says_when_nothing_is_found(world, as_user):
    content = as_user(world.users.animator).get("/recherche/", {"q": "zzzz"}).content.decode()
    assert "Aucun résultat" in content


@with_search_url
def test_page_filters_and_bad_values(world, as_user):
    client = as_user(world.users.coordinator)
    response = client.get(
        "/recherche/", {"q": "secret", "atelier": "atelier-b", "type": "obstacle"}
    )
    assert "Aucun résultat" in response.content.decode()
    response = client.get(
        "/recherche/", {"q": "secret", "atelier": "atelier-b", "type": "success_factor"}
    )
    content = response.content.decode()
    assert "2 résultats" in content
    assert "B1" in content
    assert "secret</mark> A" not in content
    response = client.get("/recherche/", {"q": "secret", "territoire": "abc", "du": "hier"})
    assert response.status_code == 200
    assert "field-error" in response.content.decode()
    assert "Résultats" not in response.content.decode()


@with_search_url
def test_page_keeps_the_chosen_filters_selected(world, as_user):
    client = as_user(world.users.coordinator)
    response = client.get(
        "/recherche/", {"q": "secret", "atelier": "atelier-b", "type": "obstacle"}
    )
    content = response.content.decode()
    assert '<select name="atelier" id="id_atelier">' in content
    assert '<option value="atelier-b" selected>Atelier B</option>' in content
    assert '<option value="atelier-a">Atelier A</option>' in content
    assert '<option value="obstacle" selected>' in content
    assert '<option value="" selected>Tous les territoires</option>' in content
    assert f'<option value="{world.territories.region_a.pk}">' in content


def test_quick_select_renders_like_django_select():
    choices = [("", "Tous"), ("1", "<Nord> & Pas-de-Calais"), ("2", "Gard")]
    attrs = {"id": "id_x", "aria-invalid": True, "required": False}
    quick = search_module.QuickSelect(choices=choices).render("x", "1", attrs)
    django = forms.Select(choices=choices).render("x", "1", attrs)

    def options(html):
        return re.findall(r"<option[^>]*>[^<]*</option>", html)

    assert options(quick) == [re.sub(r"\s+", " ", o) for o in options(django)]
    assert quick.startswith('<select name="x" id="id_x" aria-invalid>')


@with_search_url
def test_page_escapes_notes(world, as_user):
    add_note(world.a.groups[0], "<script>alert('piège')</script> piège")
    content = as_user(world.users.coordinator).get("/recherche/", {"q": "piège"}).content.decode()
    assert "<script>alert" not in content
    assert "&lt;script&gt;" in content


@with_search_url
def test_page_query_budget(world, as_user, django_assert_max_num_queries):
    for i in range(30):
        add_note(world.a.groups[i % 2], f"Secret numéro {i}")
    client = as_user(world.users.coordinator)
    with django_assert_max_num_queries(14):
        response = client.get(
            "/recherche/", {"q": "secret", "territoire": world.territories.region_a.pk}
        )
    assert response.status_code == 200


def test_coordinators_class_results_under_a_theme_in_bulk(world, as_user):
    client = as_user(world.users.coordinator)
    page = client.get("/recherche/", {"q": "secret"}).content.decode()
    assert 'form="tag-form"' in page
    response = client.post(
        "/recherche/classer/",
        {
            "theme": world.theme.pk,
            "notes": [world.b.notes[0].pk],
            "statements": [world.a.statement.pk],
            "next": "/recherche/?q=secret",
        },
    )
    assert flash(response) == [f"3 notes classées sous « {world.theme.name} »."]
    tagged = set(world.theme.contributions.values_list("text", flat=True))
    assert tagged == {"Note secrète B1", "Note secrète A1", "Note secrète A2"}
    delegate_page = as_user(world.users.delegate_a).get("/recherche/", {"q": "secret"})
    assert 'form="tag-form"' not in delegate_page.content.decode()


def test_bulk_classing_reaches_live_boards_and_stays_on_the_site(world, as_user):
    from datetime import timedelta

    from django.utils import timezone

    since = timezone.now() - timedelta(microseconds=1)
    client = as_user(world.users.coordinator)
    response = client.post(
        "/recherche/classer/",
        {"theme": world.theme.pk, "notes": [world.a.notes[0].pk], "next": "//evil.example/"},
    )
    assert response.status_code == 302 and response["Location"] == "/recherche/"
    assert flash(response) == [f"1 note classée sous « {world.theme.name} »."]
    again = client.post(
        "/recherche/classer/", {"theme": world.theme.pk, "notes": [world.a.notes[0].pk]}
    )
    assert flash(again)[-1] == f"0 note classée sous « {world.theme.name} »."
    changed = list(world.a.notes[0].group.changes_since(since))
    assert [n.pk for n in changed] == [world.a.notes[0].pk]
    assert world.theme in changed[0].themes.all()


def test_habitant_finds_every_spelling_and_reussite_finds_reussite(world):
    for text in [
        "Des habitants motivés",
        "Habitants du quartier",
        "HABITANTS EN COLÈRE",
        "Une réussite collective",
    ]:
        add_note(world.a.groups[0], text)
    found = texts(world.users.coordinator, "habitant")
    assert {"Des habitants motivés", "Habitants du quartier", "HABITANTS EN COLÈRE"} <= found
    assert "Une réussite collective" in texts(world.users.coordinator, "reussite")
    assert texts(world.users.delegate_b, "habitant") == set()  # never another territory's note

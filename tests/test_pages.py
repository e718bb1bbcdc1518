import datetime
import re

import pytest

from atelier.models import User
from web import demo

from . import factories as f

pytestmark = pytest.mark.django_db

HOME_BUDGET = 8
WORKSHOP_BUDGET = 12
SYNTHESIS_BUDGET = 10


@pytest.fixture
def seed():
    return demo.load().workshop


def grow(world, n=15):
    """More of everything, to show budgets do not grow with the data."""
    for i in range(n):
        ws = f.WorkshopFactory(territory=world.territories.commune_a)
        rnd = f.RoundFactory(workshop=ws, order=1)
        group = f.WorkingGroupFactory(round=rnd, number=1, animators=[world.users.animator])
        f.ContributionFactory.create_batch(
            3, group=group, question=f.QuestionFactory(round=rnd, order=1)
        )
        f.ParticipantFactory.create_batch(2, workshop=ws)
        f.SynthesisFactory(workshop=ws, revision=1)
        f.WorkingGroupFactory(round=world.a.round, number=10 + i)


@pytest.mark.parametrize("role", ["anonymous", "animator", "coordinator", "delegate_a"])
def test_home_query_budget_does_not_grow(world, as_user, django_assert_max_num_queries, role):
    user = None if role == "anonymous" else getattr(world.users, role)
    client = as_user(user)
    with django_assert_max_num_queries(HOME_BUDGET):
        small = client.get("/")
    grow(world)
    with django_assert_max_num_queries(HOME_BUDGET):
        large = client.get("/")
    assert small.status_code == large.status_code == 200


def test_animator_home_lists_their_groups_with_note_counts(world, as_user):
    body = as_user(world.users.animator).get("/").content.decode()
    assert "Mes groupes" in body and "Atelier A" in body and "1 note" in body
    assert "Atelier B" not in body


def test_coordinator_home_lists_every_workshop(world, as_user):
    body = as_user(world.users.coordinator).get("/").content.decode()
    assert all(title in body for title in ["Atelier A", "Atelier B", "Atelier N"])


def test_delegate_home_lists_their_territories_and_their_workshops(world, as_user):
    body = as_user(world.users.delegate_a).get("/").content.decode()
    assert "Hauts-de-France" in body and "Atelier A" in body
    assert "Occitanie" not in body and "Atelier B" not in body


def test_workshop_page_budget(world, as_user, django_assert_max_num_queries):
    client = as_user(world.users.coordinator)
    with django_assert_max_num_queries(WORKSHOP_BUDGET):
        client.get("/ateliers/atelier-a/")
    grow(world)
    with django_assert_max_num_queries(WORKSHOP_BUDGET):
        response = client.get("/ateliers/atelier-a/")
    assert "Groupe 14" in response.content.decode()


def test_published_synthesis_reads_like_the_reference(seed, client, django_assert_max_num_queries):
    with django_assert_max_num_queries(SYNTHESIS_BUDGET):
        response = client.get("/ateliers/grand-atelier-atc-2021/synthese/")
    # French typography: no-break spaces before ! : and inside « » (issue #15).
    body = response.content.decode().replace("&nbsp;", " ").replace("\u202f", " ")
    body = body.replace("\u00a0", " ")
    assert response.status_code == 200
    assert "GRAND ATELIER DE L&#x27;ATC, EN LIGNE !" in body
    assert "29 JANVIER 2021" in body
    assert "TEMPS 1 :" in body and "TEMPS 2 :" in body
    assert body.count("► ") == 5
    assert "<strong>travail de diagnostic partagé préalable</strong>" in body
    assert "<li>La <strong>diversité et la richesse des outils participatifs</strong>" in body
    assert "Paroles de délégué.e du préfet :" in body
    assert "Paroles d&#x27;agents :" in body
    assert "« Cette expérience ne se décrit pas, elle doit se vivre »" in body
    assert "Une initiative portée par" in body and "Bleu Blanc Zèbre" in body
    assert "Avec le soutien de" in body
    assert "Données de démonstration" in body


def test_published_synthesis_budget_does_not_grow_with_statements(
    world, client, django_assert_max_num_queries
):
    section = world.national.statement.section
    f.StatementFactory.create_batch(40, section=section)
    with django_assert_max_num_queries(SYNTHESIS_BUDGET):
        response = client.get("/ateliers/atelier-n/synthese/")
    assert response.content.decode().count('class="statement"') == 41


def test_unpublished_synthesis_is_not_found(world, as_user):
    world.national.synthesis.status = "draft"
    world.national.synthesis.save()
    assert as_user(world.users.coordinator).get("/ateliers/atelier-n/synthese/").status_code == 404


def test_a_later_published_revision_replaces_the_earlier(world, client):
    later = f.SynthesisFactory(workshop=world.national.workshop, revision=2, intro="Version 2")
    f.StatementFactory(section=f.SectionFactory(synthesis=later), text="Énoncé révisé")
    body = client.get("/ateliers/atelier-n/synthese/").content.decode()
    assert "Énoncé révisé" in body and "Énoncé secret N" not in body


def test_statement_markup_is_sanitised_on_the_page(world, client):
    f.StatementFactory(
        section=world.national.statement.section, text='<script>alert("x")</script> **clé**'
    )
    body = client.get("/ateliers/atelier-n/synthese/").content.decode()
    assert "<script>alert" not in body
    assert "&lt;script&gt;" in body and "<strong>clé</strong>" in body


def test_health_answers_when_the_database_does(client):
    response = client.get("/health/")
    assert response.content == b"ok"


def test_coordinator_can_use_the_admin_but_cannot_grant_superuser(world, as_user):
    client = as_user(world.users.coordinator)
    animator = world.users.animator
    page = client.get(f"/admin/atelier/user/{animator.pk}/change/").content.decode()
    assert 'name="is_superuser"' not in page
    client.post(
        f"/admin/atelier/user/{animator.pk}/change/",
        {
            "username": animator.username,
            "role": "animator",
            "is_superuser": "on",
            "date_joined_0": "2021-01-01",
            "date_joined_1": "10:00:00",
        },
    )
    assert not User.objects.get(pk=animator.pk).is_superuser
    assert client.get("/admin/atelier/workshop/").status_code == 200
    # A superuser's account is read-only to coordinators.
    root = world.users.superuser
    response = client.post(f"/admin/atelier/user/{root.pk}/change/", {"username": "pris"})
    assert response.status_code == 403
    assert User.objects.get(pk=root.pk).username == "root"


def test_delegates_read_national_syntheses_even_when_not_public(world, as_user):
    national = world.national.workshop
    national.is_public = False
    national.save()
    url = f"/ateliers/{national.slug}/synthese/"
    assert "Énoncé secret N" in as_user(world.users.delegate_b).get(url).content.decode()
    assert as_user(world.users.animator_elsewhere).get(url).status_code == 404
    assert as_user(None).get(url).status_code == 404


# The workshop page is the workshop's hub: each role finds there the pages it may open.


def links(body):
    """The site's own links of a page, in order (href="/…", no fragment)."""
    return [href.split("#")[0] for href in re.findall(r'<a [^>]*href="(/[^"]*)"', body)]


def hub(client, slug="atelier-a"):
    response = client.get(f"/ateliers/{slug}/")
    assert response.status_code == 200
    return response.content.decode()


def test_coordinator_hub_links_every_page_of_the_workshop(world, as_user):
    a = world.a
    body = hub(as_user(world.users.coordinator))
    found = links(body)
    expected = [
        "/ateliers/atelier-a/participants/",
        f"/temps/{a.round.pk}/groupes/",
        "/ateliers/atelier-a/direct/",
        *[f"/groupes/{group.pk}/" for group in a.groups],
        "/ateliers/atelier-a/synthese/edition/",
        "/ateliers/atelier-a/synthese/",
        f"/admin/atelier/workshop/{a.workshop.pk}/change/",
    ]
    assert [url for url in expected if url not in found] == []
    assert "Mon groupe maintenant" not in body


def test_every_link_of_the_hub_opens_for_its_reader(world, as_user):
    for role in ["coordinator", "animator", "other_animator", "delegate_a"]:
        client = as_user(getattr(world.users, role))
        for url in set(links(hub(client))):
            assert client.get(url).status_code == 200, (role, url)


def test_animator_hub_leads_to_their_group_of_the_current_round(world, as_user):
    a, animator = world.a, world.users.animator
    round_2 = f.RoundFactory(workshop=a.workshop, order=2)
    now = f.WorkingGroupFactory(round=round_2, number=1, animators=[animator])
    f.WorkingGroupFactory(round=round_2, number=2, animators=[world.users.other_animator])
    a.workshop.current_round = round_2
    a.workshop.save()
    body = hub(as_user(animator))
    assert re.search(rf'<a class="button button-large" href="/groupes/{now.pk}/">', body)
    assert "Mon groupe maintenant" in body and "Mes autres groupes" in body
    found = links(body)
    assert f"/groupes/{a.groups[0].pk}/" in found  # their group of the first round
    assert "/ateliers/atelier-a/direct/" in found and "/ateliers/atelier-a/synthese/" in found
    for url in [
        "/ateliers/atelier-a/participants/",
        f"/temps/{a.round.pk}/groupes/",
        "/ateliers/atelier-a/synthese/edition/",
        f"/admin/atelier/workshop/{a.workshop.pk}/change/",
    ]:
        assert url not in found


def test_animator_hub_falls_back_to_the_first_round(world, as_user):
    body = hub(as_user(world.users.other_animator))
    group = world.a.groups[1]
    assert re.search(rf'<a class="button button-large" href="/groupes/{group.pk}/">', body)
    assert "Mes autres groupes" not in body


def test_animator_without_a_group_in_the_current_round_gets_no_big_link(world, as_user):
    a = world.a
    a.workshop.current_round = f.RoundFactory(workshop=a.workshop, order=2)
    a.workshop.save()
    body = hub(as_user(world.users.animator))
    assert "Mon groupe maintenant" not in body
    assert "Mes autres groupes" in body and f"/groupes/{a.groups[0].pk}/" in links(body)


def test_delegate_hub_leads_to_the_synthesis_and_their_dashboard(world, as_user):
    body = hub(as_user(world.users.delegate_a))
    found = links(body)
    roubaix = world.territories.commune_a
    assert "/ateliers/atelier-a/synthese/" in found
    assert f"/territoires/{roubaix.pk}/" in found and "Tableau de bord : Roubaix" in body
    assert not [url for url in found if url.startswith(("/groupes/", "/temps/", "/admin/"))]
    for url in ["/ateliers/atelier-a/direct/", "/ateliers/atelier-a/participants/"]:
        assert url not in found
    assert "/ateliers/atelier-a/synthese/edition/" not in found
    assert "Mon groupe maintenant" not in body


def test_delegate_hub_offers_no_synthesis_before_it_is_published(world, as_user):
    world.a.synthesis.status = "draft"
    world.a.synthesis.save()
    body = hub(as_user(world.users.delegate_a))
    assert "/ateliers/atelier-a/synthese/" not in links(body)


def test_hub_offers_no_dashboard_of_a_national_workshop(world, as_user):
    body = hub(as_user(world.users.coordinator), "atelier-n")
    assert not [url for url in links(body) if url.startswith("/territoires/")]


@pytest.mark.parametrize("role", ["animator", "delegate_a"])
def test_hub_budget_does_not_grow_for_each_role(
    world, as_user, django_assert_max_num_queries, role
):
    client = as_user(getattr(world.users, role))
    with django_assert_max_num_queries(WORKSHOP_BUDGET):
        client.get("/ateliers/atelier-a/")
    grow(world)
    for i in range(5):  # more groups of theirs, in more rounds
        rnd = f.RoundFactory(workshop=world.a.workshop, order=2 + i)
        f.WorkingGroupFactory(round=rnd, number=1, animators=[world.users.animator])
    with django_assert_max_num_queries(WORKSHOP_BUDGET):
        response = client.get("/ateliers/atelier-a/")
    assert "Groupe 14" in response.content.decode()


@pytest.mark.parametrize(
    "page",
    [
        lambda w: f"/groupes/{w.a.groups[0].pk}/",
        lambda w: "/ateliers/atelier-a/direct/",
        lambda w: "/ateliers/atelier-a/participants/",
        lambda w: f"/temps/{w.a.round.pk}/groupes/",
        lambda w: "/ateliers/atelier-a/synthese/edition/",
    ],
    ids=["board", "overview", "roster", "round_groups", "synthesis_editor"],
)
def test_workshop_pages_lead_back_to_the_workshop(world, as_user, page):
    body = as_user(world.users.coordinator).get(page(world)).content.decode()
    assert re.search(
        r'<p class="breadcrumb[^"]*"><a href="/ateliers/atelier-a/">Atelier A</a>', body
    )


def test_homes_list_upcoming_workshops_first(world, as_user):
    today = datetime.date.today()
    for title, days in [("Atelier lointain", 60), ("Atelier du jour", 0), ("Atelier passé", -30)]:
        ws = f.WorkshopFactory(
            title=title,
            date=today + datetime.timedelta(days=days),
            territory=world.territories.commune_a,
        )
        f.WorkingGroupFactory(
            round=f.RoundFactory(workshop=ws, order=1), number=1, animators=[world.users.animator]
        )
    # The world's workshops are of 29 January 2021: past, before "Atelier passé".
    order = ["Atelier du jour", "Atelier lointain", "Atelier passé", "Atelier A"]
    for role in ["coordinator", "delegate_a", "animator"]:
        body = as_user(getattr(world.users, role)).get("/").content.decode()
        positions = [body.index(f"{title}<") for title in order]
        assert positions == sorted(positions), role


def test_an_archived_workshop_is_never_listed_among_the_current_ones(world, as_user):
    today = datetime.date.today()
    for title, days in [("Atelier archivé", 10), ("Atelier à venir", 20)]:
        ws = f.WorkshopFactory(
            title=title,
            date=today + datetime.timedelta(days=days),
            territory=world.territories.commune_a,
        )
        f.WorkingGroupFactory(
            round=f.RoundFactory(workshop=ws, order=1), number=1, animators=[world.users.animator]
        )
        if title == "Atelier archivé":
            ws.archive()
    for role in ["coordinator", "animator"]:
        body = as_user(getattr(world.users, role)).get("/").content.decode()
        # Dated sooner, yet listed after the upcoming one, among the past ones.
        assert body.index("Atelier à venir<") < body.index("Atelier archivé<"), role


# The crawl from the home page, role by role, over every page of the
# permission matrix: tests/test_crawl.py.

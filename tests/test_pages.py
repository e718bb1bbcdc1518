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
    body = response.content.decode()
    assert response.status_code == 200
    assert "GRAND ATELIER DE L&#x27;ATC, EN LIGNE !" in body
    assert "29 JANVIER 2021" in body
    assert "TEMPS 1 :" in body and "TEMPS 2 :" in body
    assert body.count("► ") == 5
    assert "<strong>travail de diagnostic partagé préalable</strong>" in body
    assert "<li>La <strong>diversité et la richesse des outils participatifs</strong>" in body
    assert "Paroles de délégué.e du préfet :" in body
    assert "Paroles d&#x27;agents :" in body
    assert "<q>Cette expérience ne se décrit pas, elle doit se vivre</q>" in body
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

"""The territory dashboard: numbers checked by hand on the shared world."""

import pytest

from synthesis.models import FollowUp, Statement
from territories import dashboard

from . import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(world):
    theme = world.theme
    world.a.notes[0].themes.add(theme)  # 1 of A's 2 notes; 1 of the 3 notes in France
    section = world.a.statement.section
    quote = Statement.objects.create(
        section=section,
        kind="quote",
        text="Ça change tout",
        speaker_actor_type=f.ActorTypeFactory(name="Habitant·e"),
    )
    commitment = Statement.objects.create(
        section=section, kind="commitment", text="Ouvrir un lieu partagé", order=3
    )
    return world, quote, commitment


def test_figures_match_a_hand_count(data):
    world, quote, commitment = data
    built = dashboard.build(world.territories.region_a)
    assert [w.title for w in built["workshops"]] == ["Atelier A"]
    assert built["workshops"][0].participant_count == 1
    assert [(b.label, b.value) for b in built["participation"].bars] == [("Non renseigné", 1)]
    balance = {b.label: b.value for b in built["balance"].bars}
    assert balance["Facteur de réussite"] == 2 and balance["Frein"] == 0
    [theme] = built["themes"].bars
    assert (theme.label, theme.value, theme.share, theme.national) == (
        "Thème matrice",
        1,
        50.0,
        33.3,
    )
    assert built["quotes"] == [quote]
    assert built["commitments"] == [commitment]


def test_a_delegate_sees_only_their_territory(data, as_user):
    world, *_ = data
    client = as_user(world.users.delegate_b)
    assert client.get(f"/territoires/{world.territories.region_a.pk}/").status_code == 404
    body = client.get(f"/territoires/{world.territories.dept_b.pk}/").content.decode()
    assert "Atelier B" in body and "Atelier A" not in body and "Ça change tout" not in body


def test_charts_are_svg_with_their_data_as_a_table(data, as_user):
    world, *_ = data
    body = (
        as_user(world.users.delegate_a)
        .get(f"/territoires/{world.territories.region_a.pk}/")
        .content.decode()
    )
    assert body.count("<svg viewBox") == 3 and body.count('class="table chart-table"') == 3
    assert "<script" not in body.split("<main")[1]  # no chart script


def test_commitment_follow_up_keeps_its_history(data, as_user):
    world, quote, commitment = data
    client = as_user(world.users.coordinator)
    url = f"/engagements/{commitment.pk}/suivi/"
    client.post(url, {"status": "doing", "note": "lieu trouvé"})
    client.post(url, {"status": "done"})
    assert list(FollowUp.objects.values_list("status", flat=True)) == ["doing", "done"]
    body = (
        as_user(world.users.delegate_a)
        .get(f"/territoires/{world.territories.region_a.pk}/")
        .content.decode()
    )
    assert "Suivi : <strong>Fait</strong>" in body and "lieu trouvé" in body


def test_csv_of_the_dashboard(data, as_user):
    world, *_ = data
    response = as_user(world.users.delegate_a).get(
        f"/territoires/{world.territories.region_a.pk}/donnees.csv"
    )
    text = response.content.decode("utf-8-sig")
    assert "Thèmes les plus présents;Thème matrice;1;50.0;33.3" in text
    assert "Atelier B" not in text


def test_dashboard_budget_does_not_grow(data, as_user, django_assert_max_num_queries):
    world, *_ = data
    client = as_user(world.users.delegate_a)
    url = f"/territoires/{world.territories.region_a.pk}/"
    with django_assert_max_num_queries(20):
        client.get(url)
    for _ in range(10):
        ws = f.WorkshopFactory(territory=world.territories.commune_a)
        group = f.WorkingGroupFactory(round=f.RoundFactory(workshop=ws, order=1), number=1)
        f.ContributionFactory.create_batch(5, group=group)
        f.ParticipantFactory.create_batch(3, workshop=ws, actor_type=f.ActorTypeFactory())
    with django_assert_max_num_queries(20):
        response = client.get(url)
    assert response.content.decode().count('<tr><th scope="row"><a href="/ateliers/') == 11


def test_dashboard_costs_the_same_with_1000_and_100000_notes(
    data, as_user, django_assert_max_num_queries
):
    from atelier.models import Contribution

    world, *_ = data
    group, question = world.a.groups[0], world.a.question

    def add(n):
        Contribution.objects.bulk_create(
            [
                Contribution(group=group, question=question, kind="obstacle", text=f"n{i}")
                for i in range(n)
            ],
            batch_size=5000,
        )

    client = as_user(world.users.delegate_a)
    url = f"/territoires/{world.territories.region_a.pk}/"
    add(1_000)
    with django_assert_max_num_queries(20) as small:
        client.get(url)
    add(99_000)
    with django_assert_max_num_queries(20) as large:
        response = client.get(url)
    assert len(small.captured_queries) == len(large.captured_queries)
    balance = dashboard.build(world.territories.region_a)["balance"]
    assert {b.label: b.value for b in balance.bars}["Frein"] == 100_000
    assert response.status_code == 200

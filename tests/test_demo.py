import io

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.utils.html import escape

from atelier.models import (
    Contribution,
    Participant,
    Role,
    Theme,
    User,
    WorkingGroup,
    Workshop,
)
from synthesis.models import FollowUp, Statement, Status, Synthesis
from territories.models import Level, Territory
from web import dashboard, demo, demo_local

pytestmark = pytest.mark.django_db


@pytest.fixture
def loaded():
    return demo.load()


def test_load_demo_prints_the_logins(capsys):
    call_command("load_demo")
    out = capsys.readouterr().out
    for username in ["animateur", "coordination", "delegue"]:
        assert username in out
    assert "atelier-demo" in out


def test_load_demo_can_run_twice_without_duplicating(loaded):
    models = [Workshop, Participant, WorkingGroup, Contribution, Statement, Territory, User]
    before = {m: m.objects.count() for m in models}
    demo.load()
    assert {m: m.objects.count() for m in models} == before


def test_the_fifteen_sites_hang_under_their_real_departement_and_region(loaded):
    communes = Territory.objects.filter(level=Level.COMMUNE)
    assert communes.count() == 15
    roubaix = communes.get(code="59512")
    assert (roubaix.parent.name, roubaix.parent.parent.name) == ("Nord", "Hauts-de-France")
    fdf = communes.get(name="Fort-de-France")
    assert fdf.parent.parent.name == "Martinique"


def test_demo_workshop_has_a_hundred_participants_and_eight_groups_per_round(loaded):
    workshop = loaded.workshop
    assert workshop.slug == "grand-atelier-atc-2021" and workshop.is_demo
    assert workshop.participants.count() == 96
    rounds = list(workshop.rounds.all())
    assert len(rounds) == 2
    for round_ in rounds:
        groups = round_.groups.annotate(n=Count("members"))
        assert groups.count() == 8
        assert sum(g.n for g in groups) == 96


def test_peer_round_groups_hold_one_actor_type_each(loaded):
    peer_round = loaded.workshop.rounds.get(order=2)
    groups = list(peer_round.groups.all())
    assert len(groups) == 8
    for group in groups:
        assert group.members.values("actor_type").distinct().count() == 1
        assert group.actor_type is not None


def test_every_statement_has_source_notes_in_one_to_eight_groups(loaded):
    counts = Statement.objects.annotate(groups=Count("sources__group", distinct=True))
    assert counts.count() == 53
    assert {s.groups for s in counts} <= set(range(1, 9))
    assert min(s.groups for s in counts) == 1


def test_demo_quotes_are_noted_in_a_group_of_the_speakers_peers(loaded):
    quote = Statement.objects.get(text__startswith="Cette expérience ne se décrit pas")
    note = quote.sources.get()
    assert note.text == quote.text
    assert note.group.actor_type == quote.speaker_actor_type


def test_demo_users_have_their_roles(loaded, client):
    delegate = User.objects.get(username="delegue")
    assert delegate.role == Role.DELEGATE
    assert set(delegate.territories.values_list("name", flat=True)) == {
        "Hauts-de-France",
        "Marseille",
    }
    animator = User.objects.get(username="animateur")
    assert animator.animated_groups.count() == 2
    assert client.login(username="coordination", password="atelier-demo")


# --- Local workshops ----------------------------------------------------------------


@pytest.fixture
def local(loaded):
    return demo.load_local()


def counts():
    models = [Workshop, Participant, WorkingGroup, Contribution, Statement, Synthesis, FollowUp]
    tags = Contribution.themes.through
    return {m.__name__: m.objects.count() for m in [*models, tags, Territory, User, Theme]}


def test_load_demo_twice_changes_no_count():
    call_command("load_demo", stdout=io.StringIO())
    before = counts()
    call_command("load_demo", stdout=io.StringIO())
    assert counts() == before
    assert before["Workshop"] == 1 + len(demo_local.WORKSHOPS)


def test_local_workshops_sit_on_atc_sites_in_2020_and_2021(local):
    sites = {code for code, _name, _dept in demo.SITES}
    assert len(local.workshops) >= 5
    for workshop in local.workshops:
        assert workshop.territory.code in sites and workshop.is_demo
        assert workshop.date.year in (2020, 2021)
        assert workshop.rounds.count() == 2
        assert WorkingGroup.objects.filter(round__workshop=workshop).count() >= 4
        assert workshop.participants.count() >= 10
    names = {w.territory.name for w in local.workshops}
    assert {"Marseille", "Roubaix", "Tourcoing"} <= names


def test_local_notes_are_written_for_the_demo_not_copied_from_the_seed(local, loaded):
    seed = set(
        Contribution.objects.filter(group__round__workshop=loaded.workshop).values_list(
            "text", flat=True
        )
    )
    notes = Contribution.objects.filter(group__round__workshop__in=local.workshops)
    texts = list(notes.values_list("text", flat=True))
    assert len(texts) == local.notes and not seed & set(texts)
    assert len(set(texts)) == len(texts)
    tagged = notes.filter(themes__isnull=False).distinct().count()
    assert 0.25 <= tagged / len(texts) <= 0.45  # about a third, as animators tag


def test_each_local_workshop_has_a_published_synthesis_with_quotes_and_followed_commitments(
    local,
):
    for workshop in local.workshops:
        synthesis = workshop.syntheses.get()
        assert synthesis.status == Status.PUBLISHED and synthesis.published_at
        statements = Statement.objects.filter(section__synthesis=synthesis)
        assert statements.filter(kind="quote", speaker_actor_type__isnull=False).exists()
        commitments = statements.filter(kind="commitment")
        assert commitments.exists()
        assert FollowUp.objects.filter(statement__in=commitments).exists()
        for statement in statements:  # every statement comes from the workshop's notes
            sources = statement.sources.all()
            assert sources and all(n.group.round.workshop == workshop for n in sources)


def test_the_delegates_hauts_de_france_dashboard_shows_local_work(local, client):
    client.force_login(User.objects.get(username="delegue"))
    region = Territory.objects.get(level=Level.REGION, code="32")
    body = client.get(f"/territoires/{region.pk}/").content.decode()
    assert "Aucun atelier dans ce territoire" not in body
    for workshop in local.workshops:
        inside = workshop.territory.parent.parent == region
        assert (escape(workshop.title) in body) == inside, workshop.title
    data = dashboard.build(region)
    assert len(data["workshops"]) == 3
    assert all(bar.value > 0 for bar in data["participation"].bars)
    assert sum(bar.value for bar in data["balance"].bars) > 50
    assert data["themes"].bars and data["quotes"] and data["syntheses"]
    assert any(c.follow_up for c in data["commitments"])


def test_the_delegates_marseille_dashboard_shows_its_workshop(local, client):
    client.force_login(User.objects.get(username="delegue"))
    marseille = Territory.objects.get(level=Level.COMMUNE, code="13055")
    body = client.get(f"/territoires/{marseille.pk}/").content.decode()
    assert "Atelier territorial de Marseille" in body
    assert "Aucun atelier dans ce territoire" not in body


def test_the_trends_show_local_themes_by_region(local, client):
    client.force_login(User.objects.get(username="coordination"))
    body = client.get("/tendances/").content.decode()
    for region in ["Hauts-de-France", "Provence-Alpes-Côte d&#x27;Azur", "Île-de-France"]:
        assert region in body
    assert "Participation des habitants" in body
    assert "2020 T4" in body and "2021 T2" in body


def test_search_finds_a_local_note_as_coordinator(local, client):
    client.force_login(User.objects.get(username="coordination"))
    body = client.get("/recherche/", {"q": "tablettes"}).content.decode()
    assert "médiathèque" in body
    assert "Atelier territorial de Roubaix" in body


def test_search_finds_a_local_published_statement_as_delegate(local, client):
    client.force_login(User.objects.get(username="delegue"))
    body = client.get("/recherche/", {"q": "adultes relais"}).content.decode()
    assert "Tourcoing" in body

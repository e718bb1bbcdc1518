import pytest
from django.core.management import call_command
from django.db.models import Count

from atelier.models import Contribution, Participant, Role, User, WorkingGroup, Workshop
from synthesis.models import Statement
from territories.models import Level, Territory
from web import demo

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

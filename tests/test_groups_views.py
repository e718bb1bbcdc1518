"""Forming a round's groups from the page and the command."""

import itertools

import pytest
from django.core.management import call_command
from django.utils.html import escape

from atelier import groups
from atelier.models import Contribution, Participant, WorkingGroup
from web import demo

from . import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def seed():
    return demo.load().workshop


@pytest.fixture
def coordinator(as_user, seed):
    from atelier.models import User

    return as_user(User.objects.get(username="coordination"))


def pairs(round_):
    together = set()
    for group in round_.groups.all():
        ids = sorted(group.members.values_list("pk", flat=True))
        together |= set(itertools.combinations(ids, 2))
    return together


def generate(client, round_, **data):
    payload = {"mode": "random", "by": "count", "number": 8, "seed": 1, **data}
    return client.post(f"/temps/{round_.pk}/groupes/", payload)


def test_random_groups_for_the_demo_mix_people_and_avoid_meeting_again(seed, coordinator):
    first, second = seed.rounds.order_by("order")
    WorkingGroup.objects.filter(round=second).delete()
    response = generate(coordinator, second, number=8)
    assert response.status_code == 302
    sizes = sorted(g.members.count() for g in second.groups.all())
    assert sizes == [12] * 8
    # Round 1 was 8 groups of 12: each must spread over the 8 new groups, so
    # 4 of its pairs at least meet again — 32 in all, and no more.
    report = groups.report(second)
    assert report["min_possible_repeated_pairs"] == 32
    assert len(pairs(first) & pairs(second)) == report["repeated_pairs"] == 32
    page = coordinator.get(f"/temps/{second.pk}/groupes/").content.decode()
    assert "Paires déjà réunies dans un temps précédent : 32" in page


def test_peer_groups_hold_one_actor_type(seed, coordinator):
    second = seed.rounds.get(order=2)
    WorkingGroup.objects.filter(round=second).delete()
    response = generate(coordinator, second, mode="peer", number=8)
    assert response.status_code == 302
    page = coordinator.get(response.url).content.decode()
    assert "Les groupes sont formés." in page
    formed = list(second.groups.select_related("actor_type"))
    assert len(formed) == 8
    for group in formed:
        assert group.members.values("actor_type").distinct().count() == 1
        assert group.actor_type == group.members.first().actor_type
        # Each card's heading names the group's actor type.
        assert f"{group} · {escape(group.actor_type)}" in page


def test_groups_can_be_asked_by_size(seed, coordinator):
    second = seed.rounds.get(order=2)
    WorkingGroup.objects.filter(round=second).delete()
    generate(coordinator, second, by="size", number=10)
    assert second.groups.count() == 10  # 96 people in groups of about 10


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"number": 500}, "Impossible de former 500 groupes avec 96 participant·es."),
        ({"number": 0}, "Indiquez au moins 1."),
        ({"by": "size", "number": 0}, "Indiquez au moins 1."),
        ({"mode": "nonsense"}, "Sélectionnez un choix valide. nonsense n’en fait pas partie."),
    ],
)
def test_impossible_requests_change_nothing(seed, coordinator, data, message):
    second = seed.rounds.get(order=2)
    WorkingGroup.objects.filter(round=second).delete()
    response = generate(coordinator, second, **data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not second.groups.exists()


def test_peer_mode_without_actor_types_is_refused(world, as_user):
    client = as_user(world.users.coordinator)
    round_ = f.RoundFactory(workshop=world.a.workshop, order=2)
    response = generate(client, round_, mode="peer", number=1)
    assert response.status_code == 400
    assert "demande des types d&#x27;acteur" in response.content.decode()


def test_groups_with_notes_are_never_dissolved(seed, coordinator):
    first = seed.rounds.get(order=1)
    before = {g.pk: set(g.members.values_list("pk", flat=True)) for g in first.groups.all()}
    response = generate(coordinator, first)
    assert response.status_code == 400
    assert "ont déjà des notes" in response.content.decode()
    after = {g.pk: set(g.members.values_list("pk", flat=True)) for g in first.groups.all()}
    assert after == before


def test_locked_groups_keep_their_members(seed, coordinator):
    second = seed.rounds.get(order=2)
    Contribution.objects.filter(group__round=second).delete()
    kept = second.groups.get(number=3)
    members = set(kept.members.values_list("pk", flat=True))
    coordinator.post(f"/groupes/{kept.pk}/verrou/")
    generate(coordinator, second, number=8, seed=7)
    kept.refresh_from_db()
    assert kept.locked and set(kept.members.values_list("pk", flat=True)) == members
    assert second.groups.count() == 8
    everyone = [p for g in second.groups.all() for p in g.members.values_list("pk", flat=True)]
    assert sorted(everyone) == sorted(
        Participant.objects.filter(workshop=seed).values_list("pk", flat=True)
    )


def test_a_participant_is_moved_by_hand(seed, coordinator):
    first = seed.rounds.get(order=1)
    one, two = first.groups.order_by("number")[:2]
    person = one.members.first()
    coordinator.post(
        f"/temps/{first.pk}/groupes/deplacer/", {"participant": person.pk, "group": two.pk}
    )
    assert two.members.filter(pk=person.pk).exists()
    assert not one.members.filter(pk=person.pk).exists()


def test_moving_someone_of_another_workshop_is_refused(seed, coordinator):
    first = seed.rounds.get(order=1)
    stranger = f.ParticipantFactory()  # of another workshop
    response = coordinator.post(
        f"/temps/{first.pk}/groupes/deplacer/",
        {"participant": stranger.pk, "group": first.groups.first().pk},
        follow=True,
    )
    assert "introuvable dans ce temps" in response.content.decode()
    assert not first.groups.filter(members=stranger).exists()


def test_animators_are_assigned_to_a_group(seed, coordinator):
    from atelier.models import User

    group = seed.rounds.get(order=1).groups.get(number=2)
    animator = User.objects.get(username="animateur")
    coordinator.post(f"/groupes/{group.pk}/animation/", {"animators": [animator.pk]})
    assert list(group.animators.all()) == [animator]


def test_group_lists_export_as_csv(seed, coordinator):
    first = seed.rounds.get(order=1)
    text = coordinator.get(f"/temps/{first.pk}/groupes.csv").content.decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[0].startswith("groupe;type de groupe;animateur·rices;prénom;nom")
    assert len(lines) == 1 + 96


def test_group_page_budget(seed, coordinator, django_assert_max_num_queries):
    first = seed.rounds.get(order=1)
    with django_assert_max_num_queries(20):
        response = coordinator.get(f"/temps/{first.pk}/groupes/")
    assert response.content.decode().count('class="group-card"') == 8


def test_the_print_button_works_without_an_inline_handler(seed, coordinator):
    """A Content-Security-Policy may forbid inline handlers: site.js prints."""
    first = seed.rounds.get(order=1)
    page = coordinator.get(f"/temps/{first.pk}/groupes/").content.decode()
    assert '<button type="button" class="button-small" data-print>Imprimer les listes' in page
    assert "onclick" not in page and "js/site.js" in page


def test_form_groups_command(seed, capsys):
    second = seed.rounds.get(order=2)
    Contribution.objects.filter(group__round=second).delete()
    call_command("form_groups", seed.slug, "--round", "2", "--groups", "8", "--seed", "3")
    assert "8 groupes formés" in capsys.readouterr().out
    report = groups.report(second)
    assert report["repeated_pairs"] == report["min_possible_repeated_pairs"]

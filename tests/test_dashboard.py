"""The territory dashboard: numbers checked by hand on the shared world."""

import pytest

from synthesis.models import FollowUp, Statement
from web import dashboard

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
    assert body.count('class="bar-chart"') == 3 and body.count('class="table chart-table"') == 3
    # No viewBox: a scaled drawing shrank its 12 px labels to 6 px on a phone.
    assert "viewBox" not in body
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


@pytest.mark.parametrize("note", ["salle\x00trouvée", "\x1b[31mrouge\x1b[0m"])
def test_a_follow_up_with_control_characters_is_refused_in_french(data, as_user, note):
    world, quote, commitment = data
    client = as_user(world.users.coordinator)
    url = f"/engagements/{commitment.pk}/suivi/"
    client.post(url, {"status": "doing", "note": "lieu trouvé"})
    response = client.post(url, {"status": "done", "note": note}, follow=True)
    assert response.status_code == 200
    assert "Caractère invisible interdit" in response.content.decode()
    # What was saved before stays; nothing of the refused text is stored.
    assert list(FollowUp.objects.values_list("status", "note")) == [("doing", "lieu trouvé")]


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


# --- The note counts the database keeps (territories/counts.py) -----------------------


def stored_counts():
    from territories.models import NoteCount, ThemeCount

    notes = {(c.workshop_id, c.kind): c.n for c in NoteCount.objects.exclude(n=0)}
    themes = {(c.workshop_id, c.theme_id, c.kind): c.n for c in ThemeCount.objects.exclude(n=0)}
    return notes, themes


def counted_from_the_notes():
    from collections import Counter

    from atelier.models import Contribution

    alive = Contribution.objects.alive().order_by()
    notes = Counter(alive.values_list("group__round__workshop", "kind"))
    themes = Counter(
        alive.filter(themes__isnull=False).values_list("group__round__workshop", "themes", "kind")
    )
    return dict(notes), dict(themes)


def test_counts_follow_every_way_notes_are_written(world):
    import uuid

    from atelier.models import Contribution, Theme

    def check():
        assert stored_counts() == counted_from_the_notes()

    check()
    group, question = world.a.groups[0], world.a.question
    # The board: INSERT … ON CONFLICT DO NOTHING, a retry adds nothing.
    key = uuid.uuid4()
    note, _ = group.add_note(client_uuid=key, question=question, kind="obstacle", text="Frein")
    group.add_note(client_uuid=key, question=question, kind="obstacle", text="Frein")
    check()
    assert stored_counts()[0][(world.a.workshop.pk, "obstacle")] == 1
    # Notes created in bulk.
    Contribution.objects.bulk_create(
        [Contribution(group=group, question=question, kind=k, text=k) for k in ("lesson", "quote")]
    )
    check()
    # Tags: added and removed one by one, added in bulk (search), merged themes.
    other = f.ThemeFactory(name="Autre thème")
    note.themes.add(world.theme, other)
    check()
    through = Contribution.themes.through
    through.objects.bulk_create([through(contribution_id=n.pk, theme=other) for n in world.b.notes])
    check()
    note.themes.remove(world.theme)
    check()
    world.theme.absorb([other])
    check()
    # Kind changed by save() and by a queryset update; a note moved to another workshop.
    note.kind = "commitment"
    note.save()
    check()
    Contribution.objects.filter(pk=note.pk).update(kind="lesson")
    check()
    Contribution.objects.filter(pk=note.pk).update(group=world.b.groups[0])
    check()
    # Soft delete and restore; a text edit or a move changes nothing.
    note.refresh_from_db()
    note.soft_delete()
    check()
    note.restore()
    assert note.edit(version=note.version, text="Frein levé")
    check()
    # Hard deletes: a note with its tags, a theme, a whole workshop.
    note.delete()
    check()
    world.a.notes[0].themes.add(world.theme)
    Theme.objects.filter(pk=world.theme.pk).delete()
    check()
    b = world.b.workshop
    Contribution.objects.filter(group__round__workshop=b).delete()
    b.delete()
    check()


def test_a_new_note_shows_on_the_dashboard_at_once(data, as_user):
    import uuid

    world, *_ = data
    client = as_user(world.users.delegate_a)
    url = f"/territoires/{world.territories.region_a.pk}/donnees.csv"
    assert "Frein;0;" in client.get(url).content.decode("utf-8-sig")
    note, _ = world.a.groups[0].add_note(
        client_uuid=uuid.uuid4(), question=world.a.question, kind="obstacle", text="Frein"
    )
    note.themes.add(world.theme)
    text = client.get(url).content.decode("utf-8-sig")
    assert "Frein;1;" in text
    # 2 of A's 3 notes are tagged, 2 of the 4 notes in France.
    assert "Thèmes les plus présents;Thème matrice;2;66.7;50.0" in text
    note.soft_delete()
    assert "Frein;0;" in client.get(url).content.decode("utf-8-sig")


def test_lost_triggers_are_put_back_and_the_notes_counted_again(world):
    from django.db import connection

    from atelier.models import Contribution
    from territories import counts

    counts.uninstall(connection)
    Contribution.objects.create(
        group=world.a.groups[0], question=world.a.question, kind="obstacle", text="Hors compte"
    )
    assert stored_counts() != counted_from_the_notes()
    assert counts.ensure(connection) is True
    assert counts.installed(connection) == set(counts.TRIGGERS)
    assert stored_counts() == counted_from_the_notes()
    assert counts.ensure(connection) is False


# --- Empty states: a sentence saying why, never a chart of zeros ----------------------


def test_a_territory_without_workshops_says_so_instead_of_empty_charts(world, as_user):
    client = as_user(world.users.coordinator)
    empty = f.RegionFactory(name="Bretagne", code="53")
    body = client.get(f"/territoires/{empty.pk}/").content.decode()
    figures = body.split('id="figures-title"')[1].split("</section>")[0]
    assert "Aucun atelier dans ce territoire pour l&#x27;instant" in figures or (
        "Aucun atelier dans ce territoire pour l'instant" in figures
    )
    assert "<svg" not in figures and "chart-table" not in figures


def test_a_chart_with_nothing_counted_explains_why(world, as_user):
    from atelier.models import Contribution

    Contribution.objects.filter(group__round__workshop=world.a.workshop).delete()
    body = (
        as_user(world.users.delegate_a)
        .get(f"/territoires/{world.territories.region_a.pk}/")
        .content.decode()
    )
    figures = body.split('id="figures-title"')[1].split("</section>")[0]
    assert "Aucune note écrite pour l" in figures and "Aucune note classée par thème" in figures
    assert figures.count("<svg") == 1  # participation only: Atelier A has one participant

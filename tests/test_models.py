import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from atelier.models import Contribution, Kind
from territories.models import Level, Territory

from . import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def nord():
    region = f.RegionFactory(name="Hauts-de-France", code="32")
    dept = f.TerritoryFactory(name="Nord", code="59", parent=region)
    epci = f.TerritoryFactory(level=Level.EPCI, name="MEL", code="200093201", parent=dept)
    roubaix = f.TerritoryFactory(level=Level.COMMUNE, name="Roubaix", code="59512", parent=epci)
    tourcoing = f.TerritoryFactory(level=Level.COMMUNE, name="Tourcoing", code="59599", parent=epci)
    qpv = f.TerritoryFactory(
        level=Level.QPV, name="Quartier intercommunal", code="QN05901I", parent=roubaix
    )
    qpv.communes.set([roubaix, tourcoing])
    return region, dept, epci, roubaix, tourcoing, qpv


def test_a_region_covers_every_level_beneath_it(nord):
    region, *rest = nord
    assert set(Territory.objects.covered_by([region])) == set(nord)


def test_a_qpv_spanning_two_communes_is_covered_by_each(nord):
    *_, roubaix, tourcoing, qpv = nord
    assert qpv in Territory.objects.covered_by([tourcoing])
    assert qpv in Territory.objects.covered_by([roubaix])
    assert roubaix not in Territory.objects.covered_by([tourcoing])


def test_coverage_does_not_leak_to_a_sibling_territory(nord):
    region, dept, *_ = nord
    other = f.TerritoryFactory(name="Pas-de-Calais", code="62", parent=region)
    assert other not in Territory.objects.covered_by([dept])
    assert not Territory.objects.covered_by([])


def test_department_code_equal_to_a_region_code_stays_apart():
    region = f.RegionFactory(name="Île-de-France", code="11")
    aude = f.TerritoryFactory(name="Aude", code="11", parent=f.RegionFactory(code="76"))
    assert aude not in Territory.objects.covered_by([region])


def test_moving_a_territory_moves_its_subtree(nord):
    region, dept, epci, roubaix, *_ = nord
    other_region = f.RegionFactory(name="Autre", code="99")
    dept.parent = other_region
    dept.save()
    roubaix.refresh_from_db()
    assert roubaix.path.startswith(other_region.path)
    assert roubaix in Territory.objects.covered_by([other_region])


def test_territory_levels_must_nest():
    region = f.RegionFactory()
    commune = Territory(level=Level.COMMUNE, code="1", name="X", parent=None)
    with pytest.raises(ValidationError):
        commune.clean()
    qpv = Territory(level=Level.QPV, code="QP1", name="Q", parent=region)
    with pytest.raises(ValidationError):
        qpv.clean()


def test_territory_codes_are_unique_per_level():
    f.RegionFactory(code="84")
    with pytest.raises(IntegrityError):
        f.RegionFactory(code="84")


def test_a_client_uuid_creates_one_note_only():
    note = f.ContributionFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Contribution.objects.create(
            group=note.group,
            question=note.question,
            kind=note.kind,
            text="doublon",
            client_uuid=note.client_uuid,
        )
    assert Contribution.objects.count() == 1


def test_only_quotes_carry_a_speaker():
    speaker = f.ActorTypeFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        f.ContributionFactory(kind=Kind.OBSTACLE, speaker_actor_type=speaker)
    quote = f.ContributionFactory(kind=Kind.QUOTE, speaker_actor_type=speaker)
    assert quote.speaker_actor_type == speaker


def test_empty_note_is_refused_by_the_database():
    with pytest.raises(IntegrityError), transaction.atomic():
        f.ContributionFactory(text="")


def test_a_note_cannot_answer_a_question_of_another_round():
    note = f.ContributionFactory()
    note.question = f.QuestionFactory()  # another workshop's round
    with pytest.raises(ValidationError) as err:
        note.full_clean()
    assert "autre temps" in str(err.value)


def test_deleting_a_note_can_be_undone():
    note = f.ContributionFactory()
    note.soft_delete()
    assert not Contribution.objects.alive().exists()
    note.restore()
    assert list(Contribution.objects.alive()) == [note]
    assert note.version == 3


def test_round_and_group_numbers_are_unique():
    round_ = f.RoundFactory(order=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        f.RoundFactory(workshop=round_.workshop, order=1)
    f.WorkingGroupFactory(round=round_, number=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        f.WorkingGroupFactory(round=round_, number=1)


def test_a_published_synthesis_has_a_publication_date():
    with pytest.raises(IntegrityError), transaction.atomic():
        f.SynthesisFactory(published_at=None)


def test_quotes_heading_uses_french_elision():
    assert str(f.ActorTypeFactory(name="Agents", quote_label="agents").quotes_heading) == (
        "Paroles d'agents"
    )
    delegate = f.ActorTypeFactory(name="Délégué·e du préfet", quote_label="délégué.e du préfet")
    assert str(delegate.quotes_heading) == "Paroles de délégué.e du préfet"


def test_merging_themes_moves_every_tag():
    keep, gone = f.ThemeFactory(name="Participation"), f.ThemeFactory(name="Participation hab.")
    both, only_gone = f.ContributionFactory(), f.ContributionFactory()
    both.themes.set([keep, gone])
    only_gone.themes.set([gone])
    assert keep.absorb([gone]) == 1
    assert list(both.themes.all()) == [keep] and list(only_gone.themes.all()) == [keep]
    assert not type(keep).objects.filter(pk=gone.pk).exists()


def test_coordinator_merges_themes_from_the_admin(client):
    from atelier.models import Role, Theme

    client.force_login(f.UserFactory(role=Role.COORDINATOR))
    a, b = f.ThemeFactory(name="Covid"), f.ThemeFactory(name="COVID-19")
    note = f.ContributionFactory()
    note.themes.set([a])
    client.post("/admin/atelier/theme/", {"action": "merge", "_selected_action": [a.pk, b.pk]})
    assert list(Theme.objects.values_list("name", flat=True)) == ["COVID-19"]
    assert list(note.themes.values_list("name", flat=True)) == ["COVID-19"]


@pytest.mark.django_db
def test_tagging_notes_marks_them_changed_for_live_boards(world):
    from datetime import timedelta

    from django.utils import timezone

    from atelier.models import Contribution, Theme

    theme = Theme.objects.create(name="Mobilité")
    notes = Contribution.objects.filter(pk__in=[n.pk for n in world.a.notes])
    since = timezone.now() - timedelta(microseconds=1)
    assert notes.tag(theme) == len(world.a.notes) > 0
    assert notes.tag(theme) == 0  # already tagged: nothing changes twice
    group = world.a.notes[0].group
    changed = list(group.changes_since(since))
    assert changed and all(theme in n.themes.all() for n in changed)


@pytest.mark.django_db
def test_merging_themes_feeds_the_boards_too(world):
    from atelier.models import Contribution, Theme

    kept, merged = Theme.objects.create(name="Jeunesse"), Theme.objects.create(name="Jeunes")
    note = world.a.notes[0]
    note.themes.add(merged)
    before = Contribution.objects.get(pk=note.pk).updated_at
    kept.absorb([merged])
    note = Contribution.objects.get(pk=note.pk)
    assert list(note.themes.all()) == [kept] and note.updated_at > before


def test_an_edit_racing_a_publication_never_lands_in_the_published_revision(world):
    from synthesis.models import Status, Synthesis

    synthesis = world.a.synthesis
    Synthesis.objects.filter(pk=synthesis.pk).update(status=Status.APPROVED)
    synthesis.refresh_from_db()  # the editor's copy: approved
    # Another coordinator confirms the publication before this edit is saved.
    Synthesis.objects.filter(pk=synthesis.pk).update(status=Status.PUBLISHED)
    target = synthesis.editable(by=world.users.coordinator)
    assert target.pk != synthesis.pk and target.status == Status.DRAFT
    assert Synthesis.objects.get(pk=synthesis.pk).status == Status.PUBLISHED

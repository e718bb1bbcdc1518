"""Roster CSV import (the files people really have) and export."""

import pytest

from atelier import roster
from atelier.matching import name_key
from atelier.models import Participant
from territories.models import Level

from . import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(world):
    f.ActorTypeFactory(name="Délégué·e du préfet", quote_label="délégué.e du préfet")
    f.ActorTypeFactory(name="Habitant·e", quote_label="habitants")
    return world.a.workshop


def upload(client, workshop, data: bytes, confirm=False):
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = f"/ateliers/{workshop.slug}/participants/import/"
    response = client.post(url, {"file": SimpleUploadedFile("liste.csv", data)})
    if confirm:
        content = response.context["content"]
        response = client.post(url, {"confirm": "1", "content": content})
    return response


SEMICOLON_CP1252 = (
    "Nom;Prénom;E-mail;Type d'acteur;Territoire;Structure\r\n"
    "Lefèvre;Hélène;helene@exemple.fr;délégué.e du préfet;Roubaix;Préfecture du Nord\r\n"
    "Benali;Zoé;;Habitants;59512;\r\n"
).encode("cp1252")


def test_windows_1252_with_semicolons_is_previewed_then_imported(setup, as_user, world):
    client = as_user(world.users.coordinator)
    response = upload(client, setup, SEMICOLON_CP1252)
    body = response.content.decode()
    assert "2 à ajouter, 0 à mettre à jour, 0 ligne écartée." in body
    assert "Hélène Lefèvre" in body
    assert not Participant.objects.filter(last_name="Lefèvre").exists()  # not before confirming
    upload(client, setup, SEMICOLON_CP1252, confirm=True)
    helene = Participant.objects.get(last_name="Lefèvre")
    assert (helene.first_name, helene.actor_type.name, helene.territory.code) == (
        "Hélène",
        "Délégué·e du préfet",
        "59512",
    )
    assert helene.organisation.name == "Préfecture du Nord"
    assert Participant.objects.get(last_name="Benali").territory.name == "Roubaix"


def test_utf8_with_bom_and_commas(setup):
    data = "\ufeffprénom,nom,type d'acteur\nAmina,Diallo,Habitant·e\n".encode()
    preview = roster.parse(roster.decode(data), setup)
    assert [(r.first_name, r.last_name, r.actor_type.name) for r in preview.valid] == [
        ("Amina", "Diallo", "Habitant·e")
    ]


def test_every_bad_row_is_reported_with_its_line_and_reason(setup):
    text = (
        "nom;prénom;e-mail;type d'acteur;territoire\n"
        "Martin;Paul;paul@exemple.fr;Habitant·e;Roubaix\n"
        ";;;Habitant·e;\n"
        "Durand;Lise;pas-un-mail;;\n"
        "Roux;Léo;;Astronaute;\n"
        "Petit;Ana;;;Atlantide\n"
        "Martin;Paul;PAUL@exemple.fr;Habitant·e;\n"
    )
    preview = roster.parse(text, setup)
    reasons = {row.line: " ; ".join(row.errors) for row in preview.invalid}
    assert reasons == {
        3: "nom et prénom manquants",
        4: "e-mail invalide : « pas-un-mail »",
        5: "type d'acteur inconnu : « Astronaute »",
        6: "territoire inconnu : « Atlantide »",
        7: "doublon de la ligne 2",
    }
    assert [row.last_name for row in preview.valid] == ["Martin"]


def test_reimporting_the_same_file_duplicates_nobody(setup, as_user, world):
    client = as_user(world.users.coordinator)
    upload(client, setup, SEMICOLON_CP1252, confirm=True)
    count = Participant.objects.count()
    response = upload(client, setup, SEMICOLON_CP1252)
    assert "0 à ajouter, 2 à mettre à jour" in response.content.decode()
    upload(client, setup, SEMICOLON_CP1252, confirm=True)
    assert Participant.objects.count() == count


def test_a_file_without_name_columns_is_refused_whole(setup, as_user, world):
    response = upload(as_user(world.users.coordinator), setup, b"foo;bar\n1;2\n")
    assert response.status_code == 400
    assert "colonnes « nom » ou « prénom » introuvables" in response.content.decode()


def test_territory_names_prefer_the_commune_over_a_same_named_region(setup):
    region = f.RegionFactory(name="Martinique", code="02")
    dept = f.TerritoryFactory(name="Martinique", code="972", parent=region)
    f.TerritoryFactory(level=Level.COMMUNE, name="Fort-de-France", code="97209", parent=dept)
    assert roster.find_territory("martinique") == dept
    assert roster.find_territory("97209").name == "Fort-de-France"


def test_export_neutralises_formulas_and_reimports(setup, as_user, world):
    Participant.objects.create(workshop=setup, first_name="=cmd|' /C calc'!A0", last_name="Piège")
    client = as_user(world.users.coordinator)
    response = client.get(f"/ateliers/{setup.slug}/participants.csv")
    text = response.content.decode("utf-8-sig")
    assert response["Content-Disposition"].startswith('attachment; filename="participants-')
    assert "'=cmd|' /C calc'!A0;Piège" in text
    assert (
        text.splitlines()[0]
        == "prénom;nom;e-mail;type d'acteur;territoire;code territoire;structure"
    )
    preview = roster.parse(text, setup)
    assert len(preview.updated) == Participant.objects.filter(workshop=setup).count()


def test_participants_are_added_and_edited_in_the_table(setup, as_user, world):
    client = as_user(world.users.coordinator)
    url = f"/ateliers/{setup.slug}/participants/"
    response = client.post(
        url, {"first_name": "Noé", "last_name": "Girard", "territory_label": "Nulle-part"}
    )
    assert response.status_code == 400
    assert "Territoire inconnu" in response.content.decode()
    client.post(
        url,
        {
            "first_name": "Noé",
            "last_name": "Girard",
            "territory_label": "59512",
            "organisation_label": "Centre social",
        },
    )
    noe = Participant.objects.get(last_name="Girard")
    assert noe.territory.name == "Roubaix" and noe.organisation.name == "Centre social"
    response = client.post(
        f"/participants/{noe.pk}/modifier/",
        {
            f"p{noe.pk}-first_name": "Noé",
            f"p{noe.pk}-last_name": "Girardin",
            f"p{noe.pk}-territory_label": "",
        },
        headers={"HX-Request": "true"},
    )
    assert "Noé Girardin" in response.content.decode()
    client.post(f"/participants/{noe.pk}/retirer/")
    assert not Participant.objects.filter(pk=noe.pk).exists()


def test_roster_page_budget(setup, as_user, world, django_assert_max_num_queries):
    client = as_user(world.users.coordinator)
    for _ in range(30):
        f.ParticipantFactory(
            workshop=setup,
            territory=world.territories.commune_a,
            organisation=f.OrganisationFactory(),
        )
    with django_assert_max_num_queries(10):
        response = client.get(f"/ateliers/{setup.slug}/participants/")
    assert response.content.decode().count('<tr id="person-') == 31  # and Personne A


# --- Names as people type them (atelier/matching.py) ---------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "Délégué·e du préfet",
        "délégué.e du préfet",
        "déléguée du préfet",
        "délégué(e)s du préfet",
        "délégué-e-s du préfet",
        "Délégué du préfet",
        "déléguée du prefet",
        "délégués du préfet",
        "DELEGUES DU PREFET",
        "Délégué·e·s du préfet",
    ],
)
def test_actor_type_matches_however_inclusive_writing_gender_and_number_are_typed(setup, typed):
    preview = roster.parse(f"nom;prénom;type d'acteur\nLefèvre;Hélène;{typed}\n", setup)
    assert [row.actor_type.name for row in preview.valid] == ["Délégué·e du préfet"]


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("Agent de collectivité", "Agent·e de collectivité"),
        ("agentes de collectivités", "Agent·e de collectivité"),
        ("Agent·e de l'État", "Agent·e de l'État"),
        ("agents de l’etat", "Agent·e de l'État"),
        ("Animatrices territoriales citoyennes", "Animateur·rice territorial·e citoyen·ne"),
        ("animateurs territoriaux citoyens", "Animateur·rice territorial·e citoyen·ne"),
        ("Cheffe de projet", "Chef·fe de projet"),
        ("habitantes", "Habitant·e"),
    ],
)
def test_each_spelling_finds_its_own_stored_name(setup, typed, stored):
    f.ActorTypeFactory(name="Agent·e de collectivité", quote_label="agents")
    f.ActorTypeFactory(name="Agent·e de l'État", quote_label="agents de l'État")
    f.ActorTypeFactory(name="Animateur·rice territorial·e citoyen·ne")
    f.ActorTypeFactory(name="Chef·fe de projet")
    preview = roster.parse(f"nom;type d'acteur\nDiallo;{typed}\n", setup)
    assert [row.actor_type.name for row in preview.valid] == [stored]


def test_the_key_drops_inclusive_suffixes_gender_and_number_but_keeps_the_words():
    assert name_key("Délégué·e du préfet") == name_key("délégués du prefet")
    assert name_key("Agent·e de collectivité") == name_key("Agent de collectivité")
    assert name_key("Villeneuve-le-Roi") == "villeneuv le roi"  # an article, not "·le"
    assert name_key("Agent de collectivité") != name_key("Agent de l'État")


def test_two_stored_names_the_key_merges_stay_distinct(setup, world):
    commune = {"level": Level.COMMUNE, "parent": world.territories.dept_a}
    mont = f.TerritoryFactory(name="Mont", code="64398", **commune)
    monts = f.TerritoryFactory(name="Monts", code="37159", **commune)
    f.ActorTypeFactory(name="Élu·e")
    f.ActorTypeFactory(name="Élus")  # two types that the loose key cannot tell apart
    text = "nom;type d'acteur;territoire\nRoux;élu·e;MONT\nPetit;ÉLUS;monts\nGirard;élues;Monte\n"
    preview = roster.parse(text, setup)
    assert [(r.actor_type.name, r.territory) for r in preview.valid] == [
        ("Élu·e", mont),
        ("Élus", monts),
    ]
    (girard,) = preview.invalid
    assert girard.errors == [
        "type d'acteur ambigu : « élues » (Élus, Élu·e)",
        "territoire ambigu : « Monte » (Mont (64398), Monts (37159))",
    ]


def test_territories_match_without_accents_hyphens_or_case(setup):
    region = f.RegionFactory(name="Île-de-France", code="11")
    dept = f.TerritoryFactory(name="Seine-Saint-Denis", code="93", parent=region)
    assert roster.find_territory("ile de france") == region
    assert roster.find_territory("SEINE SAINT DENIS") == dept
    assert roster.find_territory("Seine-Saint-Denis") == dept


def test_preview_says_which_stored_name_each_line_matched(setup, as_user, world):
    data = (
        "nom;prénom;type d'acteur;territoire\n"
        "Lefèvre;Hélène;délégués du prefet;59512\n"
        "Benali;Zoé;Habitant·e;Roubaix\n"
    ).encode()
    body = upload(as_user(world.users.coordinator), setup, data).content.decode()
    assert "Délégué·e du préfet <small>(écrit « délégués du prefet »)</small>" in body
    assert "Roubaix <small>(écrit « 59512 »)</small>" in body
    assert body.count("<small>(écrit") == 2  # nothing for names typed as stored (Zoé's)


def test_preview_flags_the_lines_matched_through_an_alias(setup, world):
    from atelier.models import ActorType, ActorTypeAlias
    from territories.models import TerritoryAlias

    ddp = ActorType.objects.get(name="Délégué·e du préfet")
    ActorTypeAlias.objects.create(actor_type=ddp, name="DDP")
    TerritoryAlias.objects.create(territory=world.territories.dept_a, name="CD59")
    text = "nom;type d'acteur;territoire\nA;ddp;cd59\nB;Délégué du préfet;Roubaix\n"
    first, second = roster.parse(text, setup).valid
    assert (first.actor_type, first.actor_type_alias) == (ddp, True)
    assert (first.territory, first.territory_alias) == (world.territories.dept_a, True)
    assert (second.actor_type_alias, second.territory_alias) == (False, False)
    assert second.territory == world.territories.commune_a

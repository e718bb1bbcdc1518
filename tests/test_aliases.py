"""Other names coordinators give actor types and territories ("DDP", "CD59"):
added from the import preview or their own page, read by the next import."""

import pytest

from atelier import roster
from atelier.matching import actor_type_index
from atelier.models import ActorType, ActorTypeAlias, Participant
from territories.models import TerritoryAlias

from . import factories as f
from .browser import assert_accessible, log_in

pytestmark = pytest.mark.django_db

CSV = (
    "nom;prénom;type d'acteur;territoire\nLefèvre;Hélène;DDP;CD59\nBenali;Zoé;Habitant·e;Roubaix\n"
).encode()


@pytest.fixture
def ddp(world):
    return f.ActorTypeFactory(name="Délégué·e du préfet", quote_label="délégué.e du préfet")


@pytest.fixture
def setup(world, ddp):
    f.ActorTypeFactory(name="Habitant·e", quote_label="habitants")
    return world.a.workshop


def aliases_url(workshop):
    return f"/ateliers/{workshop.slug}/participants/autres-noms/"


def preview(client, workshop, data=CSV):
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = f"/ateliers/{workshop.slug}/participants/import/"
    return client.post(url, {"file": SimpleUploadedFile("liste.csv", data)})


def test_an_alias_makes_the_matcher_find_the_actor_type(ddp):
    ActorTypeAlias.objects.create(actor_type=ddp, name="DDP")
    index = actor_type_index(ActorType.objects.all())
    assert index.find("ddp") == [ddp]
    assert index.find("les DDP") == []  # an alias is a name, not a word to search for


def test_a_stored_name_wins_over_another_types_alias(ddp):
    agent = f.ActorTypeFactory(name="Agent·e")
    ActorTypeAlias.objects.create(actor_type=ddp, name="Agents publics")
    index = actor_type_index(ActorType.objects.all())
    assert index.find("agentes") == [agent]


def test_preview_offers_to_name_each_unknown_name_once(setup, as_user, world):
    body = preview(as_user(world.users.coordinator), setup).content.decode()
    assert "type d&#x27;acteur inconnu : « DDP »" in body
    assert "Ajouter « DDP » comme autre nom de" in body
    assert "Ajouter « CD59 » comme autre nom du territoire (nom ou code)" in body
    assert f'action="{aliases_url(setup)}"' in body


def test_aliases_added_from_the_preview_match_at_once_and_say_so(setup, as_user, world, ddp):
    client = as_user(world.users.coordinator)
    content = preview(client, setup).context["content"]
    response = client.post(
        aliases_url(setup),
        {
            "content": content,
            "kind-0": "actor_type",
            "name-0": "DDP",
            "target-0": ddp.pk,
            "kind-1": "territory",
            "name-1": "CD59",
            "target-1": "59",
        },
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "« DDP » est maintenant un autre nom de Délégué·e du préfet." in body
    assert "« CD59 » est maintenant un autre nom de Nord." in body
    assert "2 à ajouter, 0 à mettre à jour, 0 ligne écartée." in body
    assert "DDP → Délégué·e du préfet <small>(autre nom)</small>" in body
    assert "CD59 → Nord <small>(autre nom)</small>" in body
    # Confirming imports with the matched names.
    client.post(
        f"/ateliers/{setup.slug}/participants/import/", {"confirm": "1", "content": content}
    )
    helene = Participant.objects.get(last_name="Lefèvre")
    assert (helene.actor_type, helene.territory) == (ddp, world.territories.dept_a)


def test_an_unknown_name_left_without_target_stays_unknown(setup, as_user, world):
    client = as_user(world.users.coordinator)
    content = preview(client, setup).context["content"]
    response = client.post(
        aliases_url(setup),
        {"content": content, "kind-0": "actor_type", "name-0": "DDP", "target-0": ""},
    )
    assert "type d&#x27;acteur inconnu : « DDP »" in response.content.decode()
    assert not ActorTypeAlias.objects.exists()


def test_a_name_that_already_designates_something_is_refused(setup, as_user, world, ddp):
    client = as_user(world.users.coordinator)
    habitant = ActorType.objects.get(name="Habitant·e")
    response = client.post(
        aliases_url(setup),
        {"kind-0": "actor_type", "name-0": "délégués du prefet", "target-0": habitant.pk},
        follow=True,
    )
    assert "« délégués du prefet » désigne déjà Délégué·e du préfet." in response.content.decode()
    response = client.post(
        aliases_url(setup),
        {"kind-0": "territory", "name-0": "Roubaix", "target-0": "59"},
        follow=True,
    )
    assert "« Roubaix » désigne déjà Roubaix (59512)." in response.content.decode()
    assert not ActorTypeAlias.objects.exists() and not TerritoryAlias.objects.exists()


def test_the_aliases_page_lists_adds_and_removes(setup, as_user, world, ddp):
    client = as_user(world.users.coordinator)
    response = client.post(
        aliases_url(setup),
        {"kind-0": "territory", "name-0": "CD59", "target-0": "Nord"},
        follow=True,
    )
    body = response.content.decode()
    assert "« CD59 » est maintenant un autre nom de Nord." in body
    assert '<th scope="row">CD59</th>' in body
    assert roster.find_territory("cd59") == world.territories.dept_a
    alias = TerritoryAlias.objects.get()
    response = client.post(
        f"{aliases_url(setup)}retirer/", {"kind": "territory", "alias": alias.pk}, follow=True
    )
    assert "Autre nom retiré." in response.content.decode()
    assert roster.find_territory("CD59") is None


def test_the_import_page_links_to_the_aliases_page(setup, as_user, world):
    body = as_user(world.users.coordinator).get(f"/ateliers/{setup.slug}/participants/import/")
    assert f'href="{aliases_url(setup)}"' in body.content.decode()


def test_aliases_page_budget(setup, as_user, world, ddp, django_assert_max_num_queries):
    client = as_user(world.users.coordinator)
    for i in range(10):
        ActorTypeAlias.objects.create(actor_type=ddp, name=f"Sigle {i}")
        TerritoryAlias.objects.create(territory=world.territories.dept_a, name=f"Autre {i}")
    with django_assert_max_num_queries(10):
        response = client.get(aliases_url(setup))
    assert response.content.decode().count("Retirer<span") == 20


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_aliases_page_and_preview_have_no_accessibility_violation(page, live_server, world):
    ddp = f.ActorTypeFactory(name="Délégué·e du préfet")
    ActorTypeAlias.objects.create(actor_type=ddp, name="Préfecture")
    log_in(page.context, live_server, world.users.coordinator)
    page.goto(aliases_url(world.a.workshop))
    assert_accessible(page)
    page.goto(f"/ateliers/{world.a.workshop.slug}/participants/import/")
    page.set_input_files(
        "#id_file", files=[{"name": "l.csv", "mimeType": "text/csv", "buffer": CSV}]
    )
    page.get_by_role("button", name="Voir l'aperçu").click()
    page.get_by_label("Ajouter « DDP » comme autre nom de").select_option(label=ddp.name)
    page.get_by_role("button", name="Ajouter ces autres noms et revoir l'aperçu").click()
    page.get_by_text("« DDP » est maintenant un autre nom de Délégué·e du préfet.").wait_for()
    assert "« DDP »" not in page.locator(".import-errors").inner_text()
    assert_accessible(page)


def test_an_alias_with_a_nul_or_a_target_that_is_no_id_is_refused_not_a_500():
    from atelier import aliases

    with pytest.raises(aliases.AliasError, match="Caractère invisible interdit"):
        aliases.add(aliases.ACTOR_TYPE, "D\x00D", "1")
    with pytest.raises(aliases.AliasError, match="Choisissez le type d'acteur"):
        aliases.add(aliases.ACTOR_TYPE, "ZZX", "²")  # "²".isdigit() is True

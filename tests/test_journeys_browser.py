"""The three journeys of issue #14 in Debian's Chromium, from the home page
with no address typed: each persona opens `/` once, then only clicks and
types (the invitation's link comes by e-mail, so it is opened from the mail).

(a) a coordinator logs in, creates a workshop from a copy of an earlier one,
imports a roster, forms the groups of its round and invites an animator;
(b) the animator chooses a password, logs in, opens "Mon groupe maintenant"
and types notes; (c) the coordinator drafts the synthesis, edits a statement,
sends it to review, approves and publishes it; (d) the delegate of the
workshop's territory finds it on their dashboard.
"""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from atelier.models import Contribution, Kind, Participant, Role, User
from synthesis import similarity
from synthesis.models import Status, Synthesis

from . import factories as f

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = f.PASSWORD
NEW_PASSWORD = "Roubaix-au-printemps-2026"
TITLE = "Atelier de Roubaix, printemps"
ROSTER = (
    "nom;prénom;e-mail;type d'acteur;territoire\n"
    "Lefèvre;Hélène;helene@exemple.fr;Délégué du préfet;Roubaix\n"
    "Benali;Zoé;zoe@exemple.fr;habitantes;59512\n"
    "Martin;Paul;paul@exemple.fr;Agent de collectivité;Roubaix\n"
    "Diallo;Amina;amina@exemple.fr;Habitant;Roubaix\n"
).encode()
NOTES = [
    "Les habitants viennent quand on les invite en personne",
    "Un lieu connu de tous, au cœur du quartier",
    "Des horaires en soirée pour ceux qui travaillent",
]


@pytest.fixture
def lexical(settings):
    """The offline TF-IDF backend: a draft in well under a second."""
    settings.DRAFTING_BACKEND = "lexical"
    similarity.get_backend.cache_clear()
    yield
    similarity.get_backend.cache_clear()


@pytest.fixture
def earlier(db):
    """What the app holds before the journeys: the places, the actor types
    as stored (inclusive writing), an earlier workshop to copy, a coordinator
    and the delegate of the région."""
    region = f.RegionFactory(name="Hauts-de-France", code="32")
    nord = f.TerritoryFactory(name="Nord", code="59", parent=region)
    f.TerritoryFactory(level="commune", name="Roubaix", code="59512", parent=nord)
    for name in ["Délégué·e du préfet", "Habitant·e", "Agent·e de collectivité"]:
        f.ActorTypeFactory(name=name)
    lille = f.WorkshopFactory(title="Atelier de Lille 2021", slug="atelier-lille-2021")
    round_ = f.RoundFactory(workshop=lille, order=1, title="Ce qui marche", grouping_mode="random")
    f.QuestionFactory(
        round=round_,
        order=1,
        title="Qu'est-ce qui fait venir les habitants ?",
        default_kind=Kind.SUCCESS_FACTOR,
    )
    coordinator = f.UserFactory(
        username="coordination", first_name="Claire", last_name="Dubois", role=Role.COORDINATOR
    )
    delegate = f.UserFactory(
        username="delegue", first_name="Driss", last_name="Amrani", role=Role.DELEGATE
    )
    delegate.territories.add(region)
    return coordinator


def log_in_from_home(page, live_server, username, password):
    page.goto(live_server.url + "/")  # the only address typed, once per persona
    page.get_by_role("link", name="Se connecter").first.click()
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.locator("main").get_by_role("button", name="Se connecter").click()
    page.get_by_role("heading", name=re.compile("^Bonjour")).wait_for()


def new_persona(browser, live_server):
    context = browser.new_context(locale="fr-FR", base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def test_three_journeys_from_the_home_page(browser, live_server, earlier, lexical, tmp_path):
    coordinator_context, coord = new_persona(browser, live_server)
    animator_context, anim = new_persona(browser, live_server)
    delegate_context, dele = new_persona(browser, live_server)
    try:
        set_up_the_workshop(coord, live_server)
        type_notes_as_the_invited_animator(anim, live_server)
        draft_review_and_publish(coord)
        read_it_as_the_delegate(dele, live_server)
    finally:
        for context in (coordinator_context, animator_context, delegate_context):
            context.close()


def set_up_the_workshop(page, live_server):
    # (a) Log in, create the workshop from a copy of the earlier one.
    log_in_from_home(page, live_server, "coordination", PASSWORD)
    page.get_by_role("link", name="Nouvel atelier").click()
    page.get_by_label("Reprendre la structure de l'atelier").select_option(
        label="Atelier de Lille 2021"
    )
    page.get_by_label("Titre").fill(TITLE)
    page.get_by_label("Date").fill("2026-04-14")
    page.get_by_label("Territoire (nom ou code officiel)").fill("Roubaix")
    page.get_by_role("button", name="Créer l'atelier").click()
    page.get_by_text(f"L'atelier « {TITLE} » est créé.").wait_for()
    # The copy brought the round and its question.
    copied = page.locator('#structure ~ * input[value="Qu\'est-ce qui fait venir les habitants ?"]')
    assert copied.count() == 1
    page.locator(".breadcrumb").get_by_role("link", name=TITLE).click()

    # Import the roster: preview, then confirm.
    page.locator("nav.hub").get_by_role("link", name="Participant·es").click()
    page.get_by_role("link", name="Importer un fichier CSV").click()
    page.get_by_label("Fichier CSV").set_input_files(
        files=[{"name": "participants.csv", "mimeType": "text/csv", "buffer": ROSTER}]
    )
    page.get_by_role("button", name="Voir l'aperçu").click()
    page.get_by_text("4 à ajouter, 0 à mettre à jour, 0 ligne écartée.").wait_for()
    page.get_by_role("button", name="Confirmer l'import de 4 personnes").click()
    page.get_by_text("Import terminé : 4 ajouts,").wait_for()
    page.get_by_role("heading", name="4 personnes").wait_for()
    assert Participant.objects.get(last_name="Lefèvre").actor_type.name == "Délégué·e du préfet"

    # Form the round's groups, invite an animator, give her group 1.
    page.locator(".breadcrumb").get_by_role("link", name=TITLE).click()
    page.get_by_role("link", name=re.compile("Former ou ajuster les groupes du Temps 1")).click()
    page.get_by_label("Nombre de groupes ou taille").fill("2")
    page.get_by_role("button", name="Former les groupes").click()
    page.get_by_text("Les groupes sont formés.").wait_for()
    invite = page.locator("#invite").locator("..")
    invite.get_by_label("Prénom").fill("Camille")
    invite.get_by_label("Nom", exact=True).fill("Roux")
    invite.get_by_label("Adresse e-mail").fill("camille@exemple.fr")
    invite.get_by_role("button", name="Inviter", exact=True).click()
    page.get_by_text("Invitation envoyée à Camille Roux (camille@exemple.fr).").wait_for()
    page.get_by_label("Animation du Groupe 1").select_option(label="Camille Roux (invité·e)")
    page.get_by_role("button", name="Enregistrer l'animation du Groupe 1").click()
    page.get_by_text("Animation du Groupe 1 mise à jour.").wait_for()


def type_notes_as_the_invited_animator(page, live_server):
    # (b) The e-mail's link, a password, the login form.
    (message,) = mail.outbox
    assert message.to == ["camille@exemple.fr"]
    link = re.search(r"http://\S+/mot-de-passe/\S+/", message.body).group(0)
    page.goto(live_server.url + "/")
    page.goto(link)  # opened from the e-mail, not typed
    page.locator("#id_new_password1").fill(NEW_PASSWORD)
    page.locator("#id_new_password2").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Enregistrer le mot de passe").click()
    page.get_by_role("heading", name="Mot de passe enregistré").wait_for()
    page.locator("main").get_by_role("link", name="Se connecter").click()
    page.locator("#id_username").fill("camille@exemple.fr")
    page.locator("#id_password").fill(NEW_PASSWORD)
    page.locator("main").get_by_role("button", name="Se connecter").click()

    # From her home to the workshop, then "Mon groupe maintenant".
    page.locator("#my-groups").locator("..").get_by_role("link", name=TITLE).click()
    page.get_by_role("link", name=re.compile("^Mon groupe maintenant")).click()
    # A click waits for the new page, not for its deferred board.js: without
    # it Enter would only add a new line (CI failed so once, under load).
    page.wait_for_load_state()
    field = page.locator("textarea[id^='new-text-q']").first
    for text in NOTES:
        field.fill(text)
        field.press("Enter")
    # Locator waits, not wait_for_function: the Content-Security-Policy forbids eval.
    expect(page.locator("li.note-pending")).to_have_count(0)
    for text in NOTES:
        expect(page.locator("li.note[data-note-id]", has_text=text)).to_have_count(1)
    camille = User.objects.get(email="camille@exemple.fr")
    assert sorted(
        Contribution.objects.filter(group__animators=camille).values_list("text", flat=True)
    ) == sorted(NOTES)


def draft_review_and_publish(page):
    # (c) From the home page to the editor; draft, edit a statement, review, publish.
    page.get_by_role("link", name="Accueil").click()
    page.locator("#workshops").locator("..").get_by_role("link", name=TITLE).click()
    page.get_by_role("link", name="Éditer la synthèse").click()
    page.get_by_role("button", name="Générer le brouillon à partir des notes").click()
    page.get_by_role("link", name="Afficher le brouillon").click()
    statement = page.locator("[id^='enonce-']", has_text="invite en personne").first
    statement.get_by_role("link", name=re.compile("^Modifier")).click()
    text = statement.locator("textarea[name='text']")
    text.fill("Inviter les habitants **en personne**, un par un")
    statement.get_by_role("button", name=re.compile("^Enregistrer")).click()
    page.locator("strong", has_text="en personne").wait_for()
    for label, status in [("Envoyer en relecture", "in_review"), ("Approuver", "approved")]:
        page.get_by_role("button", name=label).click()
        page.locator(f"h1 .status-{status}").wait_for()
    page.get_by_role("link", name="Publier…").click()
    page.get_by_role("button", name=re.compile("^Publier la révision")).click()
    page.locator("h1 .status-published").wait_for()
    published = Synthesis.objects.get(workshop__title=TITLE)
    assert published.status == Status.PUBLISHED
    assert published.sections.filter(statements__text__contains="**en personne**").exists()


def read_it_as_the_delegate(page, live_server):
    # (d) The delegate of the région: home, territory, dashboard, synthesis.
    log_in_from_home(page, live_server, "delegue", PASSWORD)
    page.locator("#my-territories").locator("..").get_by_role(
        "link", name="Hauts-de-France"
    ).click()
    syntheses = page.locator("#syntheses-title").locator("..")
    syntheses.get_by_role("link", name=TITLE).click()
    page.locator("strong", has_text="en personne").wait_for()
    assert "Inviter les habitants" in page.locator("main").inner_text()

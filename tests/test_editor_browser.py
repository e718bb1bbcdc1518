"""Editing a synthesis in Debian's Chromium: edit, merge, publish."""

import pytest

from synthesis.models import Statement, Status, Synthesis

from . import factories as f
from .browser import assert_accessible, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_coordinator_edits_merges_and_publishes(page, live_server, world):
    draft = world.a.draft
    one = world.a.draft_statement
    two = f.StatementFactory(section=one.section, order=2, text="Deuxième énoncé")
    two.sources.set(
        [
            f.ContributionFactory(
                group=world.a.groups[1], question=world.a.question, text="Note du groupe deux"
            )
        ]
    )
    log_in(page.context, live_server, world.users.coordinator)
    page.goto(f"/ateliers/{world.a.workshop.slug}/synthese/edition/")
    assert_accessible(page)
    # Edit inline.
    page.locator(f"#enonce-{one.pk} a", has_text="Modifier").click()
    field = page.locator(f"#statement-text-{one.pk}")
    field.fill("Le **portage politique** compte")
    page.locator(f"#enonce-{one.pk} button", has_text="Enregistrer").click()
    page.locator(f"#enonce-{one.pk} strong", has_text="portage politique").wait_for()
    # Merge the two statements.
    page.locator(f"#pick-{one.pk}").check()
    page.locator(f"#pick-{two.pk}").check()
    page.get_by_role("button", name="Fusionner les énoncés cochés").click()
    page.get_by_text("Énoncés fusionnés").wait_for()
    assert not Statement.objects.filter(pk=two.pk).exists()
    assert one.sources.count() == 3
    # Source notes open in place.
    page.locator(f"#enonce-{one.pk} details.sources summary").click()
    page.locator(f"#enonce-{one.pk} .source-notes li", has_text="Note du groupe deux").wait_for()
    assert_accessible(page)
    # Review, approve, publish: publishing asks for confirmation first.
    for label in ["Envoyer en relecture", "Approuver"]:
        page.get_by_role("button", name=label).click()
        page.wait_for_load_state()
    page.get_by_role("link", name="Publier…").click()
    page.get_by_role("heading", name="Publier la révision 2 ?").wait_for()
    assert "Vérifier le chiffre" in page.content()  # the open comment, listed
    assert_accessible(page)
    assert Synthesis.objects.get(pk=draft.pk).status == Status.APPROVED
    page.get_by_role("button", name="Publier la révision 2").dblclick()
    page.locator(".message", has_text="Révision 2 publiée").first.wait_for()
    assert Synthesis.objects.get(pk=draft.pk).status == Status.PUBLISHED
    assert draft.events.filter(after="published").count() == 1
    page.goto(f"/ateliers/{world.a.workshop.slug}/synthese/")
    assert "portage politique" in page.content()
    page.goto(f"/ateliers/{world.a.workshop.slug}/synthese/historique/?de=1&a=2")
    assert_accessible(page)


def test_a_reader_exports_and_downloads_the_pdf(page, live_server, world):
    log_in(page.context, live_server, world.users.delegate_a)
    page.goto(f"/ateliers/{world.a.workshop.slug}/synthese/")
    page.get_by_role("button", name="Préparer PDF").click()
    link = page.get_by_role("link", name="Télécharger le PDF")
    link.wait_for()
    assert_accessible(page)
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == "synthese-atelier-a-r1.pdf"
    with open(download.value.path(), "rb") as handle:
        assert handle.read(5) == b"%PDF-"


def test_merge_reorder_remove_and_attach_swap_parts_without_reloading(page, live_server, world):
    one = world.a.draft_statement
    section = world.a.draft_section
    two = f.StatementFactory(section=section, order=2, text="Deuxième énoncé")
    three = f.StatementFactory(section=section, order=3, text="Troisième énoncé")
    for statement, text in [(two, "Note du groupe deux"), (three, "Note à part")]:
        statement.sources.set(
            [f.ContributionFactory(group=world.a.groups[1], question=world.a.question, text=text)]
        )
    log_in(page.context, live_server, world.users.coordinator)
    page.goto(f"/ateliers/{world.a.workshop.slug}/synthese/edition/")
    # A reload would forget this.
    page.evaluate("window.editorNotReloaded = true")
    page.locator(f"#pick-{one.pk}").check()
    page.locator(f"#pick-{two.pk}").check()
    page.get_by_role("button", name="Fusionner les énoncés cochés").click()
    page.get_by_text("Énoncés fusionnés").wait_for()
    assert page.evaluate("window.editorNotReloaded") is True
    assert not Statement.objects.filter(pk=two.pk).exists()
    assert_accessible(page)
    # Up: the third statement comes before the first, in place.
    page.locator(f"#enonce-{three.pk} button", has_text="Monter").click()
    page.get_by_text("Énoncé monté d'un rang.").wait_for()
    cards = page.locator(f"#rubrique-{section.pk} .statement-card").evaluate_all(
        "cards => cards.map(c => c.id)"
    )
    assert cards == [f"enonce-{three.pk}", f"enonce-{one.pk}"]
    # Remove: its note waits among the unassigned, counted at once.
    page.locator(f"#enonce-{three.pk} button", has_text="Retirer").click()
    page.get_by_text("1 note non rattachée").wait_for()
    assert page.locator(f"#enonce-{three.pk}").count() == 0
    # Attach it back under the first statement.
    page.locator("#non-rattachees input[type=checkbox]").check()
    page.locator(f"#enonce-{one.pk} button", has_text="Rattacher les notes cochées").click()
    page.get_by_text("1 note rattachée.").wait_for()
    page.get_by_text("Toutes les notes sont dans un énoncé.").wait_for()
    assert page.evaluate("window.editorNotReloaded") is True
    assert one.sources.count() == 4
    # Split the note back out, in place of the card.
    page.locator(f"#enonce-{one.pk} a", has_text="Scinder").click()
    page.get_by_label("Note à part").check()
    assert_accessible(page)
    page.locator(f"#enonce-{one.pk} button", has_text="Scinder").click()
    page.get_by_text("Énoncé scindé.").wait_for()
    assert page.locator(f"#rubrique-{section.pk} .statement-card").count() == 2
    assert page.evaluate("window.editorNotReloaded") is True
    assert_accessible(page)


def test_a_published_revision_says_completing_it_opens_a_revision(page, live_server, world):
    Synthesis.objects.filter(pk=world.a.draft.pk).delete()  # r1, published, is the newest
    log_in(page.context, live_server, world.users.coordinator)
    page.goto(f"/ateliers/{world.a.workshop.slug}/synthese/edition/")
    button = page.get_by_role("button", name="Ouvrir une révision et compléter le brouillon")
    assert "crée la révision 2" in button.evaluate(
        "b => document.getElementById(b.getAttribute('aria-describedby')).textContent"
    )
    assert_accessible(page)
    button.click()
    page.get_by_text("Révision 2 ouverte : la version publiée reste en ligne").wait_for()
    assert Synthesis.objects.get(workshop=world.a.workshop, revision=2).status == Status.DRAFT
    assert_accessible(page)

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
    # Review, approve, publish.
    for label in ["Envoyer en relecture", "Approuver", "Publier"]:
        page.get_by_role("button", name=label).click()
        page.wait_for_load_state()
    assert Synthesis.objects.get(pk=draft.pk).status == Status.PUBLISHED
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

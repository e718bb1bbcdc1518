"""Forming the demo's groups and moving someone, in Debian's Chromium."""

import pytest

from atelier.models import Contribution, User
from web import demo

from .browser import assert_accessible, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_coordinator_forms_the_demo_groups_and_moves_a_participant(page, live_server):
    workshop = demo.load().workshop
    second = workshop.rounds.get(order=2)
    Contribution.objects.filter(group__round=second).delete()  # groups with notes stay put
    log_in(page.context, live_server, User.objects.get(username="coordination"))
    page.goto(f"/temps/{second.pk}/groupes/")
    assert_accessible(page)
    page.get_by_label("Aléatoire, en brassant types d'acteur et territoires").check()
    page.get_by_label("Nombre de groupes ou taille").fill("8")
    page.get_by_role("button", name="Reformer les groupes").click()
    page.get_by_text("Les groupes sont formés.").wait_for()
    assert page.locator("article.group-card").count() == 8
    assert "Paires déjà réunies dans un temps précédent : 32" in page.content()
    # Move the first member of group 1 to another group with the keyboard.
    first_card = page.locator("article.group-card").first
    member = first_card.locator("ul.members li").first
    name = member.locator("span").first.inner_text()
    member.locator("select").focus()
    page.keyboard.press("ArrowDown")
    target = member.locator("select option:checked").inner_text()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.get_by_text(f"{name} rejoint le {target}.").wait_for()
    target_group = second.groups.get(number=int(target.split()[-1]))
    assert target_group.members.filter(first_name=name.split()[0]).exists()
    assert_accessible(page)


def test_roster_and_import_pages_have_no_accessibility_violation(page, live_server, tmp_path):
    workshop = demo.load().workshop
    log_in(page.context, live_server, User.objects.get(username="coordination"))
    page.goto(f"/ateliers/{workshop.slug}/participants/")
    assert page.locator("tr[id^=person-]").count() == 96
    assert_accessible(page)
    page.goto(f"/ateliers/{workshop.slug}/participants/import/")
    csv_file = tmp_path / "liste.csv"
    csv_file.write_bytes(
        "nom;prénom;type d'acteur\nMartin;Paul;Habitant·e\n;;\nX;Y;Inconnu\n".encode("cp1252")
    )
    page.get_by_label("Fichier CSV").set_input_files(str(csv_file))
    page.get_by_role("button", name="Voir l'aperçu").click()
    page.get_by_text("Ligne 4").wait_for()
    assert_accessible(page)
    page.get_by_role("button", name="Confirmer l'import de 1 personne").click()
    page.get_by_text("Import terminé").wait_for()
    assert workshop.participants.filter(last_name="Martin", first_name="Paul").exists()

"""The "Rapprochements suggérés" panel in Debian's Chromium: keyboard only."""

import pytest

from atelier.models import Role
from synthesis.models import Statement

from . import factories as f
from .browser import assert_accessible, log_in
from .test_suggestions import Built

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def focused(page):
    return page.evaluate(
        "() => { const e = document.activeElement;"
        " return {text: e.textContent.trim(), panel: !!e.closest('#rapprochements')}; }"
    )


def test_coordinator_accepts_a_suggestion_with_the_keyboard(page, live_server):
    built = Built()
    bus, transports = built.statements["bus"], built.statements["transports"]
    log_in(page.context, live_server, f.UserFactory(role=Role.COORDINATOR))
    page.goto(f"/ateliers/{built.workshop.slug}/synthese/edition/")
    first = page.locator("#rapprochements .suggestion").first
    first.wait_for()
    assert "Pas de bus le soir" in first.inner_text()
    assert_accessible(page)

    # Tab to the first "Fusionner", as someone without a mouse would.
    for _ in range(150):
        page.keyboard.press("Tab")
        if focused(page) == {"text": "Fusionner", "panel": True}:
            break
    else:
        pytest.fail("Tab never reached the first « Fusionner » button")
    page.keyboard.press("Enter")

    page.locator("#rapprochements [role=status]", has_text="Énoncés fusionnés").wait_for()
    # The merged statement shows in its section at once, the other one is gone.
    page.locator(f"#enonce-{bus.pk} li", has_text="Le manque de transports").wait_for()
    assert page.locator(f"#enonce-{transports.pk}").count() == 0
    assert not Statement.objects.filter(pk=transports.pk).exists()
    assert bus.sources.count() == 3
    # The focus stays in the panel, on the next suggestion's first button.
    assert focused(page) == {"text": "Fusionner", "panel": True}
    assert_accessible(page)

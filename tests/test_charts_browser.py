"""Chart labels readable on a desktop and on a phone (Debian's Chromium): the
territory dashboard and the national trends, with their empty states."""

import pytest

from . import factories as f
from .browser import assert_accessible, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The SVG's boxes, not getComputedStyle: a scaled drawing keeps a computed
# font-size of 12px while it shows 6 px letters.
LABEL_HEIGHTS = """() => Array.from(document.querySelectorAll('.bar-chart .bar-label'))
    .map(label => label.getBoundingClientRect().height)"""


def label_heights(page, width):
    page.set_viewport_size({"width": width, "height": 900})
    heights = page.evaluate(LABEL_HEIGHTS)
    assert heights, "no chart label on the page"
    return heights


@pytest.mark.parametrize("width", [1280, 390])
def test_dashboard_chart_labels_are_about_12_px(page, live_server, world, width):
    world.a.notes[0].themes.add(world.theme)
    log_in(page.context, live_server, world.users.delegate_a)
    page.goto(f"/territoires/{world.territories.region_a.pk}/")
    assert min(label_heights(page, width)) >= 11
    assert_accessible(page)


@pytest.mark.parametrize("width", [1280, 390])
def test_trends_chart_labels_are_about_12_px(page, live_server, world, width):
    world.a.notes[0].themes.add(world.theme)
    log_in(page.context, live_server, world.users.coordinator)
    page.goto("/tendances/")
    assert min(label_heights(page, width)) >= 11
    assert_accessible(page)


def test_an_empty_territory_explains_itself(page, live_server, world):
    empty = f.RegionFactory(name="Bretagne", code="53")
    log_in(page.context, live_server, world.users.coordinator)
    page.goto(f"/territoires/{empty.pk}/")
    page.get_by_text(
        "Aucun atelier dans ce territoire pour l'instant, donc rien à compter."
    ).wait_for()
    assert page.locator("svg.bar-chart").count() == 0
    assert_accessible(page)

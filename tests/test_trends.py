"""National trends: hand-counted on the shared world."""

import pytest

from web import trends

from . import factories as f

pytestmark = pytest.mark.django_db


def test_theme_by_region_top_lists_and_quarters(world):
    world.a.notes[1].themes.add(world.theme)
    b1 = world.b.notes[0]
    b1.themes.add(world.theme)
    b1.kind = "obstacle"
    b1.save()
    built = trends.build()
    [row] = built["matrix"]["rows"]
    regions = [r.name for r in built["matrix"]["regions"]]
    assert regions == ["Hauts-de-France", "Occitanie"]
    assert (row["name"], row["cells"], row["total"]) == ("Thème matrice", [1, 1], 2)
    assert [(r["themes__name"], r["workshops"]) for r in built["success_factors"]] == [
        ("Thème matrice", 1)
    ]
    assert [(r["themes__name"], r["workshops"]) for r in built["obstacles"]] == [
        ("Thème matrice", 1)
    ]
    assert built["quarters"]["rows"] == [
        {"label": "2021 T1", "counts": [2, 1, 0, 0, 0], "total": 3}
    ]


def test_trends_page_budget_does_not_grow(world, as_user, django_assert_max_num_queries):
    client = as_user(world.users.coordinator)
    with django_assert_max_num_queries(10):
        client.get("/tendances/")
    for _ in range(10):
        note = f.ContributionFactory(kind="obstacle")
        note.themes.add(f.ThemeFactory())
    with django_assert_max_num_queries(10):
        response = client.get("/tendances/")
    assert response.status_code == 200


def test_trends_follow_notes_written_in_bulk(world):
    from atelier.models import Contribution

    group, question = world.a.groups[0], world.a.question
    notes = Contribution.objects.bulk_create(
        [
            Contribution(group=group, question=question, kind="obstacle", text=f"F{i}")
            for i in range(3)
        ]
    )
    Contribution.themes.through.objects.bulk_create(
        [Contribution.themes.through(contribution_id=n.pk, theme=world.theme) for n in notes]
    )
    built = trends.build()
    assert [(r["themes__name"], r["workshops"], r["n"]) for r in built["obstacles"]] == [
        ("Thème matrice", 1, 3)
    ]
    assert built["quarters"]["rows"] == [
        {"label": "2021 T1", "counts": [3, 3, 0, 0, 0], "total": 6}
    ]
    notes[0].soft_delete()
    assert trends.build()["obstacles"][0]["n"] == 2


def test_top_themes_are_drawn_as_bars_with_readable_labels(world, as_user):
    world.a.notes[1].themes.add(world.theme)
    body = as_user(world.users.coordinator).get("/tendances/").content.decode()
    # The success factors' themes, then the quarters (the world has no obstacle).
    assert body.count('class="bar-chart"') == 2 and "viewBox" not in body
    chart = body.split('class="bar-chart"')[1].split("</svg>")[0]
    assert "Thème matrice" in chart and 'class="bar-value" dx="8">1</tspan>' in chart


def test_the_quarters_are_drawn_as_bars_above_their_table(world, as_user):
    for kind in ("quote", "other"):
        f.ContributionFactory(group=world.a.groups[0], question=world.a.question, kind=kind)
    body = as_user(world.users.coordinator).get("/tendances/").content.decode()
    figure = body.split('id="chart-quarters-title"')[1].split("</figure>")[0]
    chart = figure.split('class="bar-chart"')[1].split("</svg>")[0]
    # Every note of the quarter counts: 2 success factors, 1 obstacle, 1 quote and
    # 1 "other", which has no column in the table.
    assert '2021 T1<tspan class="bar-value" dx="8">5</tspan>' in chart
    assert "<table" not in figure  # the table below carries the figures by kind
    assert body.index('id="chart-quarters-title"') < body.index("Notes par trimestre et par type")


def test_empty_trends_say_why_instead_of_dashes(world, as_user):
    body = as_user(world.users.coordinator).get("/tendances/").content.decode()
    # No theme chart drawn empty (the quarters have the world's notes).
    assert "<td colspan" not in body and 'id="chart-success-factors-title"' not in body
    assert 'id="chart-obstacles-title"' not in body
    assert "Aucun facteur de réussite classé par thème pour l" in body
    assert "Aucun frein classé par thème pour l" in body

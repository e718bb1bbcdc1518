"""National trends: hand-counted on the shared world."""

import pytest

from territories import trends

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
    assert built["quarters"]["rows"] == [{"label": "2021 T1", "counts": [2, 1, 0, 0, 0]}]


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

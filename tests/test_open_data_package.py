"""The open-data package: `manage.py export_open_data DIR` and the zip the
coordination downloads. Every file is described in datapackage.json, the
package validates with Frictionless, and it holds what anybody may read."""

import csv
import io
import json
import zipfile

import pytest
from django.core.management import call_command

from api import package

from . import factories as f

FILES = {
    "syntheses.csv",
    "statements.csv",
    "workshops.csv",
    "territories.csv",
    "themes.csv",
    "figures.csv",
    "datapackage.json",
}


def rows(path):
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def written(world, tmp_path):
    world.a.notes[0].themes.add(world.theme)
    out = io.StringIO()
    call_command("export_open_data", str(tmp_path / "donnees"), stdout=out)
    return tmp_path / "donnees"


def test_the_command_writes_every_file_described(written):
    assert {p.name for p in written.iterdir()} == FILES
    descriptor = json.loads((written / "datapackage.json").read_text())
    assert descriptor["licenses"][0]["name"] == "etalab-2.0"
    for resource in descriptor["resources"]:
        header = (written / resource["path"]).read_text(encoding="utf-8").splitlines()[0]
        fields = resource["schema"]["fields"]
        assert header.split(",") == [field["name"] for field in fields], resource["name"]
        assert all(field["description"] for field in fields), resource["name"]


def test_the_package_validates_with_frictionless(written):
    from frictionless import Package

    report = Package(str(written / "datapackage.json")).validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])


def test_it_holds_only_what_anybody_may_read(world, written):
    assert {r["workshop"] for r in rows(written / "syntheses.csv")} == {"atelier-n"}
    assert {r["slug"] for r in rows(written / "workshops.csv")} == {"atelier-n"}
    statements = rows(written / "statements.csv")
    assert [s["text"] for s in statements] == ["Énoncé secret N"]
    everything = "".join(p.read_text(encoding="utf-8") for p in written.iterdir())
    for secret in ["Énoncé secret A", "Énoncé secret B", "Note secrète", "Personne", "brouillon"]:
        assert secret not in everything, secret
    # The territories and the codebook are reference data: all of them.
    assert {r["code"] for r in rows(written / "territories.csv")} == {
        "32",
        "59",
        "59512",
        "76",
        "30",
    }
    assert [r["slug"] for r in rows(written / "themes.csv")] == ["theme-matrice"]


def test_figures_count_public_workshops_up_the_territory_tree(world, tmp_path):
    public = f.WorkshopFactory(
        slug="public-roubaix", is_public=True, territory=world.territories.commune_a
    )
    rnd = f.RoundFactory(workshop=public, order=1)
    question = f.QuestionFactory(round=rnd, order=1)
    group = f.WorkingGroupFactory(round=rnd, number=1)
    for i in range(3):
        note = f.ContributionFactory(group=group, question=question, kind="obstacle", text=f"n{i}")
    note.themes.add(world.theme)
    package.write(tmp_path)
    figures = rows(tmp_path / "figures.csv")
    obstacles = {
        (r["territory_code"], r["theme"]): int(r["notes"])
        for r in figures
        if r["kind"] == "obstacle"
    }
    # Roubaix, Nord, Hauts-de-France and the national rows; workshop A (not
    # public, also in Roubaix) counts nowhere.
    assert obstacles == {
        ("59512", ""): 3,
        ("59", ""): 3,
        ("32", ""): 3,
        ("", ""): 3,
        ("59512", "theme-matrice"): 1,
        ("59", "theme-matrice"): 1,
        ("32", "theme-matrice"): 1,
        ("", "theme-matrice"): 1,
    }
    success = [r for r in figures if r["kind"] == "success_factor" and r["territory_code"] == "32"]
    assert success == []  # workshop A's success factors are not public


def test_text_cells_never_run_as_formulas(world, tmp_path):
    world.national.statement.text = '=HYPERLINK("http://x")'
    world.national.statement.save()
    package.write(tmp_path)
    texts = [r["text"] for r in rows(tmp_path / "statements.csv")]
    assert texts == ['\'=HYPERLINK("http://x")']


def test_coordinators_download_the_same_package_as_a_zip(world, as_user):
    response = as_user(world.users.coordinator).get("/donnees-ouvertes.zip")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert set(archive.namelist()) == FILES
    assert "Énoncé secret N" in archive.read("statements.csv").decode()
    assert as_user(world.users.delegate_a).get("/donnees-ouvertes.zip").status_code == 403
    assert as_user(None).get("/donnees-ouvertes.zip").status_code == 302


def test_the_package_costs_the_same_queries_whatever_the_data(
    world, tmp_path, django_assert_max_num_queries
):
    with django_assert_max_num_queries(16):
        package.files()
    for i in range(10):
        ws = f.WorkshopFactory(
            slug=f"public-{i}", is_public=True, territory=world.territories.dept_a
        )
        synthesis = f.SynthesisFactory(workshop=ws)
        section = f.SectionFactory(synthesis=synthesis, order=1)
        for j in range(3):
            f.StatementFactory(section=section, text=f"Énoncé {i}-{j}", order=j)
    with django_assert_max_num_queries(16):
        package.files()

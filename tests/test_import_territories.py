"""Importing the official QPV list (territories/importing.py, manage.py import_territories)."""

from datetime import date
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from territories.importing import ImportProblems, decode, load, parse, read
from territories.models import Level, Territory
from web import demo

SAMPLE = Path(__file__).parent / "fixtures" / "qpv-sample.csv"
HEADER = "code;nom;communes;departement;region;debut;fin\n"
GOOD = "QN05901I;La Bourgogne;59599;59;32;;\n"


def counts() -> dict[str, int]:
    return {level: Territory.objects.filter(level=level).count() for level in Level.values}


def territory(level: Level, code: str) -> Territory:
    return Territory.objects.get(level=level, code=code)


def run(path: Path) -> str:
    out = StringIO()
    call_command("import_territories", str(path), stdout=out)
    return out.getvalue()


# --- Parsing -------------------------------------------------------------------------------


def test_sample_parses_with_french_headers():
    rows = parse(read(SAMPLE))
    assert len(rows) == 8
    spanning = next(r for r in rows if r.code == "QN05902X")
    assert spanning.line == 4
    assert spanning.name == "Pile - Sainte-Élisabeth - Blanc Seau"
    assert spanning.communes == ("59512", "59599")
    assert spanning.commune_names == ("Roubaix", "Tourcoing")
    assert (spanning.departement, spanning.region) == ("59", "32")


def test_headers_are_matched_without_case_or_accents_and_codes_are_padded():
    text = (
        "CODE,Nom,COMMUNES,Libelle_Commune,DÉPARTEMENT,RÉGION,Début,FIN,population\n"
        'qn00701a,Pont d\'Aubenas,"7019",Aubenas,7,84,2024-03-01,31/12/2030,1234\n'
    )
    (row,) = parse(text)
    assert row.code == "QN00701A"
    assert row.communes == ("07019",)
    assert (row.departement, row.region) == ("07", "84")
    assert (row.valid_from, row.valid_until) == (date(2024, 3, 1), date(2030, 12, 31))


@pytest.mark.parametrize("separator", [",", "|", " ", " | ", ", "])
def test_communes_separators(separator):
    cell = f'"59512{separator}59599"'
    (row,) = parse(f"code,nom,communes,departement,region\nQN05902X,Pile,{cell},59,32\n")
    assert row.communes == ("59512", "59599")


def test_corsica_and_overseas_codes():
    text = (
        "code;nom;communes;departement;region\n"
        "QN02A01A;Les Salines;2A004;2a;94\n"
        "QN02B01B;Quartiers Sud;2B033;2B;94\n"
        "QN97201A;Volga Plage;97209;972;2\n"
        "QN97601A;Kawéni;97611;976;06\n"
    )
    rows = parse(text)
    assert [(r.communes[0], r.departement, r.region) for r in rows] == [
        ("2A004", "2A", "94"),
        ("2B033", "2B", "94"),
        ("97209", "972", "02"),
        ("97611", "976", "06"),
    ]


def test_validity_defaults_by_generation():
    rows = {r.code: r for r in parse(read(SAMPLE))}
    assert (rows["QP059008"].valid_from, rows["QP059008"].valid_until) == (
        date(2015, 1, 1),
        date(2023, 12, 31),
    )
    assert (rows["QN05901I"].valid_from, rows["QN05901I"].valid_until) == (date(2024, 1, 1), None)
    # Dates given in the file win, in either format.
    assert rows["QN01302K"].valid_from == date(2024, 1, 1)
    assert rows["QP972002"].valid_until == date(2023, 12, 31)


def test_windows_1252_and_bom():
    text = SAMPLE.read_text(encoding="utf-8")
    assert decode(text.encode("cp1252")) == text
    assert decode(b"\xef\xbb\xbf" + text.encode("utf-8")) == text
    rows = parse(decode(text.encode("cp1252")))
    assert rows[2].name == "Pile - Sainte-Élisabeth - Blanc Seau"


BAD_ROWS = [
    ("XX059001;Quartier;59512;59;32;;", "niveau inconnu"),
    ("59512;Quartier;59512;59;32;;", "niveau inconnu"),
    (";Quartier;59512;59;32;;", "code du QPV manquant"),
    ("QN05999Z;;59512;59;32;;", "nom du QPV manquant"),
    ("QN05999Z;Quartier;;59;32;;", "aucune commune"),
    ("QN05999Z;Quartier;59512;62;32;;", "la commune 59512 n'est pas dans le département 62"),
    ("QN05999Z;Quartier;59512|62041;59;32;;", "la commune 62041 n'est pas dans le département 59"),
    ("QN02A99Z;Quartier;2A004;2B;94;;", "la commune 2A004 n'est pas dans le département 2B"),
    ("QN02A99Z;Quartier;20004;2A;94;;", "la commune 20004 n'est pas dans le département 2A"),
    ("QN97299Z;Quartier;97101;972;02;;", "la commune 97101 n'est pas dans le département 972"),
    ("QN97299Z;Quartier;97209;97;02;;", "code de département mal formé"),
    ("QN02099Z;Quartier;20004;20;94;;", "code de département mal formé"),
    ("QN05999Z;Quartier;5951;59;32;;", "la commune 05951 n'est pas dans le département 59"),
    ("QN05999Z;Quartier;595120;59;32;;", "code INSEE de commune mal formé"),
    ("QN05999Z;Quartier;59512;;32;;", "code de département manquant"),
    ("QN05999Z;Quartier;59512;59;;;", "code de région manquant"),
    ("QN05999Z;Quartier;59512;59;HDF;;", "code de région mal formé"),
    ("QN05999Z;Quartier;59512;59;32;2024-02-30;", "date de début mal formée"),
    ("QN05999Z;Quartier;59512;59;32;;31/12/24", "date de fin mal formée"),
    ("QN05999Z;Quartier;59512;59;32;;demain", "date de fin mal formée"),
    ("QN05999Z;Quartier;59512;59;32;2024-06-01;2024-01-01", "précède le début"),
    ("QP05999Z;Quartier;59512;59;32;2024-06-01;", "précède le début"),
    ("QN05999Z;Quartier;59512|59512;59;32;;", "deux fois"),
    ("QN05901I;Doublon;59599;59;32;;", "le QPV QN05901I figure déjà ligne 2"),
    ("QN05999Z;Quartier;59512;59;11;;", "le département 59 est dans la région 32 ligne 2"),
    # Issue 16: NUL reached PostgreSQL (a 500); ESC sequences were stored.
    ("QN05999Z;Quar\x00tier;59512;59;32;;", "colonne « nom » : Caractère invisible interdit"),
    ("QN05999Z;\x1b[2JQuartier;59512;59;32;;", "Caractère invisible interdit (U+001B)"),
]


@pytest.mark.parametrize(("bad", "reason"), BAD_ROWS)
def test_each_bad_row_is_reported_with_its_line(bad, reason):
    with pytest.raises(ImportProblems) as caught:
        parse(HEADER + GOOD + bad + "\n")
    assert len(caught.value.problems) == 1
    line, message = caught.value.problems[0]
    assert line == 3
    assert reason in message


@pytest.mark.django_db
@pytest.mark.parametrize(("bad", "reason"), BAD_ROWS)
def test_a_bad_row_refuses_the_whole_import(tmp_path, bad, reason):
    path = tmp_path / "qpv.csv"
    path.write_text(HEADER + GOOD + "\n" + bad + "\n" + GOOD.replace("I;", "J;"), encoding="utf-8")
    with pytest.raises(CommandError) as caught:
        run(path)
    assert "import refusé, 1 ligne en erreur ; rien n'a été enregistré" in str(caught.value)
    assert "ligne 4 : " in str(caught.value)
    assert reason in str(caught.value)
    assert Territory.objects.count() == 0


def test_every_problem_is_listed():
    text = HEADER + "XX1;;59512;62;32;;\n" + GOOD + "QN2;Nord;59512;59;32;1er mai;\n"
    with pytest.raises(ImportProblems) as caught:
        parse(text)
    assert [line for line, _ in caught.value.problems] == [2, 4]
    first, second = (reason for _, reason in caught.value.problems)
    assert "niveau inconnu" in first
    assert "nom du QPV manquant" in first
    assert "n'est pas dans le département 62" in first
    assert "mal formé" in second
    assert "date de début mal formée" in second


def test_commune_named_differently_on_two_lines():
    text = (
        "code;nom;communes;libelle_commune;departement;region\n"
        "QN05901I;La Bourgogne;59599;Tourcoing;59;32\n"
        "QN05902X;Pile;59512|59599;Roubaix|Turcoing;59;32\n"
    )
    with pytest.raises(ImportProblems) as caught:
        parse(text)
    assert caught.value.problems == [
        (3, "la commune 59599 s'appelle « Tourcoing » ligne 2"),
    ]


def test_names_and_codes_must_pair_up():
    text = (
        "code;nom;communes;libelle_commune;departement;region\n"
        "QN05902X;Pile;59512|59599;Roubaix;59;32\n"
    )
    with pytest.raises(ImportProblems, match="1 noms de communes pour 2 codes INSEE"):
        parse(text)


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("", 1, "le fichier est vide"),
        ("\n\n", 1, "le fichier est vide"),
        ("code;nom;communes;departement;region\n", 1, "ne contient aucun QPV"),
        ("code;nom;departement\nQN05901I;X;59\n", 1, "colonnes obligatoires absentes"),
        ("code;nom;code_qpv;communes;departement;region\n", 1, "apparaît deux fois"),
    ],
)
def test_file_level_problems(text, line, reason):
    with pytest.raises(ImportProblems) as caught:
        parse(text)
    assert caught.value.problems[0].line == line
    assert reason in caught.value.problems[0].reason


def test_undecodable_bytes_name_their_line():
    with pytest.raises(ImportProblems) as caught:
        decode(HEADER.encode() + b"QN05901I;La Bourgogne\x81;59599;59;32;;\n")
    assert caught.value.problems[0].line == 2


# --- Loading -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_sample_loads():
    summary = load(parse(read(SAMPLE)))
    assert str(summary) == "8 QPV (8 créés, 0 mis à jour), 6 communes, 4 départements, 4 régions"
    assert counts() == {"region": 4, "departement": 4, "epci": 0, "commune": 6, "qpv": 8}
    roubaix = territory(Level.COMMUNE, "59512")
    assert roubaix.name == "Roubaix"
    assert roubaix.parent == territory(Level.DEPARTEMENT, "59")
    assert roubaix.path == "region-32/departement-59/commune-59512/"
    # Régions and départements have no name in the file: their code stands in.
    assert territory(Level.REGION, "02").name == "02"
    assert territory(Level.DEPARTEMENT, "972").parent == territory(Level.REGION, "02")
    # Région 93 (PACA) and département 93 (Seine-Saint-Denis) are two territories.
    assert territory(Level.DEPARTEMENT, "13").parent.code == "93"
    assert territory(Level.COMMUNE, "93066").path == "region-11/departement-93/commune-93066/"


@pytest.mark.django_db
def test_qpv_spanning_two_communes_is_covered_by_each_and_by_the_region():
    load(parse(read(SAMPLE)))
    qpv = territory(Level.QPV, "QN05902X")
    roubaix = territory(Level.COMMUNE, "59512")
    tourcoing = territory(Level.COMMUNE, "59599")
    assert qpv.parent == roubaix
    assert set(qpv.communes.all()) == {roubaix, tourcoing}
    assert qpv in Territory.objects.covered_by([roubaix])
    assert qpv in Territory.objects.covered_by([tourcoing])
    assert qpv in Territory.objects.covered_by([territory(Level.REGION, "32")])
    assert qpv in Territory.objects.covered_by([territory(Level.DEPARTEMENT, "59")])
    assert qpv not in Territory.objects.covered_by([territory(Level.COMMUNE, "59271")])
    assert qpv not in Territory.objects.covered_by([territory(Level.REGION, "11")])
    # Tourcoing covers its own QPV of both generations plus the shared one.
    tourcoing_qpvs = Territory.objects.covered_by([tourcoing]).filter(level=Level.QPV)
    assert {t.code for t in tourcoing_qpvs} == {"QP059008", "QN05901I", "QN05902X"}


@pytest.mark.django_db
def test_validity_dates_by_generation_are_stored():
    load(parse(read(SAMPLE)))
    old = territory(Level.QPV, "QP059008")
    new = territory(Level.QPV, "QN05901I")
    assert (old.name, new.name) == ("La Bourgogne", "La Bourgogne")
    assert (old.valid_from, old.valid_until) == (date(2015, 1, 1), date(2023, 12, 31))
    assert (new.valid_from, new.valid_until) == (date(2024, 1, 1), None)
    assert old.parent == new.parent == territory(Level.COMMUNE, "59599")


@pytest.mark.django_db
def test_second_run_changes_nothing():
    load(parse(read(SAMPLE)))
    before = counts()
    paths = dict(Territory.objects.values_list("pk", "path"))
    links = Territory.communes.through.objects.count()
    summary = load(parse(read(SAMPLE)))
    assert str(summary) == "8 QPV (0 créé, 8 mis à jour), 6 communes, 4 départements, 4 régions"
    assert summary.details() == ""
    assert counts() == before
    assert dict(Territory.objects.values_list("pk", "path")) == paths
    assert Territory.communes.through.objects.count() == links


@pytest.mark.django_db
def test_a_qpv_is_updated_from_the_file():
    load(parse(read(SAMPLE)))
    text = (
        "code;nom;communes;departement;region;fin\n"
        "QN05902X;Blanc Seau - Pile;59599|59512;59;32;2030-12-31\n"
    )
    summary = load(parse(text))
    assert (summary.qpv_created, summary.qpv_updated) == (0, 1)
    qpv = territory(Level.QPV, "QN05902X")
    assert qpv.name == "Blanc Seau - Pile"
    assert qpv.parent.code == "59599"  # the first commune listed
    assert qpv.path == "region-32/departement-59/commune-59599/qpv-QN05902X/"
    assert qpv.valid_until == date(2030, 12, 31)
    assert Territory.objects.filter(level=Level.QPV).count() == 8


@pytest.mark.django_db
def test_existing_demo_territories_are_reused():
    demo.load()
    sites = {code: name for code, name, _dept in demo.SITES}
    before = counts()
    summary = load(parse(read(SAMPLE)))
    assert summary.communes_created == summary.departements_created == 0
    assert summary.regions_created == 0
    assert summary.moved == []
    after = counts()
    assert after == {**before, "qpv": before["qpv"] + 8}
    communes = Territory.objects.filter(level=Level.COMMUNE)
    assert {t.code: t.name for t in communes} == sites
    assert territory(Level.REGION, "02").name == "Martinique"
    assert territory(Level.DEPARTEMENT, "93").name == "Seine-Saint-Denis"
    demo_roubaix = territory(Level.COMMUNE, "59512")
    assert territory(Level.QPV, "QN05902X").parent == demo_roubaix
    # And the demo loads again over the imported QPV.
    demo.load()
    assert counts() == after


@pytest.mark.django_db
def test_existing_territory_keeps_its_name_and_epci():
    region = Territory.objects.create(level=Level.REGION, code="32", name="Hauts-de-France")
    nord = Territory.objects.create(level=Level.DEPARTEMENT, code="59", name="Nord", parent=region)
    mel = Territory.objects.create(
        level=Level.EPCI, code="200093201", name="Métropole européenne de Lille", parent=nord
    )
    roubaix = Territory.objects.create(
        level=Level.COMMUNE, code="59512", name="Ville de Roubaix", parent=mel
    )
    text = (
        "code;nom;communes;libelle_commune;departement;departement_nom;region\n"
        "QN05902X;Pile;59512|59599;Roubaix|Tourcoing;59;Département du Nord;32\n"
    )
    summary = load(parse(text))
    assert summary.moved == []
    assert (summary.communes_created, summary.departements_created) == (1, 0)
    roubaix.refresh_from_db()
    nord.refresh_from_db()
    assert (roubaix.name, roubaix.parent) == ("Ville de Roubaix", mel)
    assert nord.name == "Nord"
    assert territory(Level.COMMUNE, "59599").parent == nord
    assert territory(Level.QPV, "QN05902X").path.startswith(roubaix.path)
    assert territory(Level.QPV, "QN05902X") in Territory.objects.covered_by([mel])


@pytest.mark.django_db
def test_a_misplaced_commune_moves_under_its_departement_with_its_subtree():
    wrong = Territory.objects.create(level=Level.DEPARTEMENT, code="62", name="Pas-de-Calais")
    roubaix = Territory.objects.create(
        level=Level.COMMUNE, code="59512", name="Roubaix", parent=wrong
    )
    old_qpv = Territory.objects.create(
        level=Level.QPV, code="QP059099", name="Ancien", parent=roubaix
    )
    summary = load(parse("code;nom;communes;departement;region\nQN05902X;Pile;59512;59;32\n"))
    assert summary.moved == ["Roubaix (Commune)"]
    assert summary.details() == (
        "Territoires créés : 1 département, 1 région\n"
        "Rattachés à un autre parent : Roubaix (Commune)"
    )
    old_qpv.refresh_from_db()
    assert old_qpv.path == "region-32/departement-59/commune-59512/qpv-QP059099/"


# --- The command ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_command_prints_the_summary():
    output = run(SAMPLE)
    assert "8 QPV (8 créés, 0 mis à jour), 6 communes, 4 départements, 4 régions" in output
    assert "Territoires créés : 6 communes, 4 départements, 4 régions" in output
    assert "8 QPV (0 créé, 8 mis à jour)" in run(SAMPLE)


@pytest.mark.django_db
def test_command_reads_windows_1252_comma_separated_files(tmp_path):
    text = (
        SAMPLE.read_text(encoding="utf-8").replace(";", ",").replace("59512|59599", '"59512,59599"')
    )
    path = tmp_path / "qpv-excel.csv"
    path.write_bytes(text.replace("\n", "\r\n").encode("cp1252"))
    assert "8 QPV (8 créés, 0 mis à jour)" in run(path)
    assert territory(Level.QPV, "QN05902X").name == "Pile - Sainte-Élisabeth - Blanc Seau"
    assert territory(Level.QPV, "QN05902X").communes.count() == 2
    assert territory(Level.QPV, "QP972002").name == "Trénelle - Citron"


@pytest.mark.django_db
def test_command_lists_every_problem_and_writes_nothing(tmp_path):
    path = tmp_path / "qpv.csv"
    path.write_text(
        HEADER + "XX1;A;59512;59;32;;\n" + GOOD + "QN05999Z;B;59512;62;32;;\n", encoding="utf-8"
    )
    with pytest.raises(CommandError) as caught:
        run(path)
    message = str(caught.value)
    assert "import refusé, 2 lignes en erreur ; rien n'a été enregistré." in message
    assert "ligne 2 : code « XX1 » : niveau inconnu" in message
    assert "ligne 4 : la commune 59512 n'est pas dans le département 62" in message
    assert Territory.objects.count() == 0


@pytest.mark.django_db
def test_command_missing_file(tmp_path):
    with pytest.raises(CommandError, match="impossible de lire"):
        run(tmp_path / "absent.csv")


def test_command_help_renders():
    from territories.management.commands.import_territories import Command

    text = Command().create_parser("manage.py", "import_territories").format_help()
    assert "quartiers prioritaires (QPV)" in text

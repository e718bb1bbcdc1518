"""Importing a synthesis written in the reference format (synthesis/importing.py)."""

import io
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from atelier.matching import actor_type_index, name_key
from atelier.models import (
    ActorType,
    Contribution,
    GroupingMode,
    Kind,
    Organisation,
    Question,
    Round,
    WorkingGroup,
    Workshop,
    WorkshopFormat,
)
from synthesis.importing import (
    SynthesisConflictError,
    SynthesisFormatError,
    import_synthesis,
    parse,
)
from synthesis.models import Section, Statement, Status
from web import demo

# The repository ships a copy of the reference document (the demo loads it);
# the test below checks that it is still the reference, when shared/ is there.
SEED = demo.SEED
REFERENCE = settings.BASE_DIR.parent / "shared" / "seed" / "grand-atelier-atc-2021.md"


def test_shipped_seed_is_the_reference_document():
    if REFERENCE.exists():
        assert SEED.read_bytes() == REFERENCE.read_bytes()
    assert "GRAND ATELIER DE L'ATC" in SEED.read_text(encoding="utf-8")


OTHER_DOCUMENT = """\
Rencontre régionale des animateurs, hybride

1er mars 2022

Une journée pour faire le point.

Temps 1 : Quatre groupes, répartition aléatoire.
Temps 2 : Groupes de pairs.
Temps 3 : Composition libre.

TEMPS 1 :

► Ce qui a marché / facteurs de réussite

La **confiance** entre partenaires :

• Des réunions régulières ;

• Un *animateur* reconnu.

TEMPS 2 :

► Les freins rencontrés

Le manque de **temps**.

TEMPS 3 : DEMAIN

► Nos engagements

Ouvrir les ateliers aux habitants.

Une initiative portée par
Fédération des centres sociaux (FCSF)
Bleu Blanc Zèbre

Avec le soutien de : ANCT ; Ville de Lyon
"""

MODELS = (Workshop, Round, Question, Section, Statement, ActorType, Organisation)


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def write(tmp_path: Path, text: str, name: str = "synthese.md") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def statement_containing(fragment: str) -> Statement:
    return Statement.objects.get(text__contains=fragment)


@pytest.fixture
def seed():
    return import_synthesis(SEED)


# --- The seed ----------------------------------------------------------------


@pytest.mark.django_db
def test_seed_import_reports_two_rounds_five_questions(seed):
    assert (seed.rounds, seed.questions, seed.statements) == (2, 5, 43)
    assert seed.created
    assert Round.objects.filter(workshop=seed.workshop).count() == 2
    assert Question.objects.filter(round__workshop=seed.workshop).count() == 5
    assert seed.synthesis.sections.count() == 5


@pytest.mark.django_db
def test_seed_quotes_are_grouped_by_actor_type(seed):
    assert seed.quotes_by_actor_type == {"Délégué.e du préfet": 2, "Agents": 8}
    delegate = ActorType.objects.get(quote_label="délégué.e du préfet")
    agents = ActorType.objects.get(quote_label="agents")
    assert Statement.objects.filter(kind=Kind.QUOTE, speaker_actor_type=delegate).count() == 2
    assert Statement.objects.filter(kind=Kind.QUOTE, speaker_actor_type=agents).count() == 8
    assert "10 paroles d'acteurs (délégué.e du préfet : 2, agents : 8)" in seed.summary()
    assert "2 temps, 5 rubriques, 43 énoncés" in seed.summary()


@pytest.mark.django_db
def test_seed_keeps_bold_key_phrases(seed):
    statement = statement_containing("diagnostic partagé")
    assert "**travail de diagnostic partagé préalable**" in statement.text
    assert statement.kind == Kind.SUCCESS_FACTOR


@pytest.mark.django_db
def test_seed_sub_bullets_join_their_statement(seed):
    statement = statement_containing("Le **temps important et reconnu dédié à l'animation**")
    lines = statement.text.split("\n")
    assert lines[1].startswith("- La **diversité et la richesse des outils participatifs**")
    assert lines[-1].startswith("- Les **capacités de communication**")
    assert len(lines) == 5


@pytest.mark.django_db
def test_seed_bullets_separated_by_blank_lines_join_one_statement(seed):
    statement = statement_containing("Renforcer la **participation des habitants**")
    assert "\n- Savoir **rendre lisible**" in statement.text
    assert "\n- Questionner **l'image du quartier, du territoire**" in statement.text
    assert not Statement.objects.filter(text__startswith="- Savoir").exists()


@pytest.mark.django_db
def test_seed_quote_text_is_bare(seed):
    quote = Statement.objects.get(text="Cette expérience ne se décrit pas, elle doit se vivre")
    assert quote.kind == Kind.QUOTE
    assert quote.speaker_actor_type.quote_label == "agents"
    assert Statement.objects.filter(
        text="Deux ans c'est beaucoup trop court! Ça commence juste..."
    ).exists()


@pytest.mark.django_db
def test_seed_question_kinds_are_inferred(seed):
    kinds = list(
        Question.objects.filter(round__workshop=seed.workshop)
        .order_by("round__order", "order")
        .values_list("default_kind", flat=True)
    )
    assert kinds == [Kind.SUCCESS_FACTOR, Kind.OBSTACLE, Kind.LESSON, Kind.COMMITMENT, Kind.QUOTE]


@pytest.mark.django_db
def test_seed_rounds_get_description_and_grouping_mode(seed):
    first, second = Round.objects.filter(workshop=seed.workshop).order_by("order")
    assert first.description == (
        "Huit groupes de travail, avec répartition aléatoire des participants."
    )
    assert first.grouping_mode == GroupingMode.RANDOM
    assert first.title == "" and str(first) == "Temps 1"
    assert second.grouping_mode == GroupingMode.PEER
    assert "Temps 1 : Huit groupes de travail" in seed.synthesis.intro
    assert seed.synthesis.intro.startswith("Ce document est la synthèse")


@pytest.mark.django_db
def test_seed_workshop_date_format_and_published_synthesis(seed):
    workshop = Workshop.objects.get()
    assert workshop.title == "GRAND ATELIER DE L'ATC, EN LIGNE !"
    assert workshop.slug == "grand-atelier-de-latc-en-ligne"
    assert workshop.date == date(2021, 1, 29)
    assert workshop.format == WorkshopFormat.ONLINE
    assert workshop.is_public and workshop.territory is None
    assert seed.synthesis.status == Status.PUBLISHED
    assert seed.synthesis.published_at is not None
    assert seed.synthesis.revision == 1


# --- Re-running --------------------------------------------------------------


@pytest.mark.django_db
def test_second_run_changes_no_count_and_keeps_statement_ids(seed):
    before = counts()
    ids = list(Statement.objects.order_by("pk").values_list("pk", flat=True))
    again = import_synthesis(SEED)
    assert counts() == before
    assert list(Statement.objects.order_by("pk").values_list("pk", flat=True)) == ids
    assert not again.created
    assert again.workshop.pk == seed.workshop.pk
    assert again.synthesis.pk == seed.synthesis.pk


@pytest.mark.django_db
def test_statement_sources_survive_a_rerun(seed):
    question = Question.objects.get(round__workshop=seed.workshop, round__order=1, order=1)
    group = WorkingGroup.objects.create(round=question.round, number=1)
    note = Contribution.objects.create(
        group=group, question=question, kind=Kind.SUCCESS_FACTOR, text="Diagnostic partagé"
    )
    statement = statement_containing("diagnostic partagé préalable")
    statement.sources.add(note)
    import_synthesis(SEED)
    assert list(Statement.objects.get(pk=statement.pk).sources.all()) == [note]


@pytest.mark.django_db
def test_edited_statement_is_restored_with_a_new_version(seed):
    statement = statement_containing("diagnostic partagé préalable")
    original = statement.text
    statement.text = "Modifié à la main"
    statement.save()
    import_synthesis(SEED)
    statement.refresh_from_db()
    assert (statement.text, statement.version) == (original, 2)


@pytest.mark.django_db
def test_shorter_document_removes_sections_and_statements(tmp_path, seed):
    text = SEED.read_text(encoding="utf-8").split("TEMPS 2 :")[0]
    import_synthesis(write(tmp_path, text), slug=seed.workshop.slug)
    assert Round.objects.count() == 1
    assert Section.objects.count() == 3
    assert not Statement.objects.filter(kind=Kind.QUOTE).exists()


@pytest.mark.django_db
def test_dropping_a_round_with_contributions_is_refused_and_writes_nothing(tmp_path, seed):
    round_2 = Round.objects.get(workshop=seed.workshop, order=2)
    group = WorkingGroup.objects.create(round=round_2, number=1)
    Contribution.objects.create(
        group=group, question=round_2.questions.first(), kind=Kind.COMMITMENT, text="Note"
    )
    text = SEED.read_text(encoding="utf-8").split("TEMPS 2 :")[0]
    text = text.replace("GRAND ATELIER DE L'ATC", "AUTRE TITRE")
    before = counts()
    with pytest.raises(SynthesisConflictError) as excinfo:
        import_synthesis(write(tmp_path, text), slug=seed.workshop.slug)
    assert "ligne 15" in str(excinfo.value)  # the "TEMPS 1 :" line
    assert "temps 2" in str(excinfo.value)
    assert counts() == before
    assert Workshop.objects.get().title == "GRAND ATELIER DE L'ATC, EN LIGNE !"


# --- Another document --------------------------------------------------------


@pytest.mark.django_db
def test_other_document_three_rounds_bullets_partners_no_quotes(tmp_path):
    result = import_synthesis(write(tmp_path, OTHER_DOCUMENT))
    assert (result.rounds, result.questions, result.statements) == (3, 3, 3)
    assert result.quotes_by_actor_type == {}
    workshop = result.workshop
    assert workshop.date == date(2022, 3, 1)
    assert workshop.format == WorkshopFormat.HYBRID
    rounds = list(workshop.rounds.order_by("order"))
    assert [r.grouping_mode for r in rounds] == ["random", "peer", "manual"]
    assert [str(r) for r in rounds] == ["Temps 1", "Temps 2", "DEMAIN"]
    assert statement_containing("confiance").text == (
        "La **confiance** entre partenaires :\n"
        "- Des réunions régulières ;\n"
        "- Un *animateur* reconnu."
    )
    kinds = [s.question.default_kind for s in result.synthesis.sections.order_by("order")]
    assert kinds == [Kind.SUCCESS_FACTOR, Kind.OBSTACLE, Kind.COMMITMENT]
    carriers = workshop.carriers.order_by("name")
    assert [(o.name, o.acronym) for o in carriers] == [
        ("Bleu Blanc Zèbre", ""),
        ("Fédération des centres sociaux", "FCSF"),
    ]
    assert sorted(workshop.supporters.values_list("name", flat=True)) == ["ANCT", "Ville de Lyon"]


@pytest.mark.django_db
def test_partners_are_matched_by_acronym_and_replaced_exactly(tmp_path):
    fcsf = Organisation.objects.create(name="Fédération des centres sociaux", acronym="FCSF")
    workshop = import_synthesis(write(tmp_path, OTHER_DOCUMENT)).workshop
    assert fcsf in workshop.carriers.all()
    text = OTHER_DOCUMENT.replace("Bleu Blanc Zèbre\n", "").replace(
        "Fédération des centres sociaux (FCSF)", "fcsf"
    )
    import_synthesis(write(tmp_path, text))
    assert list(workshop.carriers.all()) == [fcsf]


@pytest.mark.django_db
def test_partner_block_without_names_keeps_existing_partners(seed):
    anct = Organisation.objects.create(name="ANCT")
    seed.workshop.supporters.add(anct)
    import_synthesis(SEED)
    assert list(seed.workshop.supporters.all()) == [anct]


@pytest.mark.django_db
def test_existing_actor_type_is_reused(tmp_path):
    agents = ActorType.objects.create(name="Agent", quote_label="")
    delegate = ActorType.objects.create(name="Délégué·e du préfet")
    result = import_synthesis(SEED)
    assert ActorType.objects.count() == 2
    assert result.quotes_by_actor_type == {delegate.name: 2, agents.name: 8}
    assert "délégué·e du préfet : 2, agent : 8" in result.summary()


@pytest.mark.django_db
def test_document_without_rounds_has_one_implicit_round(tmp_path):
    text = (
        "Atelier local\n3 Février 2023\n\n## Ce que disent les habitants\n\n"
        "« Citation libre »\n\nParoles d’habitants\n- On veut être écoutés\n"
    )
    result = import_synthesis(write(tmp_path, text))
    assert (result.rounds, result.questions, result.statements) == (1, 1, 0)
    assert result.quotes_by_actor_type == {"Habitants": 1}
    assert result.unattributed_quotes == 1
    assert "2 paroles d'acteurs (habitants : 1, sans type d'acteur : 1)" in result.summary()
    free, heard = Statement.objects.order_by("order")
    assert (free.text, free.kind, free.speaker_actor_type) == ("Citation libre", Kind.QUOTE, None)
    assert heard.text == "On veut être écoutés"
    assert heard.speaker_actor_type.quote_label == "habitants"
    assert result.workshop.format == WorkshopFormat.IN_PERSON


@pytest.mark.django_db
def test_bom_and_windows_line_endings_are_accepted(tmp_path):
    path = tmp_path / "bom.md"
    text = SEED.read_text(encoding="utf-8").replace("\n", "\r\n")
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    result = import_synthesis(path)
    assert result.workshop.title == "GRAND ATELIER DE L'ATC, EN LIGNE !"
    assert result.statements == 43


@pytest.mark.django_db
def test_slug_option_names_the_workshop(tmp_path):
    result = import_synthesis(SEED, slug="grand-atelier-2021")
    assert result.workshop.slug == "grand-atelier-2021"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("29 JANVIER 2021", date(2021, 1, 29)),
        ("1er mars 2022", date(2022, 3, 1)),
        ("3 Février 2023", date(2023, 2, 3)),
        ("3 FEVRIER 2023", date(2023, 2, 3)),
        ("Vendredi 12 août 2022", date(2022, 8, 12)),
        ("12/08/2022", date(2022, 8, 12)),
    ],
)
def test_french_dates_are_read(line, expected):
    # No database mark: parse() must not touch it.
    assert parse(f"Titre\n{line}\n► Question\nTexte\n").date == expected


# --- Malformed documents -----------------------------------------------------

MALFORMED = {
    "empty": ("\n  \n", 1),
    "missing date": ("Titre\n\nCe document est la synthèse.\n► Question\n", 3),
    "only a title": ("\nTitre\n", 3),
    "impossible date": ("Titre\n31 février 2021\n► Question\n", 2),
    "no section heading": ("Titre\n29 janvier 2021\n\nIntro.\n\nTEMPS 1 :\n\nTexte.\n", 8),
    "rounds out of order": ("Titre\n29 janvier 2021\nTEMPS 1 :\n► A\nx\nTEMPS 3 :\n► B\n", 6),
    "round repeated": ("Titre\n29 janvier 2021\nTEMPS 1 :\n► A\nx\nTEMPS 1 :\n► B\n", 6),
    "empty heading": ("Titre\n29 janvier 2021\nTEMPS 1 :\n► A\nx\n\n►  \n", 7),
    "quote before section": ('Titre\n29 janvier 2021\nIntro.\n- ☪ *"Une parole"*\n► A\n', 4),
    "quotes label before section": ("Titre\n29 janvier 2021\nTEMPS 1 :\nParoles d'agents :\n", 4),
}


@pytest.mark.django_db
@pytest.mark.parametrize("case", MALFORMED)
def test_malformed_document_names_the_line_and_writes_nothing(tmp_path, case):
    text, line = MALFORMED[case]
    with pytest.raises(SynthesisFormatError) as excinfo:
        import_synthesis(write(tmp_path, text))
    assert excinfo.value.line == line
    assert str(excinfo.value).startswith(f"ligne {line} : ")
    assert Workshop.objects.count() == 0


@pytest.mark.django_db
def test_non_utf8_file_names_the_line_of_the_bad_byte(tmp_path):
    path = tmp_path / "latin1.md"
    path.write_bytes("Titre\n29 janvier 2021\n## Réussites\n".encode("latin-1"))
    with pytest.raises(SynthesisFormatError) as excinfo:
        import_synthesis(path)
    assert "ligne 3" in str(excinfo.value)
    assert "UTF-8" in str(excinfo.value)
    assert Workshop.objects.count() == 0


@pytest.mark.django_db
def test_malformed_file_leaves_existing_workshop_unchanged(tmp_path, seed):
    before = counts()
    text = SEED.read_text(encoding="utf-8").replace("TEMPS 2 :", "TEMPS 4 :")
    with pytest.raises(SynthesisFormatError, match="ligne 107"):
        import_synthesis(write(tmp_path, text))
    assert counts() == before


# --- Management command ------------------------------------------------------


@pytest.mark.django_db
def test_command_prints_summary(capsys):
    call_command("import_synthesis", str(SEED))
    out = capsys.readouterr().out
    assert "créé" in out
    assert "2 temps, 5 rubriques, 43 énoncés, 10 paroles d'acteurs" in out
    assert "(délégué.e du préfet : 2, agents : 8)" in out


@pytest.mark.django_db
def test_command_accepts_a_slug(capsys):
    call_command("import_synthesis", str(SEED), "--slug", "atc-2021")
    assert Workshop.objects.get().slug == "atc-2021"
    assert "mis à jour" not in capsys.readouterr().out


@pytest.mark.django_db
def test_command_turns_format_error_into_command_error(tmp_path):
    path = write(tmp_path, "Titre\n\nPas une date\n")
    with pytest.raises(CommandError, match="ligne 3 : une date est attendue"):
        call_command("import_synthesis", str(path))
    assert Workshop.objects.count() == 0


@pytest.mark.django_db
def test_command_reports_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="impossible de lire"):
        call_command("import_synthesis", str(tmp_path / "absent.md"))


def test_the_command_help_prints(capsys):
    with pytest.raises(SystemExit):
        call_command("import_synthesis", "--help")
    assert "Importe une synthèse" in capsys.readouterr().out


@pytest.mark.django_db
@pytest.mark.parametrize(
    "commands",
    [("import_synthesis", "load_demo"), ("load_demo", "import_synthesis")],
    ids=["import-then-demo", "demo-then-import"],
)
def test_import_and_demo_run_in_any_order_and_again_with_one_actor_type_per_name(commands):
    arguments = {"import_synthesis": [str(SEED)], "load_demo": []}
    for _ in range(2):
        for command in commands:
            call_command(command, *arguments[command], stdout=io.StringIO())
    actor_types = list(ActorType.objects.all())
    keys = [name_key(actor_type.name) for actor_type in actor_types]
    assert len(actor_types) == len(set(keys)) == len(demo.ACTOR_TYPES)
    index = actor_type_index(actor_types)
    for name, label, _share in demo.ACTOR_TYPES:
        assert len(index.find(name) or index.find(label)) == 1
    assert len(index.find("délégué.e du préfet")) == len(index.find("agents")) == 1

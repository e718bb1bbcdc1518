"""Issue 16, item 4: inputs that gave a 500 or were stored as typed — CSV line
endings, NUL bytes and control characters (ESC sequences) in names, structures,
territories, titles, statements and follow-ups; a BOM before Windows-1252 text.
Each is refused with a French message beside the field or on its line, and what
was already saved stays."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from atelier.models import Participant, Question, Workshop
from synthesis.models import Statement

from . import factories as f

pytestmark = pytest.mark.django_db
REFUSED = "Caractère invisible interdit"


@pytest.fixture
def coordinator(world, as_user):
    f.ActorTypeFactory(name="Habitant·e", quote_label="habitants")
    return as_user(world.users.coordinator)


def import_roster(client, world, data: bytes, *, confirm=False):
    url = f"/ateliers/{world.a.workshop.slug}/participants/import/"
    response = client.post(url, {"file": SimpleUploadedFile("liste.csv", data)})
    if confirm and response.status_code == 200:
        response = client.post(url, {"confirm": "1", "content": response.context["content"]})
    return response


def names(world):
    return sorted(p.last_name for p in Participant.objects.filter(workshop=world.a.workshop))


HEADER = "nom;prénom;territoire;structure"


def test_a_roster_with_old_mac_line_endings_imports(world, coordinator):
    data = f"{HEADER}\rDurand;Léa;Roubaix;CCAS\rMartin;Paul;;\r".encode()
    response = import_roster(coordinator, world, data)
    assert response.status_code == 200
    assert [r.name for r in response.context["preview"].valid] == ["Léa Durand", "Paul Martin"]
    import_roster(coordinator, world, data, confirm=True)
    assert names(world) == ["A", "Durand", "Martin"]


def test_a_bare_carriage_return_in_a_cell_is_no_error(world, coordinator):
    data = f"{HEADER}\r\nDurand;Léa;Roubaix;CC\rAS\r\nMartin;Paul;;\r\n".encode()
    response = import_roster(coordinator, world, data)
    assert response.status_code == 200  # was a 500 (_csv.Error)
    assert "Paul Martin" in [r.name for r in response.context["preview"].valid]


@pytest.mark.parametrize(
    ("line", "column"),
    [
        ("Dur\x00and;Léa;;", "nom"),
        ("Durand;Léa;;CC\x00AS", "structure"),
        ("Durand;Léa;Rou\x00baix;", "territoire"),
        ("\x1b[31mDurand\x1b[0m;Léa;;", "nom"),
    ],
)
def test_control_characters_in_a_roster_line_refuse_that_line_only(
    world, coordinator, line, column
):
    data = f"{HEADER}\n{line}\nMartin;Paul;;\n".encode()
    response = import_roster(coordinator, world, data)
    assert response.status_code == 200
    (bad,) = response.context["preview"].invalid
    assert bad.line == 2 and f"{column} : {REFUSED}" in " ; ".join(bad.errors)
    listed = response.content.decode().split('class="import-errors"')[1].split("</ul>")[0]
    assert REFUSED in listed and "\x00" not in listed and "\x1b" not in listed
    # Confirmed as a browser sends the previewed text back (NUL becomes U+FFFD).
    content = response.context["content"].replace("\x00", "\ufffd")
    url = f"/ateliers/{world.a.workshop.slug}/participants/import/"
    coordinator.post(url, {"confirm": "1", "content": content})
    assert names(world) == ["A", "Martin"]  # the good line, and who was there before


def test_a_bom_before_windows_1252_text_is_read_as_windows_1252(world, coordinator):
    """The roster reads it as Windows-1252 (what Excel wrote after a BOM some
    tool added), never as U+FFFD: atelier/lib/text.py decode()."""
    data = b"\xef\xbb\xbf" + f"{HEADER}\nLefèvre;Hélène;;Préfecture\n".encode("cp1252")
    response = import_roster(coordinator, world, data, confirm=True)
    assert response.status_code == 302
    person = Participant.objects.get(last_name="Lefèvre")
    assert person.first_name == "Hélène" and person.organisation.name == "Préfecture"


def test_a_participant_typed_with_an_escape_sequence_is_refused_beside_the_field(
    world, coordinator
):
    url = f"/ateliers/{world.a.workshop.slug}/participants/"
    response = coordinator.post(url, {"first_name": "Léa", "last_name": "\x1b]0;pwn\x07Durand"})
    assert response.status_code == 400
    assert REFUSED in response.content.decode()
    assert names(world) == ["A"]


def test_workshop_settings_refuse_control_characters_and_keep_what_was_saved(world, coordinator):
    workshop = world.a.workshop
    response = coordinator.post(
        f"/ateliers/{workshop.slug}/reglages/",
        {"title": "Atelier\x00 piégé", "date": "2021-01-29", "format": workshop.format},
    )
    assert response.status_code == 400 and REFUSED in response.content.decode()
    assert Workshop.objects.get(pk=workshop.pk).title == "Atelier A"
    question = world.a.question
    response = coordinator.post(
        f"/consignes/{question.pk}/",
        {
            f"question-{question.pk}-title": "Consigne\x1b[2J",
            f"question-{question.pk}-default_kind": "success_factor",
        },
    )
    assert response.status_code == 400 and REFUSED in response.content.decode()
    assert Question.objects.get(pk=question.pk).title == "Consigne A"
    response = coordinator.post(
        f"/temps/{world.a.round.pk}/consignes/",
        {f"new-question-{world.a.round.pk}-title": "Nouvelle\x07 consigne"},
    )
    assert response.status_code == 400
    assert not Question.objects.filter(title__startswith="Nouvelle").exists()


def test_long_texts_lose_their_control_characters_through_the_markup_layer(world, coordinator):
    """Statements (like notes and comments) go through markup.clean_text, which
    drops control characters; NUL is refused by Django's own validator."""
    statement = world.a.draft_statement
    url = f"/enonces/{statement.pk}/modifier/"
    response = coordinator.post(url, {"text": "Énoncé\x00 revu", "version": 1})
    assert response.status_code == 400
    assert Statement.objects.get(pk=statement.pk).text == "Énoncé brouillon A"
    coordinator.post(url, {"text": "\x1b[31mÉnoncé revu\x1b[0m", "version": 1})
    assert Statement.objects.get(pk=statement.pk).text == "[31mÉnoncé revu[0m"


def test_a_line_csv_cannot_read_is_refused_with_its_number(world, coordinator):
    data = f'{HEADER}\nMartin;Paul;;\nDurand;"{"x" * 200_000}";;\n'.encode()
    response = import_roster(coordinator, world, data)
    assert response.status_code == 400
    assert "Ligne 3 illisible" in response.content.decode()
    assert names(world) == ["A"]

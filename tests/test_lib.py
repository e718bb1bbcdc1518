"""The shared helpers at the bottom layer (atelier/lib)."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from atelier.lib import roles
from atelier.lib.text import SEARCH_STOP_WORDS, SIMILARITY_STOP_WORDS, fold


def test_fold_matches_what_people_type():
    assert fold("Énoncé") == "enonce"
    assert fold("Créée") == fold("creee")
    assert fold("Cœur du quartier") == "coeur du quartier"
    assert fold("l’équipe") == "l'equipe"
    assert fold("ŒUVRE") == "oeuvre"


def test_stop_words_are_folded_and_the_draft_ignores_negations():
    assert all(word == fold(word) for word in SEARCH_STOP_WORDS | SIMILARITY_STOP_WORDS)
    assert "pas" in SIMILARITY_STOP_WORDS and "plus" in SIMILARITY_STOP_WORDS
    assert "habitant" not in SEARCH_STOP_WORDS | SIMILARITY_STOP_WORDS


@pytest.mark.django_db
def test_roles_come_from_the_user(world):
    assert roles.is_coordinator(world.users.coordinator)
    assert not roles.is_coordinator(world.users.animator)
    assert not roles.is_coordinator(AnonymousUser())
    assert roles.can_administer(world.users.coordinator)
    roles.require_coordinator(world.users.coordinator)
    with pytest.raises(PermissionDenied):
        roles.require_coordinator(world.users.delegate_a)


def test_decode_reads_utf8_with_or_without_bom_and_windows_1252():
    from atelier.lib.text import UndecodableText, decode

    assert decode("Élodie;Créteil".encode()) == "Élodie;Créteil"
    assert decode(b"\xef\xbb\xbf" + "Élodie".encode()) == "Élodie"
    assert decode("Élodie;Créteil".encode("cp1252")) == "Élodie;Créteil"
    # A BOM then Windows-1252 text: read as Windows-1252, not as U+FFFD.
    assert decode(b"\xef\xbb\xbf" + "Élodie".encode("cp1252")) == "Élodie"
    with pytest.raises(UndecodableText) as error:
        decode(b"nom\nprenom\n\x81\x8d")
    assert error.value.line == 3


def test_safe_next_keeps_only_this_sites_addresses_under_a_path(rf):
    from atelier.lib.http import safe_next

    request = rf.post("/")
    assert safe_next(request, "/recherche/?q=bus", within="/recherche/") == "/recherche/?q=bus"
    assert safe_next(request, "/territoires/3/", within="/recherche/") == ""
    for evil in ("https://evil.example/", "//evil.example/x", "/recherche/../admin/", "", None):
        assert safe_next(request, evil, within="/recherche/") == ""
    assert safe_next(request, "/ateliers/x/synthese/") == "/ateliers/x/synthese/"


def test_csv_downloads_open_in_french_spreadsheets_and_never_run_formulas():
    from atelier.lib.http import csv_response, parse_int

    response = csv_response("t.csv", [["nom", "note"], ["Élodie", "=1+1"], [None, 3]])
    body = response.content.decode("utf-8")
    assert body == "\ufeffnom;note\r\nÉlodie;'=1+1\r\n;3\r\n"
    assert response["Content-Disposition"] == 'attachment; filename="t.csv"'
    assert (parse_int("12"), parse_int("-2"), parse_int("abc"), parse_int(None)) == (
        12,
        -2,
        None,
        None,
    )


def test_control_characters_are_named_and_tab_and_line_breaks_pass():
    from atelier.lib.text import (
        control_characters,
        control_characters_message,
        strip_control_characters,
    )

    assert control_characters("ligne 1\r\nligne 2\tcolonne") == []
    assert control_characters("\x1b[31mrouge\x1b[0m\x00\x7f\x85") == [
        "U+001B",
        "U+0000",
        "U+007F",
        "U+0085",
    ]
    assert strip_control_characters("Jean\x00\x1b") == "Jean"
    assert control_characters_message("Élodie") == ""
    assert control_characters_message("Élo\x1bdie") == (
        "Caractère invisible interdit (U+001B) : retirez-le du texte."
    )


def test_every_text_field_of_a_plain_text_form_refuses_control_characters():
    from django import forms

    from atelier.lib.text import PlainTextForm

    class Person(PlainTextForm, forms.Form):
        name = forms.CharField()
        email = forms.EmailField(required=False)
        age = forms.IntegerField(required=False)

    form = Person({"name": "\x1b]0;titre\x07Jean", "age": "3"})
    assert not form.is_valid()
    assert form.errors["name"] == [
        "Caractère invisible interdit (U+001B, U+0007) : retirez-le du texte."
    ]
    assert Person({"name": "Jean\nDupont\t(CCAS)"}).is_valid()
    # Each form has its own copy of the validators: no pile-up across instances.
    from atelier.lib.text import validate_plain_text

    assert validate_plain_text not in Person.base_fields["name"].validators


def test_dates_read_as_french_writes_them():
    import datetime

    from django.utils import timezone

    from atelier.templatetags.atelier import jour

    assert jour(datetime.date(2026, 12, 1)) == "1er décembre 2026"
    assert jour(datetime.date(2021, 1, 29)) == "29 janvier 2021"
    # An aware datetime is read in local time (Paris): 23:30 UTC on 30 November is 1 December.
    late = datetime.datetime(2026, 11, 30, 23, 30, tzinfo=datetime.UTC)
    assert timezone.localtime(late).day == 1 and jour(late) == "1er décembre 2026"
    assert jour(None) == ""

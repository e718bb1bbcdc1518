"""The search engine alone (atelier/lib/fulltext.py), on its Python fallback:
folded words, crude stems, ranking, the candidate cap, safe excerpts. The
fallback runs on any database, so these run on SQLite and on PostgreSQL; the
search page and PostgreSQL's own engine are tested in test_search.py."""

import datetime
import re

import pytest

from atelier.lib import fulltext
from atelier.lib.text import fold
from atelier.models import Contribution

from . import factories as f

DATE = "group__round__workshop__date"


@pytest.fixture
def notes(db):
    """Notes of an older and a newer workshop; `notes(text, newer=False)` adds one."""
    groups = {
        newer: f.WorkingGroupFactory(round__workshop__date=datetime.date(2024, 3, day))
        for newer, day in ((False, 1), (True, 2))
    }

    def add(text, *, newer=False):
        return f.ContributionFactory(group=groups[newer], text=text)

    return add


def ranked(query, **kwargs):
    rows, total = fulltext.python_rank(
        Contribution.objects.all(), query, limit=kwargs.pop("limit", 10), date=DATE, **kwargs
    )
    return [row[0] for row in rows], total


def test_fold_and_stem():
    assert fold("Énoncé ŒUVRE Ça") == "enonce oeuvre ca"
    assert fulltext.stem("secretes") == "secret"
    assert fulltext.stem("chevaux") == "chevau"
    assert fulltext.stem("bus") == "bus"


def test_every_word_must_begin_a_word_and_minus_excludes(notes):
    both = notes("Les Habitants du quartier")
    calm = notes("Un quartier calme")
    assert ranked("habitant QUARTIERS") == ([both.pk], 1)
    assert ranked("quartier -habitants") == ([calm.pk], 1)
    assert ranked("quartier introuvable") == ([], 0)


def test_more_matching_words_rank_higher_then_newer_workshops_then_newer_rows(notes):
    old = notes("Le logement")
    many = notes("Logement, logement : le logement d'abord")
    first_new = notes("Un logement neuf", newer=True)
    second_new = notes("Un autre logement", newer=True)
    assert ranked("logement") == ([many.pk, second_new.pk, first_new.pk, old.pk], 4)
    rows, _total = fulltext.python_rank(
        Contribution.objects.all(), "logement", limit=1, date=DATE, values=("kind",)
    )
    assert rows == [(many.pk, 3, datetime.date(2024, 3, 1), many.kind)]


def test_only_the_newest_candidates_are_scanned(notes, monkeypatch):
    notes("Jardin ancien")
    newer = [notes(f"Jardin {i}", newer=True) for i in range(2)]
    monkeypatch.setattr(fulltext, "CANDIDATE_CAP", 2)
    assert ranked("jardin") == ([row.pk for row in reversed(newer)], 2)


def test_stop_words_alone_find_nothing_without_a_query(db, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert ranked("le la des") == ([], 0)
        assert fulltext.excerpts(Contribution.objects.all(), "secret", []) == {}


def test_the_query_is_cleaned_for_postgresql():
    assert fulltext.clean_query("  secret\x00 ", 200) == "secret"
    assert fulltext.clean_query(None, 200) == ""
    assert fulltext.clean_query("a" * 300, 200) == "a" * 200


def test_excerpts_load_the_rows_asked_for_only(notes):
    wanted, other = notes("Un secret bien gardé"), notes("Un secret de plus")
    loaded = fulltext.python_excerpts(Contribution.objects.all(), "secret", [wanted.pk, 999_999])
    assert list(loaded) == [wanted.pk]
    row, excerpt = loaded[wanted.pk]
    assert row == wanted and excerpt == "Un <mark>secret</mark> bien gardé"
    assert other.pk not in loaded


def test_excerpt_escapes_the_text_and_marks_only_matches():
    text = '<script>alert("secret")</script> un secret <mark>faux</mark> & <b>gras</b>'
    excerpt = fulltext.python_excerpt(text, ["secret"])
    assert "&lt;script&gt;" in excerpt and "&lt;mark&gt;faux" in excerpt
    assert excerpt.count("<mark>secret</mark>") == 2
    assert "<" not in re.sub(r"</?mark>", "", excerpt)


def test_long_text_excerpt_is_cut_around_the_first_match():
    words = " ".join(f"mot{i}" for i in range(200))
    excerpt = fulltext.python_excerpt(f"{words} trouvaille {words}", ["trouvaill"])
    assert "<mark>trouvaille</mark>" in excerpt
    assert excerpt.startswith("… mot190 ") and excerpt.endswith(" …")
    assert len(re.findall(r"\w+", excerpt)) == fulltext.EXCERPT_MAX_WORDS + 2  # + mark twice

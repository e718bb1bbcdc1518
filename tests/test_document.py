"""The published synthesis as a document (issue #15): French typography from
one place, quotes under a neutral pictogram (never ☪), the title block and the
colophon, partner logos, Word furniture, and no demo banner in any export."""

import io
import re
import subprocess
import unicodedata
import zipfile
from pathlib import Path

import docx
import pytest
from PIL import Image

from atelier.lib.typography import NBSP, NNBSP, french, quoted, unquoted
from atelier.models import Kind
from synthesis import exports
from synthesis.importing import import_synthesis
from synthesis.models import Statement
from web import demo

from . import factories as f

pytestmark = pytest.mark.django_db

STAR_AND_CRESCENT = "\u262a"


@pytest.fixture
def seed():
    return demo.load().workshop.syntheses.get(revision=1)


@pytest.fixture
def quotes():
    """A synthesis whose quotes were typed every way people type them."""
    workshop = f.WorkshopFactory(title="Atelier de Lens", slug="atelier-de-lens", format="hybrid")
    round_ = f.RoundFactory(workshop=workshop, order=1)
    synthesis = f.SynthesisFactory(workshop=workshop, intro="Près de 1 200 participants : merci !")
    section = f.SectionFactory(synthesis=synthesis, round=round_, order=1, title="PAROLES")
    agents = f.ActorTypeFactory(name="Agents", quote_label="agents")
    for order, text in enumerate(
        [
            "« On se sent enfin écoutés »",
            '"Entre guillemets droits"',
            "Sans guillemets du tout",
            "« " + "une parole très longue qui remplit la ligne " * 6 + "»",
        ],
        start=1,
    ):
        f.StatementFactory(
            section=section, order=order, kind=Kind.QUOTE, text=text, speaker_actor_type=agents
        )
    return synthesis


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "out.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout


def docx_xml(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return "".join(
            archive.read(name).decode("utf-8")
            for name in archive.namelist()
            if name.endswith(".xml")
        )


# --- typography, from one place ------------------------------------------------------


def test_french_spacing_before_high_punctuation_and_inside_guillemets():
    assert french("Pourquoi pas ? Trop court! Oui ; non") == (
        f"Pourquoi pas{NNBSP}? Trop court{NNBSP}! Oui{NNBSP}; non"
    )
    assert french("deux temps : un, deux") == f"deux temps{NBSP}: un, deux"
    assert french("Temps 1: huit groupes") == f"Temps 1{NBSP}: huit groupes"
    assert french("«non imposé»") == f"«{NNBSP}non imposé{NNBSP}»"
    assert french('un "collectif" né') == f"un «{NNBSP}collectif{NNBSP}» né"
    assert french("près de 1 200 et 3 000 000 personnes") == (
        f"près de 1{NNBSP}200 et 3{NNBSP}000{NNBSP}000 personnes"
    )


def test_french_spacing_leaves_addresses_times_and_markup_alone():
    for text in ["https://exemple.fr/?a=1", "à 14:30", "en 2021", "- un **point**"]:
        assert french(text) == text
    assert french("**fort** !") == f"**fort**{NNBSP}!"
    assert french("Quoi ?!") == f"Quoi{NNBSP}?!"


def test_a_quote_is_wrapped_once_whatever_marks_it_was_typed_with():
    expected = f"«{NNBSP}On se sent écoutés{NNBSP}»"
    for typed in [
        "On se sent écoutés",
        "« On se sent écoutés »",
        "«On se sent écoutés»",
        '"On se sent écoutés"',
        "“On se sent écoutés”",
        '*"On se sent écoutés"*',
    ]:
        assert quoted(typed) == expected, typed
    # Marks inside the quote are the speaker's: kept.
    assert unquoted('Il a dit "oui" puis « non »') == 'Il a dit "oui" puis « non »'


# --- quotes in every format ------------------------------------------------------------


def test_quotes_are_never_doubled_and_a_guillemet_never_ends_a_line(quotes, tmp_path, client):
    text = pdf_text(exports.render(quotes, "pdf"), tmp_path)
    flat = unicodedata.normalize("NFKC", text)
    assert "« On se sent enfin écoutés »" in flat
    assert "« Entre guillemets droits »" in flat
    assert "« Sans guillemets du tout »" in flat
    assert "« «" not in flat and "» »" not in flat
    assert not [line for line in text.splitlines() if line.rstrip().endswith("«")]
    # pdftotext reads every space as a plain one: the laid-out HTML shows which.
    assert f"«{NNBSP}On se sent enfin écoutés{NNBSP}»" in exports.print_html(quotes)

    document = docx.Document(io.BytesIO(exports.render(quotes, "docx")))
    said = [p.text for p in document.paragraphs if "«" in p.text and "Lens" not in p.text]
    assert said[0] == f"\u00a0«{NNBSP}On se sent enfin écoutés{NNBSP}»"
    assert all(p.count("«") == 1 for p in said)

    quotes.status = "published"
    quotes.published_at = quotes.created_at
    quotes.save()
    quotes.workshop.is_public = True
    quotes.workshop.save()
    page = client.get("/ateliers/atelier-de-lens/synthese/").content.decode()
    assert f"«{NNBSP}On se sent enfin écoutés{NNBSP}»" in page
    assert page.count("«") == 4
    assert f"1{NNBSP}200 participants&nbsp;: merci{NNBSP}!" in page  # nh3 writes U+00A0 so


def test_no_star_and_crescent_in_any_output_while_the_importer_still_reads_it(
    seed, tmp_path, client
):
    # The seed marks its quotes with ☪, and they were read as quotes.
    assert STAR_AND_CRESCENT in demo.SEED.read_text(encoding="utf-8")
    assert Statement.objects.filter(section__synthesis=seed, kind=Kind.QUOTE).count() == 10

    outputs = {
        "pdf": pdf_text(exports.render(seed, "pdf"), tmp_path),
        "docx": docx_xml(exports.render(seed, "docx")),
        "md": exports.render(seed, "md").decode("utf-8"),
        "print": exports.print_html(seed),
        "page": client.get("/ateliers/grand-atelier-atc-2021/synthese/").content.decode(),
    }
    for name, text in outputs.items():
        assert STAR_AND_CRESCENT not in text, name
    # The page and the PDF draw a speech bubble of their own, hidden from screen readers.
    assert outputs["page"].count('<svg class="quote-mark" aria-hidden="true"') == 10
    assert outputs["print"].count('<svg class="quote-mark" aria-hidden="true"') == 10
    # The demo is flagged on the page, never in a file that leaves the site.
    assert "Données de démonstration" in outputs["page"]
    for name in ["pdf", "docx", "md", "print"]:
        assert "démonstration" not in outputs[name], name


def test_markdown_quotes_round_trip_under_a_neutral_marker(seed, tmp_path):
    path = tmp_path / "export.md"
    path.write_bytes(exports.render(seed, "md"))
    markdown = path.read_text(encoding="utf-8")
    assert markdown.count("\n- 💬 *«\u202f") == 10

    copy = import_synthesis(path, slug="aller-retour").synthesis

    def said(synthesis):
        return [
            (s.text, s.speaker_actor_type_id)
            for s in Statement.objects.filter(
                section__synthesis=synthesis, kind=Kind.QUOTE
            ).order_by("section__order", "order", "pk")
        ]

    assert said(copy) == said(seed)
    assert len(said(copy)) == 10


# --- title block, colophon, logos ---------------------------------------------------


def test_the_pdf_has_the_title_block_logos_and_the_revision_only_in_the_colophon(seed, tmp_path):
    pdf = exports.render(seed, "pdf")
    text = unicodedata.normalize("NFKC", pdf_text(pdf, tmp_path))
    head = text[: text.index("Ce document est la synthèse")]
    assert "29 JANVIER 2021" in head
    assert "Révision" not in head  # no second date under the workshop's
    assert re.search(r"Révision 1, publiée le \d+ \w+ \d{4}\s*\n[\s\S]*page 5 / 5", text)
    assert text.index("Avec le soutien de") < text.index("Révision 1, publiée le")

    path = tmp_path / "seed.pdf"
    path.write_bytes(pdf)
    listing = subprocess.run(
        ["pdfimages", "-list", str(path)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    sizes = {tuple(int(v) for v in line.split()[3:5]) for line in listing}
    assert len(listing) == 4  # three carriers and one supporter; the quote marks are vectors
    assert {height for _, height in sizes} == {240}  # one height, whatever the proportions
    html = exports.print_html(seed)
    for name in ["Bleu Blanc Zèbre", "Agence nationale de la cohésion des territoires"]:
        assert f'alt="{name}"' in html


def test_the_format_line_shows_when_the_title_does_not_say_it(quotes, tmp_path):
    text = pdf_text(exports.render(quotes, "pdf"), tmp_path)
    assert "HYBRIDE" in text.split("PAROLES")[0]


def test_the_demo_workshops_have_placeholder_wordmark_logos(seed):
    for org in seed.workshop.carriers.all() | seed.workshop.supporters.all():
        with org.logo.open("rb") as file, Image.open(file) as image:
            assert image.format == "PNG" and image.height == 240


# --- Word furniture ----------------------------------------------------------------------


def test_docx_has_header_footer_page_fields_properties_logos_and_colophon(seed):
    data = exports.render(seed, "docx")
    document = docx.Document(io.BytesIO(data))
    section = document.sections[0]
    assert section.header.paragraphs[0].text == f"GRAND ATELIER DE L'ATC, EN LIGNE{NNBSP}!"
    footer = section.footer._element.xml
    assert re.search(r"<w:instrText[^>]*> PAGE </w:instrText>", footer)
    assert re.search(r"<w:instrText[^>]*> NUMPAGES </w:instrText>", footer)
    assert section.footer.paragraphs[0].text.startswith("page ")

    properties = document.core_properties
    assert properties.title == "GRAND ATELIER DE L'ATC, EN LIGNE !"
    assert properties.language == "fr-FR"
    assert "Fédération des centres sociaux" in properties.author

    logos = {shape._inline.docPr.get("descr") for shape in document.inline_shapes} - {"Citation"}
    assert logos == {
        "Bleu Blanc Zèbre",
        "Comité national de liaison des régies de quartier",
        "Fédération des centres sociaux et socioculturels de France",
        "Agence nationale de la cohésion des territoires",
    }
    texts = [p.text for p in document.paragraphs]
    assert texts[1] == "29 JANVIER 2021"
    assert not any(t.startswith("Révision") for t in texts[:5])
    assert texts[-1].startswith("Révision 1, publiée le")
    styles = {p.style.name for p in document.paragraphs}
    assert {"Title", "Heading 1", "Heading 2", "Heading 3", "List Bullet"} <= styles


# --- the published page ----------------------------------------------------------------


def test_the_page_puts_the_title_before_the_downloads_and_the_colophon_last(
    seed, client, django_assert_max_num_queries
):
    with django_assert_max_num_queries(10):
        body = client.get("/ateliers/grand-atelier-atc-2021/synthese/").content.decode()
    title = body.index("<h1>")
    assert title < body.index('class="export-panel"') < body.index('class="synthesis-intro"')
    assert body.index("Avec le soutien de") < body.index('class="colophon')
    assert re.search(r'<img src="/media/logos/demo-anct\.png" alt="Agence nationale', body)


def test_docx_keeps_the_reference_words_in_order(seed):
    import difflib

    def words(text):
        return re.findall(r"\w+", unicodedata.normalize("NFKC", text).lower())

    document = docx.Document(io.BytesIO(exports.render(seed, "docx")))
    expected = words(demo.SEED.read_text(encoding="utf-8"))
    got = words("\n".join(p.text for p in document.paragraphs))
    matcher = difflib.SequenceMatcher(None, expected, got, autojunk=False)
    matched = sum(block.size for block in matcher.get_matching_blocks())
    assert matched / len(expected) >= 0.99

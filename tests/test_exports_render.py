"""The export renderers (synthesis/exports/): what each format contains, the
PDF's fidelity to the reference document, and what the PDF never fetches."""

import contextlib
import csv
import difflib
import io
import json
import logging
import random
import re
import subprocess
import threading
import unicodedata
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import docx
import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from PIL import Image
from weasyprint import HTML

from atelier import markup
from atelier.models import Kind, Organisation
from synthesis import exports
from synthesis.importing import import_synthesis
from synthesis.models import Statement
from web import demo

from . import factories as f

pytestmark = pytest.mark.django_db

TITLE = "GRAND ATELIER DE L'ATC, EN LIGNE !"
FCSF = "Fédération des centres sociaux et socioculturels de France"


@pytest.fixture
def seed():
    """The published revision of the demo workshop (the reference document)."""
    workshop = demo.load().workshop
    return workshop.syntheses.get(revision=1)


@pytest.fixture
def small():
    """A one-section synthesis, quicker than the seed where the content is beside the point."""
    workshop = f.WorkshopFactory(title="Atelier d'essai", slug="atelier-essai")
    round_ = f.RoundFactory(workshop=workshop, order=1)
    synthesis = f.SynthesisFactory(workshop=workshop, intro="Une introduction.")
    section = f.SectionFactory(
        synthesis=synthesis, round=round_, order=1, title="LES FACTEURS DE RÉUSSITE"
    )
    f.StatementFactory(section=section, order=1, text="Un **énoncé** simple.")
    return synthesis


@pytest.fixture
def fetched(monkeypatch):
    """Every URL WeasyPrint asks the export fetcher for, whatever the answer."""
    asked: list[str] = []
    real = exports.url_fetcher

    def spy(url, *args, **kwargs):
        asked.append(url)
        return real(url, *args, **kwargs)

    # Patched where StaticOnlyFetcher looks it up, in the PDF module.
    monkeypatch.setattr(exports.pdf, "url_fetcher", spy)
    return asked


@pytest.fixture
def listener():
    """A real HTTP server on loopback that counts the requests it gets (and
    would redirect them to a local file): the fetcher must never reach it."""
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(302)
            self.send_header("Location", "file:///etc/passwd")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", hits
    server.shutdown()
    server.server_close()


def pdf_text(pdf: bytes, tmp_path: Path, *pages: int) -> str:
    path = tmp_path / "out.pdf"
    path.write_bytes(pdf)
    first_last = ["-f", str(pages[0]), "-l", str(pages[-1])] if pages else []
    result = subprocess.run(
        ["pdftotext", "-layout", *first_last, str(path), "-"],
        capture_output=True,
        check=True,
        text=True,
    )
    return result.stdout


def words(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", text).lower()
    # Words WeasyPrint hyphenated at a line end (U+2010, unlike a typed "-").
    text = re.sub(r"\u2010\s*\n\s*", "", text)
    return re.findall(r"\w+", text)


def all_streams(pdf: bytes) -> bytes:
    """The PDF with its compressed streams inflated, to look for catalog entries."""
    inflated = [pdf]
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        with contextlib.suppress(zlib.error):
            inflated.append(zlib.decompress(match[1]))
    return b"\n".join(inflated)


def png(size=(300, 100), mode="RGBA") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (200, 30, 30, 255) if mode == "RGBA" else (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def noisy(fmt: str) -> bytes:
    """An image that does not compress away, so that cutting it truncates pixels."""
    out = io.BytesIO()
    Image.frombytes("RGB", (200, 200), random.Random(1).randbytes(120_000)).save(out, fmt)
    return out.getvalue()


def set_logo(org: Organisation, name: str, data: bytes) -> None:
    path = Path(settings.MEDIA_ROOT) / "logos" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    org.logo.name = f"logos/{name}"
    org.save()


# --- Interface ----------------------------------------------------------------


def test_formats_and_file_names(small):
    assert set(exports.FORMATS) == {"pdf", "docx", "md", "csv", "json", "analyse-csv"}
    assert exports.FORMATS["pdf"] == ("application/pdf", "pdf")
    assert exports.filename(small, "pdf") == "synthese-atelier-essai-r1.pdf"
    assert exports.filename(small, "docx") == "synthese-atelier-essai-r1.docx"


def test_unknown_format_is_a_french_export_error(small):
    with pytest.raises(exports.ExportError) as error:
        exports.render(small, "odt")
    assert str(error.value) == error.value.message == "Format d'export inconnu : « odt »."


# --- PDF ----------------------------------------------------------------------


def test_pdf_keeps_the_reference_words_in_order(seed, tmp_path, caplog, fetched):
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        pdf = exports.render(seed, "pdf")
    text = pdf_text(pdf, tmp_path)

    expected = words(demo.SEED.read_text(encoding="utf-8"))
    got = words(text)
    matcher = difflib.SequenceMatcher(None, expected, got, autojunk=False)
    blocks = matcher.get_matching_blocks()
    matched = sum(block.size for block in blocks)
    covered = {i for block in blocks for i in range(block.a, block.a + block.size)}
    missing = [word for i, word in enumerate(expected) if i not in covered]
    score = matched / len(expected)
    print(f"fidelity {score:.4f} ({matched}/{len(expected)} words); missing: {missing}")
    assert score >= 0.99, missing

    # Running header (from string-set) on the following pages, "page x / y" footer.
    page_count = int(re.search(r"page 1 / (\d+)", text)[1])
    assert page_count >= 3
    assert TITLE in pdf_text(pdf, tmp_path, 2)
    assert f"page {page_count} / {page_count}" in text
    # WeasyPrint logs an error for what PDF/UA lacks (lang, image alt…): none here.
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    # Only our stylesheet was fetched: no font, no image from anywhere else.
    assert all(url.startswith(("file://", "data:")) for url in fetched), fetched


def test_pdf_is_tagged_pdf_ua_with_title_and_language(seed, tmp_path):
    pdf = exports.render(seed, "pdf")
    path = tmp_path / "out.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    assert "Tagged:          yes" in info.stdout
    assert f"Title:           Synthèse — {TITLE}" in info.stdout
    meta = subprocess.run(
        ["pdfinfo", "-meta", str(path)], capture_output=True, text=True, check=True
    )
    assert 'pdfuaid:part="1"' in meta.stdout
    catalog = all_streams(pdf)
    assert b"/Lang (fr)" in catalog
    assert b"/DisplayDocTitle true" in catalog
    assert b"/StructTreeRoot" in catalog
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True)
    assert "DejaVu" in fonts.stdout  # a font with ►, ☪, « », œ; embedded


def test_pdf_shows_rounds_sections_quotes_and_partners(seed, tmp_path):
    # No-break spaces (French typography) read as plain spaces here.
    text = unicodedata.normalize("NFKC", pdf_text(exports.render(seed, "pdf"), tmp_path))
    for line in [
        "TEMPS 1 :",
        "TEMPS 2 :",
        "► CE QUI FAIT QUE ÇA FONCTIONNE",
        "29 JANVIER 2021",
        "Paroles de délégué.e du préfet :",
        "« Pourquoi ne pas calquer",
        "Une initiative portée par",
        "Avec le soutien de",
    ]:
        assert line in text, line


def test_pdf_logos_are_reencoded_scaled_and_described(small, tmp_path, fetched):
    org = f.OrganisationFactory(name="Réseau au grand logo")
    set_logo(org, "large.png", png((4000, 1000)))
    small.workshop.carriers.add(org)
    small.workshop.supporters.add(f.OrganisationFactory(name="Sans logo"))

    html = exports.print_html(small)
    assert 'alt="Réseau au grand logo"' in html
    assert "logos/large.png" not in html  # embedded, never referenced by path
    pdf = exports.render(small, "pdf")
    path = tmp_path / "logo.pdf"
    path.write_bytes(pdf)
    listing = subprocess.run(
        ["pdfimages", "-list", str(path)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    assert len(listing) >= 1
    width, height = (int(v) for v in listing[0].split()[3:5])
    assert (width, height) == (960, 240)  # capped at LOGO_BOX, proportions kept
    assert "Sans logo" in pdf_text(pdf, tmp_path)
    assert [u for u in fetched if not u.startswith("file://")] == [
        u for u in fetched if u.startswith("data:image/png;base64,")
    ]


def test_a_draft_without_rounds_prints_in_french_whatever_the_language(small, tmp_path, caplog):
    from django.utils import translation

    small.status, small.published_at = "draft", None
    small.save()
    f.SectionFactory(synthesis=small, round=None, order=2, title="HORS TEMPS")
    translation.activate("en")
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        pdf = exports.render(small, "pdf")
    text = pdf_text(pdf, tmp_path)
    assert "Révision 1 (brouillon)" in text and "29 JANVIER 2021" in text
    assert "► HORS TEMPS" in text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert exports.render(small, "md").decode().splitlines()[2] == "29 JANVIER 2021"
    with pytest.raises(exports.ExportError, match="Format d'export inconnu"):
        exports.render(small, "xls")


# --- What the PDF never fetches -------------------------------------------------------


def static_dir() -> Path:
    return Path(exports._static_roots()[0])


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "file://localhost/etc/passwd",
        "file://evil.example/etc/passwd",
        "http://127.0.0.1:1/x.css",
        "http://169.254.169.254/latest/meta-data/",
        "https://example.org/logo.png",
        "ftp://example.org/x.css",
        "gopher://127.0.0.1:6379/_FLUSHALL",
        "//127.0.0.1/x.css",
        "x.css",
    ],
)
def test_fetcher_refuses_anything_but_data_and_static(url):
    with pytest.raises(ValueError):
        exports.url_fetcher(url)


def test_fetcher_refuses_escapes_from_the_static_directory():
    root = static_dir()
    secret = settings.BASE_DIR / "atelier" / "settings.py"
    assert secret.exists()
    for url in [
        secret.as_uri(),
        f"file://{root}/../atelier/settings.py",
        f"file://{root}/%2e%2e/atelier/settings.py",
        f"file://{root}/css/..%2f..%2fatelier%2fsettings.py",
        f"file://{root}/../static-evil/x.css",  # a sibling whose name starts alike
    ]:
        with pytest.raises(ValueError):
            exports.url_fetcher(url)


def test_fetcher_refuses_a_symlink_out_of_a_static_directory(settings, tmp_path):
    static = tmp_path / "static"
    static.mkdir()
    (static / "ok.css").write_text("p { color: red }")
    (static / "escape.css").symlink_to("/etc/passwd")
    settings.STATICFILES_DIRS = [static]
    assert exports.url_fetcher((static / "ok.css").as_uri()).read() == b"p { color: red }"
    with pytest.raises(ValueError):
        exports.url_fetcher((static / "escape.css").as_uri())


def test_fetcher_serves_data_uris_and_our_static_files():
    response = exports.url_fetcher("data:text/plain;base64,Ym9uam91cg==")
    assert response.read() == b"bonjour"
    css = exports.url_fetcher((static_dir() / "css" / "print.css").as_uri())
    assert b"@page" in css.read()
    assert css.content_type == "text/css"


def test_fetcher_never_contacts_a_listening_server(listener):
    base, hits = listener
    for path in ["/x.css", "/redirect"]:
        with pytest.raises(ValueError):
            exports.url_fetcher(base + path)
    assert hits == []


def test_weasyprint_with_our_fetcher_fetches_nothing_even_from_raw_html(listener, fetched):
    """Defence in depth: were raw HTML ever to reach the template, WeasyPrint
    would still get nothing from the disk or the network."""
    base, hits = listener
    html = f"""<html lang="fr"><head><title>t</title>
      <link rel="stylesheet" href="{base}/x.css">
      <style>@import url("{base}/imported.css"); p {{ background: url({base}/bg.png) }}
      @font-face {{ font-family: x; src: url(file:///etc/passwd) }}</style></head>
      <body><p>texte</p><img src="file:///etc/passwd" alt="x"><img src="{base}/i.png" alt="y">
      <svg xmlns="http://www.w3.org/2000/svg"><image href="{base}/svg.png"/></svg>
      <iframe src="{base}/frame"></iframe><object data="{base}/obj"></object></body></html>"""
    pdf = HTML(string=html, url_fetcher=exports.StaticOnlyFetcher()).write_pdf()
    assert pdf.startswith(b"%PDF")
    assert hits == []
    assert any("/etc/passwd" in url for url in fetched)  # asked, and refused


PAYLOADS = [
    '<img src="file:///etc/passwd">',
    '<link rel=stylesheet href="http://127.0.0.1:1/x.css">',
    "![x](http://169.254.169.254/)",
    '<div style="background: url(http://169.254.169.254/bg)">fond</div>',
    "<style>@import url(file:///etc/passwd);</style>",
    "[lien](file:///etc/passwd) <https://169.254.169.254/>",
    '<svg><image href="http://127.0.0.1:1/s.png"/></svg>',
]


def test_statement_payloads_are_printed_as_text_never_fetched(small, tmp_path, fetched, listener):
    base, hits = listener
    section = small.sections.get()
    for order, payload in enumerate([*PAYLOADS, f'<img src="{base}/x.png">'], start=2):
        f.StatementFactory(section=section, order=order, text=payload)
    f.StatementFactory(
        section=section, order=99, kind=Kind.QUOTE, text=f'"><img src="{base}/q.png">'
    )
    small.intro = f'<iframe src="{base}/intro"></iframe>'
    small.save()

    pdf = exports.render(small, "pdf")
    text = pdf_text(pdf, tmp_path)
    assert "passwd" in text and "169.254.169.254" in text  # shown as typed
    assert hits == []
    outside = [url for url in fetched if not url.startswith("data:")]
    assert outside == [(static_dir() / "css" / "print.css").as_uri()]


# --- Logos ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("garbage.png", b"\x00\x01garbage, not an image" * 50),
        ("truncated.png", noisy("PNG")[:-2000]),
        ("truncated.jpg", noisy("JPEG")[:-2000]),
        ("text.jpg", b"GIF89a but not really"),
    ],
)
def test_a_corrupt_logo_is_a_french_export_error(seed, name, data):
    org = Organisation.objects.get(acronym="FCSF")
    set_logo(org, name, data)
    message = f"Le logo de « {FCSF} » est illisible : remplacez-le dans l'administration."
    for fmt in ["pdf", "docx"]:
        with pytest.raises(exports.ExportError) as error:
            exports.render(seed, fmt)
        assert str(error.value) == message
    # Formats without logos still come out.
    assert exports.render(seed, "md").startswith(TITLE.encode())


def test_a_missing_logo_file_is_a_french_export_error(small):
    org = f.OrganisationFactory(name="Disparue")
    org.logo.name = "logos/absent.png"
    org.save()
    small.workshop.supporters.add(org)
    with pytest.raises(exports.ExportError, match="Le logo de « Disparue » est illisible"):
        exports.render(small, "pdf")


def test_an_svg_logo_with_a_script_is_refused_never_fetched(small, fetched, listener):
    base, hits = listener
    org = f.OrganisationFactory(name="Vectorielle")
    svg = f"""<svg xmlns="http://www.w3.org/2000/svg" width="100" height="50">
      <script>fetch("{base}/script")</script>
      <image href="{base}/svg.png" width="10" height="10"/></svg>"""
    set_logo(org, "logo.svg", svg.encode())
    small.workshop.carriers.add(org)
    with pytest.raises(exports.ExportError, match="Le logo de « Vectorielle » est illisible"):
        exports.render(small, "pdf")
    assert hits == [] and fetched == []


def test_a_decompression_bomb_logo_is_refused(small):
    org = f.OrganisationFactory(name="Bombe")
    out = io.BytesIO()
    Image.new("1", (8_000, 8_000)).save(out, "PNG")  # a few kB, 64 Mpx once decoded
    set_logo(org, "bomb.png", out.getvalue())
    small.workshop.carriers.add(org)
    with pytest.raises(exports.ExportError, match="Bombe"):
        exports.render(small, "pdf")


# --- Pathological documents -------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "- " * 5000 + "fin",  # 5,000 nested bullets on one line
        "\n".join("  " * i + f"- niveau {i}" for i in range(1500)),  # indented: 2 MB
        "\n".join("| " + " | ".join(f"c{i}{j}" for j in range(10)) + " |" for i in range(400)),
        "*" * 20000 + "x" + "_" * 20000,
    ],
    ids=["nested-one-line", "nested-indented", "table-like", "emphasis-soup"],
)
def test_a_pathological_statement_renders_or_fails_cleanly(small, text):
    f.StatementFactory(section=small.sections.get(), order=2, text=text)
    try:
        pdf = exports.render(small, "pdf")
    except exports.ExportError as error:
        assert "trop" in str(error)
    else:
        assert pdf.startswith(b"%PDF")
    for fmt in ["docx", "md", "csv", "json"]:
        assert exports.render(small, fmt)


# --- Markdown ----------------------------------------------------------------------------


def _shape(synthesis):
    return [
        (
            section.round.order,
            section.title,
            [
                (s.kind, s.text, s.speaker_actor_type_id)
                for s in section.statements.order_by("order", "pk")
            ],
        )
        for section in synthesis.sections.select_related("round").order_by("order")
    ]


def test_markdown_reads_back_to_the_same_synthesis(seed, tmp_path):
    path = tmp_path / "export.md"
    path.write_bytes(exports.render(seed, "md"))
    text = path.read_text(encoding="utf-8")
    assert text.startswith(f"{TITLE}\n\n29 JANVIER 2021\n\n")
    assert "\nTEMPS 2 :\n" in text and "\n► ET APRÈS 2021 ? PAROLES D'ACTEURS :\n" in text
    # A neutral speech balloon marks quotes, never the seed's ☪.
    assert "\n- 💬 *«\u202fPourquoi ne pas calquer" in text
    assert "☪" not in text

    result = import_synthesis(path, slug="aller-retour")
    copy = result.synthesis
    assert result.workshop.pk != seed.workshop.pk
    assert (result.workshop.title, result.workshop.date) == (
        seed.workshop.title,
        seed.workshop.date,
    )
    assert copy.intro == seed.intro
    assert _shape(copy) == _shape(seed)
    assert Statement.objects.filter(section__synthesis=copy, kind=Kind.QUOTE).count() == 10
    for relation in ("carriers", "supporters"):
        assert set(getattr(result.workshop, relation).all()) == set(
            getattr(seed.workshop, relation).all()
        )


def test_markdown_round_trip_of_awkward_statements(small, tmp_path):
    section = small.sections.get()
    agents = f.ActorTypeFactory(name="Agents", quote_label="agents")
    texts = [
        (Kind.SUCCESS_FACTOR, "Deux paragraphes\n\nréunis :\n- un *point* ;\n- un autre.", None),
        (Kind.QUOTE, 'Il a dit "oui" puis « non »', agents),
        (Kind.QUOTE, "Sans orateur connu", None),
        (Kind.QUOTE, "Une phrase\nsur deux lignes", agents),
    ]
    for order, (kind, text, speaker) in enumerate(texts, start=2):
        f.StatementFactory(
            section=section, order=order, kind=kind, text=text, speaker_actor_type=speaker
        )
    path = tmp_path / "export.md"
    path.write_bytes(exports.render(small, "md"))
    copy = import_synthesis(path, slug="copie").synthesis
    got = [(s.kind, s.text, s.speaker_actor_type) for s in copy.sections.get().statements.all()]
    assert got == [
        (Kind.SUCCESS_FACTOR, "Un **énoncé** simple.", None),
        # The format has no blank line inside a statement, nor a line break in a quote.
        (Kind.SUCCESS_FACTOR, "Deux paragraphes\nréunis :\n- un *point* ;\n- un autre.", None),
        (Kind.QUOTE, "Sans orateur connu", None),
        (Kind.QUOTE, 'Il a dit "oui" puis « non »', agents),
        (Kind.QUOTE, "Une phrase sur deux lignes", agents),
    ]


# --- DOCX --------------------------------------------------------------------------------


def test_docx_has_headings_bold_key_phrases_bullets_and_quotes(seed):
    document = docx.Document(io.BytesIO(exports.render(seed, "docx")))
    paragraphs = document.paragraphs
    headings = [
        unicodedata.normalize("NFKC", p.text)
        for p in paragraphs
        if p.style.name.startswith(("Heading", "Title"))
    ]
    assert headings[0] == TITLE
    assert "TEMPS 1 :" in headings and "TEMPS 2 :" in headings
    assert "► CE QUI REND LA RÉUSSITE DIFFICILE / LES FREINS" in headings
    assert "Paroles de délégué.e du préfet :" in headings
    assert "Paroles d'agents :" in headings
    assert "Une initiative portée par" in headings

    bold = [r.text for p in paragraphs for r in p.runs if r.bold]
    assert "travail de diagnostic partagé préalable" in bold
    bullets = [
        unicodedata.normalize("NFKC", p.text) for p in paragraphs if p.style.name == "List Bullet"
    ]
    assert "La capacité à fédérer et à comprendre les enjeux du territoire ;" in bullets
    assert len(bullets) >= 15

    quotes = [p for p in paragraphs if p.text.startswith("\u00a0«\u202f")]
    assert len(quotes) == 10
    first = quotes[0]
    assert first.text.endswith("QPV\u202f»")
    assert all(r.italic for r in first.runs[2:])
    assert "29 JANVIER 2021" in [p.text for p in paragraphs]
    assert document.core_properties.title == TITLE
    assert document.core_properties.language == "fr-FR"


def test_docx_embeds_logos_with_alternative_text(small):
    org = f.OrganisationFactory(name="Réseau illustré")
    set_logo(org, "logo.png", png((600, 200)))
    small.workshop.carriers.add(org)
    document = docx.Document(io.BytesIO(exports.render(small, "docx")))
    [shape] = document.inline_shapes
    assert shape._inline.docPr.get("descr") == "Réseau illustré"
    assert round(shape.height.cm, 1) == 1.5


# --- Open data --------------------------------------------------------------------------


def _expected_support(synthesis):
    return dict(
        Statement.objects.filter(section__synthesis=synthesis)
        .annotate(n=Count("sources__group", distinct=True))
        .values_list("pk", "n")
    )


def test_json_counts_support_from_the_links(seed):
    document = json.loads(exports.render(seed, "json"))
    assert document["workshop"]["slug"] == demo.SLUG
    assert document["workshop"]["date"] == "2021-01-29"
    assert (document["revision"], document["status"]) == (1, "published")
    assert document["published_at"]
    rows = document["statements"]
    assert len(rows) == Statement.objects.filter(section__synthesis=seed).count()
    support = _expected_support(seed)
    assert {row["statement_id"]: row["groups_count"] for row in rows} == support
    assert max(support.values()) > 1  # the demo's notes link several groups
    assert {row["groups_total"] for row in rows} == {8}
    first = rows[0]
    assert first["text"].startswith("Le **travail de diagnostic")
    assert first["plain_text"].startswith("Le travail de diagnostic partagé")
    assert (first["round"], first["section_order"], first["statement_order"]) == (1, 1, 1)
    assert "sources" not in first  # note texts: the coordination's analysis export only
    quote = next(row for row in rows if row["kind"] == "quote")
    assert quote["speaker_actor_type"] == "Délégué·e du préfet"
    peer = [row for row in rows if row["round"] == 2 and row["actor_types"]]
    assert peer  # round 2 gathers peers: their actor types show


def test_csv_is_semicolon_utf8_bom_and_neutralises_formulas(seed):
    section = seed.sections.order_by("order").first()
    f.StatementFactory(section=section, order=500, text='=HYPERLINK("http://x.example","clic")')
    data = exports.render(seed, "csv")
    assert data.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert list(rows[0]) == exports.COLUMNS
    assert len(rows) == Statement.objects.filter(section__synthesis=seed).count()
    formula = next(row for row in rows if "HYPERLINK" in row["text"])
    assert formula["text"].startswith("'=") and formula["plain_text"].startswith("'=")
    support = _expected_support(seed)
    assert {int(row["statement_id"]): int(row["groups_count"]) for row in rows} == support
    first = rows[0]
    assert "source_texts" not in first  # note texts: the coordination's analysis export only
    assert markup.plain(first["text"]) == first["plain_text"]


def test_open_data_queries_do_not_grow_with_the_statements(seed):
    def queries(fmt):
        with CaptureQueriesContext(connection) as context:
            exports.render(seed, fmt)
        return len(context)

    before = {fmt: queries(fmt) for fmt in ["json", "csv", "md", "docx", "pdf"]}
    section = seed.sections.order_by("order").first()
    notes = list(section.statements.first().sources.all())
    for order in range(100, 140):
        f.StatementFactory(section=section, order=order).sources.set(notes)
    after = {fmt: queries(fmt) for fmt in before}
    assert after == before
    assert max(before.values()) <= 12

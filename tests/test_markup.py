from html.parser import HTMLParser

import pytest

from atelier import markup


class TagCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.attributes = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes += attrs


def elements(html):
    collector = TagCollector()
    collector.feed(html)
    return collector


XSS = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "[clic](javascript:alert(1))",
    "<svg onload=alert(1)>",
    "[clic](&#106;avascript:alert(1))",
    '<a href="javascript:alert(1)">clic</a>',
    "![x](http://169.254.169.254/latest)",
    '<iframe src="file:///etc/passwd"></iframe>',
]


@pytest.mark.parametrize("payload", XSS)
def test_payloads_come_out_inert(payload):
    html = markup.render(f"Avant {payload} après")
    parsed = elements(html)
    # Only the markup's own tags come out, and never with an attribute.
    assert set(parsed.tags) <= {"p", "strong", "em", "ul", "ol", "li", "br"}
    assert parsed.attributes == []
    # The typed text is still there, shown as text.
    assert "Avant" in html and "après" in html


def test_typed_tags_are_shown_as_text():
    assert "&lt;script&gt;" in markup.render("<script>alert(1)</script>")


def test_bold_italic_and_sub_bullets():
    html = markup.render("Le **travail de diagnostic** et *l'écoute* :\n\n- un\n- deux")
    assert "<strong>travail de diagnostic</strong>" in html
    assert "<em>l'écoute</em>" in html
    assert "<ul>" in html and html.count("<li>") == 2


def test_a_new_line_inside_a_note_is_kept():
    assert "<br" in markup.render("première ligne\nseconde ligne")


def test_no_headings_links_or_images_from_markdown():
    html = markup.render("# Titre\n\n[lien](https://exemple.fr)\n\n![img](https://x/y.png)")
    assert "<h1" not in html and "<a" not in html and "<img" not in html


def test_inline_rendering_has_no_paragraph():
    assert markup.render_inline("un **mot**") == "un <strong>mot</strong>"


def test_clean_text_drops_control_characters_and_nul_bytes():
    assert markup.clean_text("  a\x00b\x07c\r\nd  ") == "abc\nd"


def test_plain_drops_the_markup():
    assert markup.plain("Le **fait** d'*inclure*\n- un point") == "Le fait d'inclure\nun point"


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("agents", "d'agents"),
        ("habitants", "d'habitants"),
        ("élus", "d'élus"),
        ("délégué.e du préfet", "de délégué.e du préfet"),
    ],
)
def test_de_elides_before_a_vowel(label, expected):
    assert markup.de(label) == expected


# --- plain text skips markdown-it and nh3, and comes out the same ------------------

_PLAIN = "aéÉzZœ019 .,;:!?'’()%/€«»…–—°@=+-"
_TRICKY = _PLAIN + '*_\\`[]<>&"\u00a0\n\t#~|'


def _texts():
    """Notes as people write them (tests/fixtures/drafting-extra.json), and
    20,000 strings drawn from letters, digits and the plain punctuation, half
    of them with every character that means something to markdown or HTML."""
    import json
    import random
    from pathlib import Path

    extra = json.loads((Path(__file__).parent / "fixtures" / "drafting-extra.json").read_text())
    notes = [note["text"] for q in extra["questions"] for note in q["notes"]]
    rng = random.Random(11)
    drawn = [
        rng.choice(["", "a", "É"]) + "".join(rng.choices(alphabet, k=rng.randint(1, 24)))
        for alphabet in (_TRICKY, _PLAIN)
        for _ in range(10_000)
    ]
    return notes, drawn


def test_plain_text_comes_out_as_markdown_it_and_nh3_give_it():
    notes, drawn = _texts()
    plain = 0
    for text in notes + drawn:
        plain += bool(markup._PLAIN.fullmatch(text))
        assert markup.render(text) == markup._markdown(text), text
        assert markup.render_inline(text) == markup._markdown(text, inline=True), text
    # Most real notes take the short way, and so do thousands of the drawn ones.
    assert sum(bool(markup._PLAIN.fullmatch(t)) for t in notes) > len(notes) / 2
    assert plain > 3_000


@pytest.mark.parametrize(
    "text",
    [
        "1. premier",
        "- puce",
        "+ puce",
        "a *b*",
        "a _b_",
        "a\\*b",
        "a\nb",
        "a &amp; b",
        "a < b",
        'il dit "non"',
        "a\u00a0b",
        "fin ",
        " début",
        "a`b`",
        "Émile",
    ],
)
def test_what_is_not_plain_goes_through_markdown_it(text):
    assert markup.render(text) == markup._markdown(text)
    assert bool(markup._PLAIN.fullmatch(text)) == (text == "Émile")

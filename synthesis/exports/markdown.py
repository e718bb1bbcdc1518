"""The Markdown: the reference format, which synthesis.importing reads back."""

import re

from ..models import Section, Synthesis
from .content import (
    CARRIERS_HEADING,
    QUOTE_MARKER,
    SECTION_GLYPH,
    SUPPORTERS_HEADING,
    Partner,
    date_line,
    load_content,
    one_line,
    parts,
    quotes_heading,
    round_heading,
)

# What synthesis.importing accepts on a partner line.
MAX_ORGANISATION_LINE = 200

_BLANK_LINES = re.compile(r"\n[ \t]*(?:\n[ \t]*)+")


def render_markdown(synthesis: Synthesis) -> bytes:
    """The synthesis in the reference format, which synthesis.importing reads
    back to the same sections, statements and quotes.

    Known limits of the format itself: a statement keeps no blank line (its
    paragraphs are joined), a quote stays on one line, and a statement line
    that looks like a heading ("► …", "Paroles de … :", "Avec le soutien de …")
    or is wholly in quotation marks reads back as such."""
    content = load_content(synthesis, with_logos=False)
    workshop = content.workshop
    blocks = [one_line(workshop.title), date_line(workshop)]
    if synthesis.intro.strip():
        blocks.append(synthesis.intro.strip())
    last_round = 0
    for number, sections in parts(content.sections):
        # The reader wants rounds 1, 2, 3… once each: fill gaps, never go back.
        if number is not None and number > last_round:
            blocks += [round_heading(n) for n in range(last_round + 1, number + 1)]
            last_round = number
        for section in sections:
            blocks += _markdown_section(section)
    for title, partners in (
        (CARRIERS_HEADING, content.carriers),
        (SUPPORTERS_HEADING, content.supporters),
    ):
        if partners:
            blocks.append("\n".join([title, *(_organisation_line(p) for p in partners)]))
    return ("\n\n".join(blocks) + "\n").encode("utf-8")


def _markdown_section(section: Section) -> list[str]:
    blocks = [f"{SECTION_GLYPH} {one_line(section.title)}"]
    statements, quote_groups = section.parts()
    blocks += [_BLANK_LINES.sub("\n", s.text.strip()) for s in statements]
    # Quotes outside any "Paroles de …" block have no speaker: they go first,
    # while no block is open (a heading or a plain paragraph closes one).
    quote_groups.sort(key=lambda group: group[0] is not None)
    for actor_type, quotes in quote_groups:
        lines = [quotes_heading(actor_type)] if actor_type else []
        lines += [f"- {QUOTE_MARKER} *{_quoted(one_line(q.text))}*" for q in quotes]
        blocks.append("\n".join(lines))
    return blocks


def _quoted(text: str) -> str:
    """Quotation marks the reader strips: a pair whose closing mark is not in
    the quote (the reader keeps the marks when it is)."""
    for opening, closing in (("«\u202f", "\u202f»"), ('"', '"'), ("“", "”")):
        if closing.strip() not in text:
            return f"{opening}{text}{closing}"
    return text


def _organisation_line(partner: Partner) -> str:
    """'Name (ACRONYM)', which the reader splits back, within its length limit."""
    line = f"{partner.name} ({partner.acronym})" if partner.acronym else partner.name
    return line if len(line) <= MAX_ORGANISATION_LINE else partner.name

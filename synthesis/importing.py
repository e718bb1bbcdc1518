"""Import a synthesis written in the reference format (shared/seed/grand-atelier-atc-2021.md).

Why one module past ~400 lines: one grammar (the reference format) and its
writer, read together.

Two steps: `parse` turns the text into plain dataclasses without touching the
database, then `import_synthesis` writes them in one transaction. Rows are
matched by their order (round, question, section, statement), so importing
the same document again updates in place: statement ids, and the links to
their source contributions, survive a re-import.

The format, as the published syntheses use it:

    TITLE
    29 JANVIER 2021
    intro paragraphs ("Temps 1 : …" lines describe the rounds)
    TEMPS 1 :
    ► QUESTION HEADING
    statement paragraphs, with **bold**, *italic* and "- " sub-bullets
    Paroles d'agents :
    - ☪ *"a quote"*
    Une initiative portée par … / Avec le soutien de …
"""

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from django.db import transaction
from django.db.models import ProtectedError, Q, QuerySet, RestrictedError
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from atelier.lib.text import fold
from atelier.matching import actor_type_index, find_or_create_actor_type
from atelier.models import (
    ActorType,
    Contribution,
    GroupingMode,
    Kind,
    Organisation,
    Question,
    Round,
    Workshop,
    WorkshopFormat,
)
from synthesis.models import Section, Statement, Status, Synthesis

# Field lengths of the models the text ends up in: checked while parsing so
# the error can name the line instead of failing (or truncating) in the database.
MAX_WORKSHOP_TITLE = 200
MAX_ROUND_TITLE = 200
MAX_QUESTION_TITLE = 300
MAX_ACTOR_LABEL = 120
MAX_ORGANISATION_NAME = 200

MONTHS = (
    "janvier", "fevrier", "mars", "avril", "mai", "juin",
    "juillet", "aout", "septembre", "octobre", "novembre", "decembre",
)  # fmt: skip
WEEKDAYS = r"(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)\s+"

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_DATE_WORDS = re.compile(rf"^(?:{WEEKDAYS})?(\d{{1,2}})(?:er)?\s+([a-z]+)\.?\s+(\d{{4}})$")
_DATE_DIGITS = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
# Uppercase is checked apart: "Temps 1 : …" in the intro describes a round,
# "TEMPS 1 :" opens it.
_ROUND = re.compile(r"^(?:#{1,3}\s*)?TEMPS\s+(\d+)\s*(?:[:\-–—]\s*(.*))?$")
_ROUND_NOTE = re.compile(r"^temps\s+(\d+)\s*:\s*(.+)$", re.IGNORECASE)
_QUESTION = re.compile(r"^(?:[►▶]|#{2,3}(?=\s|$))(.*)$")
_BULLET = re.compile(r"^(?:[-•–]|\*(?!\*))\s+")
_QUOTES_LABEL = re.compile(r"^paroles?\s+(?:de\s+|d['’]\s*)(.+?)\s*:?$", re.IGNORECASE)
_CARRIERS = re.compile(r"^une\s+initiative\s+port[ée]e\s+par\b\s*:?\s*(.*)$", re.IGNORECASE)
_SUPPORTERS = re.compile(r"^avec\s+le\s+soutien\s+(?:de\b|d['’])\s*:?\s*(.*)$", re.IGNORECASE)
_IMAGE = re.compile(r"^!\[([^\]]*)\]\([^)]*\)$")
_ACRONYM = re.compile(r"^(.+?)\s*\(([^()]{1,30})\)$")
# A quote line starts with one of these: ☪ is how the reference document's
# speech-bubble pictogram came out of its PDF; 💬 is what our Markdown writes.
_QUOTE_GLYPH = "☪💬"
_QUOTE_MARKS = {'"': '"', "“": "”", "«": "»", "„": "“", "”": "”"}

# Checked in this order: the seed's "CE QUI REND LA RÉUSSITE DIFFICILE / LES
# FREINS" mentions success but is about obstacles, and "UNE ATC RÉUSSIE …
# CE QU'ON VA FAIRE" is a commitment.
KIND_KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (Kind.QUOTE, ("paroles", "temoignage")),
    (Kind.OBSTACLE, ("frein", "difficile", "difficulte", "obstacle")),
    (Kind.COMMITMENT, ("ce qu'on va faire", "engagement", "vision", "reussie")),
    (Kind.LESSON, ("lecon", "avenir", "faudrait")),
    (Kind.SUCCESS_FACTOR, ("facteur", "reussite", "fonctionne")),
)


class SynthesisFormatError(ValueError):
    """The document does not follow the reference format; `line` is 1-based."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(line, message)
        self.line = line
        self.message = message

    def __str__(self) -> str:
        return _("ligne %(line)s : %(message)s") % {"line": self.line, "message": self.message}


class SynthesisConflictError(SynthesisFormatError):
    """The document drops a round or question that already has contributions:
    deleting it would lose group notes, so the import stops instead."""


# --- Parsed document -------------------------------------------------------


@dataclass
class ParsedStatement:
    text: str
    kind: str
    line: int
    speaker: str | None = None  # the label of the "Paroles de …" block
    quoted: bool = False  # a marked quote line, never extended by bullets


@dataclass
class ParsedQuestion:
    title: str
    kind: str
    line: int
    statements: list[ParsedStatement] = field(default_factory=list)


@dataclass
class ParsedRound:
    order: int
    line: int
    title: str
    description: str = ""
    preamble: list[list[str]] = field(default_factory=list)  # text before its first question
    questions: list[ParsedQuestion] = field(default_factory=list)

    @property
    def grouping_mode(self) -> str:
        return _grouping_mode_of(self.description)


@dataclass
class ParsedSynthesis:
    title: str
    title_line: int
    date: date
    intro: str
    rounds: list[ParsedRound]
    carriers: list[str]
    supporters: list[str]

    @property
    def format(self) -> str:
        return _format_of(self.title)

    @property
    def questions(self) -> list[ParsedQuestion]:
        return [question for round_ in self.rounds for question in round_.questions]


# --- Text helpers ----------------------------------------------------------


def _lines(text: str) -> list[str]:
    """Stripped lines; split on "\\n" only so numbers match what an editor shows."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    text = unicodedata.normalize("NFC", text)
    return [_CONTROL.sub("", line).strip() for line in text.split("\n")]


def _next_filled(lines: list[str], start: int) -> int | None:
    return next((index for index in range(start, len(lines)) if lines[index]), None)


def _bullet_item(line: str) -> str | None:
    """The text of a bullet line ("- ", "• ", "– ", "* "), None for other lines."""
    match = _BULLET.match(line)
    return line[match.end() :].strip() if match else None


def _as_markup(line: str) -> str:
    item = _bullet_item(line)
    return line if item is None else f"- {item}"


def _join(paragraphs: list[list[str]]) -> str:
    return "\n\n".join("\n".join(lines) for lines in paragraphs)


def _strip_italics(text: str) -> str:
    if len(text) > 2 and text[0] == text[-1] == "*" and text[1] != "*" and text[-2] != "*":
        return text[1:-1].strip()
    return text


def _unwrap(text: str) -> tuple[str, bool]:
    """Strip italics and one pair of quote marks, in any nesting; tell whether
    quote marks were found. Inner text is kept exactly."""
    text = _strip_italics(text.strip())
    closing = _QUOTE_MARKS.get(text[:1])
    inner = text[1:-1]
    if closing and len(text) > 1 and text.endswith(closing) and closing not in inner:
        return _strip_italics(inner.strip()), True
    return text, False


def _quote_text(line: str) -> str | None:
    """The bare quote if the line is one (☪ glyph, or wrapped in quote marks)."""
    body = _bullet_item(line) or line
    has_glyph = body.startswith(tuple(_QUOTE_GLYPH))
    text, has_marks = _unwrap(body.lstrip(_QUOTE_GLYPH))
    return text if has_glyph or has_marks else None


def _quotes_label(line: str) -> str | None:
    """'délégué.e du préfet' for 'Paroles de délégué.e du préfet :'."""
    match = _QUOTES_LABEL.match(line.strip("*_ "))
    if not match or len(match[1]) > MAX_ACTOR_LABEL or match[1].endswith("."):
        return None
    return match[1].strip()


def _parse_date(line: str) -> date | None:
    folded = fold(line).strip(" .,")
    if match := _DATE_DIGITS.match(folded):
        day, month, year = (int(part) for part in match.groups())
    elif match := _DATE_WORDS.match(folded):
        day, month, year = int(match[1]), _month_number(match[2]), int(match[3])
    else:
        return None
    try:
        return date(year, month, day)
    except ValueError:  # 31 février, month 0 for an unknown name
        return None


def _month_number(word: str) -> int:
    """1-12 for a full or abbreviated ("janv", "sept") French month, 0 if unknown."""
    found = [number for number, month in enumerate(MONTHS, 1) if month.startswith(word)]
    return found[0] if len(word) >= 3 and len(found) == 1 else 0


def _kind_of(heading: str) -> str:
    folded = fold(heading)
    for kind, keywords in KIND_KEYWORDS:
        if any(keyword in folded for keyword in keywords):
            return kind
    return Kind.OTHER


def _grouping_mode_of(description: str) -> str:
    folded = fold(description)
    if any(word in folded for word in ("aleatoire", "brassage", "hasard")):
        return GroupingMode.RANDOM
    return GroupingMode.PEER if "pairs" in folded else GroupingMode.MANUAL


def _format_of(title: str) -> str:
    folded = fold(title)
    if "hybride" in folded:
        return WorkshopFormat.HYBRID
    return WorkshopFormat.ONLINE if "en ligne" in folded else WorkshopFormat.IN_PERSON


def _round_notes(paragraphs: list[list[str]]) -> dict[int, str]:
    """Round descriptions from intro lines such as 'Temps 1 : Huit groupes…'."""
    notes: dict[int, str] = {}
    for line in (line for lines in paragraphs for line in lines):
        if match := _ROUND_NOTE.match(line):
            notes.setdefault(int(match[1]), match[2].strip())
    return notes


def _organisation_name(line: str, number: int) -> str:
    """A partner line: a bullet, a markdown logo (its alt text) or plain text."""
    line = _bullet_item(line) or line
    if match := _IMAGE.match(line):
        line = match[1]
    name = line.strip("*_ ")
    if len(name) > MAX_ORGANISATION_NAME:
        raise SynthesisFormatError(number, _("nom de structure trop long."))
    return name


# --- Parser ----------------------------------------------------------------


class _Parser:
    """Reads the body (after the date) line by line. Each handler returns
    True when the line was its own; `_text` takes what is left."""

    def __init__(self) -> None:
        self.rounds: list[ParsedRound] = []
        self.intro: list[list[str]] = []
        self.prose: list[list[str]] = self.intro  # free text before a question
        self.paragraph_open = False
        self.question: ParsedQuestion | None = None
        self.statement: ParsedStatement | None = None  # the open, extensible paragraph
        self.speaker: str | None = None
        self.partners: list[str] | None = None
        self.carriers: list[str] = []
        self.supporters: list[str] = []

    def feed(self, number: int, line: str) -> None:
        if not line:
            self._close_paragraph()
            return
        handlers = (
            self._round_heading,
            self._question_heading,
            self._partner_heading,
            self._partner_name,
            self._quotes_label,
            self._quote,
            self._prose,
            self._bullet,
        )
        if not any(handler(number, line) for handler in handlers):
            self._text(number, line)

    def _close_paragraph(self) -> None:
        self.paragraph_open = False
        self.statement = None

    def _leave_section(self) -> None:
        self._close_paragraph()
        self.question = None
        self.speaker = None
        self.partners = None

    def _round_heading(self, number: int, line: str) -> bool:
        match = _ROUND.match(line) if line == line.upper() else None
        if not match:
            return False
        order, expected = int(match[1]), len(self.rounds) + 1
        if order != expected:
            raise SynthesisFormatError(number, _round_order_message(order, expected))
        # No stored default: Round.label says "Temps n" in the reader's language.
        title = (match[2] or "").strip()
        if len(title) > MAX_ROUND_TITLE:
            raise SynthesisFormatError(number, _("titre de temps trop long."))
        self._leave_section()
        self.rounds.append(ParsedRound(order=order, line=number, title=title))
        self.prose = self.rounds[-1].preamble
        return True

    def _question_heading(self, number: int, line: str) -> bool:
        match = _QUESTION.match(line)
        if not match:
            return False
        title = match[1].strip(" *#")
        if not title:
            raise SynthesisFormatError(number, _("titre de rubrique vide."))
        if len(title) > MAX_QUESTION_TITLE:
            raise SynthesisFormatError(number, _("titre de rubrique trop long."))
        if not self.rounds:  # a document without "TEMPS" parts has one round
            self.rounds.append(ParsedRound(order=1, line=number, title=""))
        self._leave_section()
        self.question = ParsedQuestion(title=title, kind=_kind_of(title), line=number)
        self.rounds[-1].questions.append(self.question)
        return True

    def _partner_heading(self, number: int, line: str) -> bool:
        for pattern, target in ((_CARRIERS, self.carriers), (_SUPPORTERS, self.supporters)):
            if match := pattern.match(line):
                self._leave_section()  # the partner block ends the last section
                self.partners = target
                names = [_organisation_name(name, number) for name in re.split(r"[,;]", match[1])]
                target.extend(name for name in names if name)
                return True
        return False

    def _partner_name(self, number: int, line: str) -> bool:
        if self.partners is None:
            return False
        if name := _organisation_name(line, number):
            self.partners.append(name)
        return True

    def _quotes_label(self, number: int, line: str) -> bool:
        label = _quotes_label(line)
        if label is None:
            return False
        self._require_section(number)
        self._close_paragraph()
        self.speaker = label
        return True

    def _quote(self, number: int, line: str) -> bool:
        text = _quote_text(line)
        if text is None:
            return False
        self._require_section(number)
        self._add_quote(number, text)
        return True

    def _prose(self, number: int, line: str) -> bool:
        if self.question is not None:
            return False
        if not self.paragraph_open:
            self.prose.append([])
            self.paragraph_open = True
        self.prose[-1].append(_as_markup(line))
        return True

    def _bullet(self, number: int, line: str) -> bool:
        item = _bullet_item(line)
        if item is None:
            return False
        if self.speaker is not None:  # in a "Paroles de …" block, bullets are quotes
            self._add_quote(number, _unwrap(item)[0])
        else:
            self._attach_bullet(number, item)
        return True

    def _attach_bullet(self, number: int, item: str) -> None:
        # The seed leaves blank lines between a statement ending with ":" and
        # its bullets, and between bullets: they still belong to it.
        target = self.statement or self._last_plain_statement()
        if target is None:
            self.statement = self._add_statement(number, f"- {item}")
        else:
            target.text += f"\n- {item}"
            self.statement = target

    def _last_plain_statement(self) -> ParsedStatement | None:
        statements = self.question.statements if self.question else []
        last = statements[-1] if statements else None
        return last if last is not None and not last.quoted else None

    def _text(self, number: int, line: str) -> None:
        if self.statement is not None:
            self.statement.text += f"\n{line}"
            return
        self.speaker = None  # a plain paragraph ends a "Paroles de …" block
        self.statement = self._add_statement(number, line)

    def _add_statement(self, number: int, text: str) -> ParsedStatement:
        statement = ParsedStatement(text=text, kind=self.question.kind, line=number)
        self.question.statements.append(statement)
        return statement

    def _add_quote(self, number: int, text: str) -> None:
        if not text:
            raise SynthesisFormatError(number, _("citation vide."))
        quote = ParsedStatement(text, Kind.QUOTE, number, speaker=self.speaker, quoted=True)
        self.question.statements.append(quote)
        self.statement = None

    def _require_section(self, number: int) -> None:
        if self.question is None:
            message = _("parole d'acteur placée avant toute rubrique (ligne commençant par ►).")
            raise SynthesisFormatError(number, message)

    def finish(self, title: str, title_line: int, when: date, last_line: int) -> ParsedSynthesis:
        if not any(round_.questions for round_ in self.rounds):
            message = _("aucune rubrique trouvée : une rubrique commence par « ► ».")
            raise SynthesisFormatError(last_line, message)
        notes = _round_notes(self.intro)
        for round_ in self.rounds:
            parts = (notes.get(round_.order, ""), _join(round_.preamble))
            round_.description = "\n\n".join(part for part in parts if part)
        return ParsedSynthesis(
            title=title,
            title_line=title_line,
            date=when,
            intro=_join(self.intro),
            rounds=self.rounds,
            carriers=self.carriers,
            supporters=self.supporters,
        )


def _round_order_message(order: int, expected: int) -> str:
    if order < expected:
        return _("le temps %(n)s apparaît une seconde fois.") % {"n": order}
    return _("temps %(n)s inattendu : le temps %(expected)s est attendu ici.") % {
        "n": order,
        "expected": expected,
    }


def _title_and_date(lines: list[str]) -> tuple[str, int, date, int]:
    """(title, its index, date, its index): the first two non-blank lines."""
    title_at = _next_filled(lines, 0)
    if title_at is None:
        raise SynthesisFormatError(1, _("le document est vide."))
    title = lines[title_at].lstrip("#").strip()
    if len(title) > MAX_WORKSHOP_TITLE:
        raise SynthesisFormatError(title_at + 1, _("titre trop long."))
    date_at = _next_filled(lines, title_at + 1)
    when = _parse_date(lines[date_at]) if date_at is not None else None
    if when is None:
        line = (title_at + 1 if date_at is None else date_at) + 1
        message = _("une date est attendue sous le titre, par exemple « 29 janvier 2021 ».")
        raise SynthesisFormatError(line, message)
    return title, title_at, when, date_at


def parse(text: str) -> ParsedSynthesis:
    """Read a synthesis in the reference format; pure (no database)."""
    lines = _lines(text)
    title, title_at, when, date_at = _title_and_date(lines)
    parser = _Parser()
    for index in range(date_at + 1, len(lines)):
        parser.feed(index + 1, lines[index])
    last_line = (_last_filled(lines) or 0) + 1
    return parser.finish(title, title_at + 1, when, last_line)


def _last_filled(lines: list[str]) -> int | None:
    return next((index for index in reversed(range(len(lines))) if lines[index]), None)


def read_text(path: Path) -> str:
    """The file as text: UTF-8, with or without a byte order mark."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        message = _("le fichier n'est pas en UTF-8 ; enregistrez-le en UTF-8 puis réessayez.")
        raise SynthesisFormatError(line, message) from err


# --- Database --------------------------------------------------------------


@dataclass
class ImportResult:
    workshop: Workshop
    synthesis: Synthesis
    rounds: int
    questions: int
    statements: int  # non-quote statements
    quotes_by_actor_type: dict[str, int]  # ActorType.name -> count, in order of appearance
    created: bool  # workshop created (True) or updated (False)
    unattributed_quotes: int = 0  # quotes outside any "Paroles de …" block

    def summary(self) -> str:
        state = _("créé") if self.created else _("mis à jour")
        head = _("Atelier « %(title)s » du %(date)s %(state)s (%(slug)s), synthèse publiée.") % {
            "title": self.workshop.title,
            "date": date_format(self.workshop.date, "j F Y"),
            "state": state,
            "slug": self.workshop.slug,
        }
        counts = [
            ngettext("%(n)s temps", "%(n)s temps", self.rounds) % {"n": self.rounds},
            ngettext("%(n)s rubrique", "%(n)s rubriques", self.questions) % {"n": self.questions},
            ngettext("%(n)s énoncé", "%(n)s énoncés", self.statements) % {"n": self.statements},
            self._quotes_summary(),
        ]
        return f"{head}\n{', '.join(counts)}"

    def _quotes_summary(self) -> str:
        total = sum(self.quotes_by_actor_type.values()) + self.unattributed_quotes
        text = ngettext("%(n)s parole d'acteur", "%(n)s paroles d'acteurs", total) % {"n": total}
        details = [f"{_lower_first(name)} : {n}" for name, n in self.quotes_by_actor_type.items()]
        if self.unattributed_quotes:
            details.append(_("sans type d'acteur : %(n)s") % {"n": self.unattributed_quotes})
        return f"{text} ({', '.join(details)})" if details else text


def _lower_first(name: str) -> str:
    """'Agents' -> 'agents' inside a sentence; acronyms ('CRPV') stay as they are."""
    return name if name[1:2].isupper() else name[:1].lower() + name[1:]


class _ActorTypes:
    """Finds the actor type a "Paroles de …" label names ("délégué.e du préfet"
    finds "Délégué·e du préfet"), creating it once if none does."""

    def __init__(self) -> None:
        self.index = actor_type_index(ActorType.objects.all())

    def get(self, label: str | None) -> ActorType | None:
        if label is None:
            return None
        name = label[:1].upper() + label[1:]
        return find_or_create_actor_type(self.index, name, quote_label=label)


def _organisation(label: str) -> Organisation:
    """The organisation named (or abbreviated) `label`; 'Name (ACR)' gives both."""
    match = _ACRONYM.match(label)
    name, acronym = (match[1], match[2].strip()) if match else (label, "")
    lookup = Q()
    for key in filter(None, (name, acronym)):
        lookup |= Q(name__iexact=key) | Q(acronym__iexact=key)
    found = Organisation.objects.filter(lookup).first()
    return found or Organisation.objects.create(name=name, acronym=acronym)


def _save_workshop(parsed: ParsedSynthesis, slug: str) -> tuple[Workshop, bool]:
    fields = {"title": parsed.title, "date": parsed.date, "format": parsed.format}
    workshop = Workshop.objects.select_for_update().filter(slug=slug).first()
    if workshop is None:  # a published document is public
        return Workshop.objects.create(slug=slug, is_public=True, **fields), True
    for name, value in fields.items():
        setattr(workshop, name, value)
    workshop.save(update_fields=list(fields))
    return workshop, False


def _save_partners(workshop: Workshop, parsed: ParsedSynthesis) -> None:
    # A block that lists no names (logos only, as in the seed) tells nothing:
    # the partners already recorded stay.
    if parsed.carriers:
        workshop.carriers.set([_organisation(name) for name in parsed.carriers])
    if parsed.supporters:
        workshop.supporters.set([_organisation(name) for name in parsed.supporters])


def _delete_unused(rows: QuerySet, notes: QuerySet, line: int, message: str) -> None:
    """Delete `rows` unless group notes hang on them: those are never lost."""
    if notes.exists():
        raise SynthesisConflictError(line, message)
    try:
        rows.delete()
    except (ProtectedError, RestrictedError) as err:
        raise SynthesisConflictError(line, message) from err


def _save_rounds(workshop: Workshop, parsed: ParsedSynthesis) -> list[Question]:
    questions: list[Question] = []
    for parsed_round in parsed.rounds:
        round_ = Round.objects.update_or_create(
            workshop=workshop,
            order=parsed_round.order,
            defaults={
                "title": parsed_round.title,
                "description": parsed_round.description,
                "grouping_mode": parsed_round.grouping_mode,
            },
        )[0]
        questions += _save_questions(round_, parsed_round)
    extra = workshop.rounds.filter(order__gt=len(parsed.rounds))
    notes = Contribution.objects.filter(Q(group__round__in=extra) | Q(question__round__in=extra))
    message = _(
        "le temps %(n)s n'est plus dans le document mais a déjà des contributions ; "
        "remettez-le dans le document ou supprimez d'abord ses contributions."
    ) % {"n": len(parsed.rounds) + 1}
    _delete_unused(extra, notes, parsed.rounds[-1].line, message)
    return questions


def _save_questions(round_: Round, parsed_round: ParsedRound) -> list[Question]:
    questions = [
        Question.objects.update_or_create(
            round=round_,
            order=order,
            defaults={"title": parsed.title, "default_kind": parsed.kind},
        )[0]
        for order, parsed in enumerate(parsed_round.questions, start=1)
    ]
    extra = round_.questions.filter(order__gt=len(questions))
    message = _(
        "la consigne %(n)s du temps %(round)s n'est plus dans le document mais a déjà des "
        "contributions ; remettez-la dans le document ou supprimez d'abord ses contributions."
    ) % {"n": len(questions) + 1, "round": round_.order}
    notes = Contribution.objects.filter(question__in=extra)
    _delete_unused(extra, notes, parsed_round.line, message)
    return questions


def _save_synthesis(workshop: Workshop, intro: str) -> Synthesis:
    synthesis = workshop.syntheses.order_by("-revision").first()
    synthesis = synthesis or Synthesis(workshop=workshop, revision=1)
    synthesis.intro = intro
    synthesis.status = Status.PUBLISHED
    synthesis.published_at = synthesis.published_at or timezone.now()
    synthesis.save()
    return synthesis


def _save_sections(
    synthesis: Synthesis,
    questions: list[Question],
    parsed: ParsedSynthesis,
    actor_types: _ActorTypes,
) -> None:
    for order, (question, parsed_question) in enumerate(
        zip(questions, parsed.questions, strict=True), start=1
    ):
        section = Section.objects.update_or_create(
            synthesis=synthesis,
            order=order,
            defaults={
                "round": question.round,
                "question": question,
                "title": parsed_question.title,
            },
        )[0]
        _save_statements(section, parsed_question.statements, actor_types)
    synthesis.sections.filter(order__gt=len(questions)).delete()


def _save_statements(
    section: Section, parsed: list[ParsedStatement], actor_types: _ActorTypes
) -> None:
    # Matched by order (first by pk when an edit left two with one order), so
    # ids and source links survive; what the document no longer has goes.
    existing: dict[int, Statement] = {}
    for statement in section.statements.order_by("order", "pk"):
        existing.setdefault(statement.order, statement)
    kept: set[int] = set()
    for order, item in enumerate(parsed, start=1):
        statement = existing.get(order) or Statement(section=section, order=order)
        _save_statement(statement, item, actor_types.get(item.speaker))
        kept.add(statement.pk)
    section.statements.exclude(pk__in=kept).delete()


def _save_statement(statement: Statement, item: ParsedStatement, speaker: ActorType | None) -> None:
    values = (item.text, item.kind, speaker.pk if speaker else None)
    if statement.pk and values == (statement.text, statement.kind, statement.speaker_actor_type_id):
        return  # unchanged: keep its version and updated_at
    if statement.pk:
        statement.version += 1
    statement.text, statement.kind, statement.speaker_actor_type = item.text, item.kind, speaker
    statement.save()


def _result(
    workshop: Workshop,
    synthesis: Synthesis,
    parsed: ParsedSynthesis,
    actor_types: _ActorTypes,
    created: bool,
) -> ImportResult:
    statements = [item for question in parsed.questions for item in question.statements]
    quotes: dict[str, int] = {}
    for item in statements:
        speaker = actor_types.get(item.speaker)
        if item.kind == Kind.QUOTE and speaker is not None:
            quotes[speaker.name] = quotes.get(speaker.name, 0) + 1
    return ImportResult(
        workshop=workshop,
        synthesis=synthesis,
        rounds=len(parsed.rounds),
        questions=len(parsed.questions),
        statements=sum(item.kind != Kind.QUOTE for item in statements),
        quotes_by_actor_type=quotes,
        created=created,
        unattributed_quotes=sum(i.kind == Kind.QUOTE and i.speaker is None for i in statements),
    )


def _write(parsed: ParsedSynthesis, slug: str) -> ImportResult:
    workshop, created = _save_workshop(parsed, slug)
    _save_partners(workshop, parsed)
    questions = _save_rounds(workshop, parsed)
    synthesis = _save_synthesis(workshop, parsed.intro)
    actor_types = _ActorTypes()
    _save_sections(synthesis, questions, parsed, actor_types)
    return _result(workshop, synthesis, parsed, actor_types, created)


def import_synthesis(source: str | Path, *, slug: str | None = None) -> ImportResult:
    """Create or update the workshop and its published synthesis from a file.

    Everything happens in one transaction: a document that fails half-way
    (a dropped round that has contributions) leaves the database as it was.
    """
    parsed = parse(read_text(Path(source)))
    slug = slugify(slug or parsed.title)[:120]
    if not slug:
        message = _("le titre ne donne pas d'identifiant d'URL : indiquez-en un avec --slug.")
        raise SynthesisFormatError(parsed.title_line, message)
    with transaction.atomic():
        return _write(parsed, slug)

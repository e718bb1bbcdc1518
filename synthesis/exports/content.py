"""What every format reads from a synthesis: sections, partners, headings, dates."""

import base64
import io
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from PIL import Image

from atelier.lib.text import fold
from atelier.models import ActorType, Contribution, Organisation, Workshop

from ..models import Section, Statement, Synthesis
from .logos import logo_png

SECTION_GLYPH = "►"
# Quotes are marked with a neutral speech bubble of our own: an SVG on the page
# and in the PDF (templates/synthesis/includes/quote_mark.svg), a drawn picture
# in Word, this character in Markdown (which synthesis.importing reads back, as
# it reads the reference document's ☪). ☪ is how the original layout's
# pictogram came out of its PDF: a religious symbol we never print.
QUOTE_MARKER = "💬"
CARRIERS_HEADING = "Une initiative portée par"
SUPPORTERS_HEADING = "Avec le soutien de"


@dataclass
class Partner:
    name: str
    acronym: str
    png: bytes | None  # the logo, re-encoded; None: the name is shown instead
    url: str | None = None  # the page links the stored (re-encoded) file instead

    @property
    def data_uri(self) -> str | None:
        if self.png is None:
            return None
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")

    @property
    def src(self) -> str | None:
        return self.url or self.data_uri

    @cached_property
    def size(self) -> tuple[int, int] | None:
        if self.png is None:
            return None
        with Image.open(io.BytesIO(self.png)) as image:
            return image.size

    @property
    def width(self) -> int | None:
        return self.size[0] if self.size else None

    @property
    def height(self) -> int | None:
        return self.size[1] if self.size else None


@dataclass
class Content:
    synthesis: Synthesis
    workshop: Workshop
    sections: list[Section]
    carriers: list[Partner]
    supporters: list[Partner]


def load_sections(synthesis: Synthesis, *, with_sources: bool) -> list[Section]:
    """The sections with their statements in a fixed number of queries."""
    statements = Statement.objects.select_related("speaker_actor_type").order_by("order", "pk")
    if with_sources:
        # Deleted notes stay linked (nothing is ever unlinked) but were taken
        # back by their group: they are not published as open data.
        notes = (
            Contribution.objects.alive()
            .select_related("group__round", "group__actor_type", "speaker_actor_type")
            .order_by("group__round__order", "group__number", "pk")
        )
        statements = statements.prefetch_related(Prefetch("sources", queryset=notes))
    sections = synthesis.sections.select_related("round").prefetch_related(
        Prefetch("statements", queryset=statements)
    )
    return list(sections.order_by("order"))


def load_content(synthesis: Synthesis, *, with_logos: bool) -> Content:
    workshop = synthesis.workshop
    return Content(
        synthesis=synthesis,
        workshop=workshop,
        sections=load_sections(synthesis, with_sources=False),
        carriers=[_partner(org, with_logos) for org in workshop.carriers.all()],
        supporters=[_partner(org, with_logos) for org in workshop.supporters.all()],
    )


def page_partners(orgs) -> list[Partner]:
    """The partners of the published page: the stored logo, re-encoded at upload."""
    return [
        Partner(org.name, org.acronym, None, url=org.logo.url if org.logo else None) for org in orgs
    ]


def _partner(org: Organisation, with_logo: bool) -> Partner:
    png = logo_png(org) if with_logo and org.logo else None
    return Partner(name=org.name, acronym=org.acronym, png=png)


def parts(sections: list[Section]) -> Iterator[tuple[int | None, list[Section]]]:
    """(round number, its sections) runs in section order, like {% regroup %}."""
    run: list[Section] = []
    current: int | None = None
    for section in sections:
        number = section.round.order if section.round else None
        if run and number != current:
            yield current, run
            run = []
        current = number
        run.append(section)
    if run:
        yield current, run


def round_heading(number: int) -> str:
    # Not Round.label: the reference format says "TEMPS 1 :" in any language.
    return f"TEMPS {number} :"


def quotes_heading(actor_type: ActorType | None) -> str:
    return f"{actor_type.quotes_heading} :" if actor_type else "Paroles d'acteurs :"


def date_line(workshop: Workshop) -> str:
    """'29 JANVIER 2021', as the reference document (and the importer) has it."""
    return date_format(workshop.date, "j F Y").upper()


def format_line(workshop: Workshop) -> str:
    """'En ligne', unless the title already says so (the seed's does)."""
    label = str(workshop.get_format_display())
    return "" if fold(label) in fold(workshop.title) else label


def short_title(workshop: Workshop, limit: int = 70) -> str:
    """The running header's title: whole when it fits, else cut at a word."""
    title = one_line(workshop.title)
    if len(title) <= limit:
        return title
    return title[:limit].rsplit(" ", 1)[0].rstrip(" ,;:–-") + "…"


def revision_line(synthesis: Synthesis) -> str:
    """The colophon: printed at the end, never under the workshop's date."""
    if synthesis.published_at:
        return _("Révision %(rev)s, publiée le %(date)s") % {
            "rev": synthesis.revision,
            "date": date_format(timezone.localtime(synthesis.published_at), "j F Y"),
        }
    return _("Révision %(rev)s (%(status)s)") % {
        "rev": synthesis.revision,
        "status": synthesis.get_status_display().lower(),
    }


def one_line(text: str) -> str:
    return " ".join(text.split())

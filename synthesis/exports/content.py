"""What every format reads from a synthesis: sections, partners, headings, dates."""

import base64
from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from atelier.models import ActorType, Contribution, Organisation, Workshop

from ..models import Section, Statement, Synthesis
from .logos import logo_png

QUOTE_GLYPH = "☪"
SECTION_GLYPH = "►"


@dataclass
class Partner:
    name: str
    acronym: str
    png: bytes | None  # the logo, re-encoded; None: the name is shown instead

    @property
    def data_uri(self) -> str | None:
        if self.png is None:
            return None
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")


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


def revision_line(synthesis: Synthesis) -> str:
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

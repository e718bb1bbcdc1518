"""Who may read, edit and download a synthesis: its revisions, statements and
exports. Built on the workshop rules (atelier/permissions.py): outsiders get
404, readers who may not write 403, and a published revision refuses edits
(`RevisionFrozen`), here and nowhere else."""

from django.http import Http404
from django.utils.translation import gettext as _

from atelier.permissions import (
    can_read_published,
    get_workshop_for_coordinator,
    is_coordinator,
    require_coordinator,
)

from .models import Export, ExportFormat, Statement, Status, Synthesis

# Exports that carry the group notes' texts: working material, which only the
# coordination reads (docs/decisions.md). The other formats are open data.
COORDINATION_FORMATS = frozenset({ExportFormat.ANALYSIS_CSV})


class RevisionFrozen(Exception):
    """The statement's revision is published: edits go to a new revision."""

    def __init__(self):
        super().__init__(
            _("Cette révision est publiée : ouvrez une nouvelle révision pour la modifier.")
        )


def get_readable_synthesis_or_404(user, slug):
    """The latest published revision of a workshop's synthesis, if the user may
    read it: anybody for a public workshop, else those who see the workshop."""
    synthesis = (
        Synthesis.objects.published()
        .filter(workshop__slug=slug)
        .select_related("workshop")
        .order_by("-revision")
        .first()
    )
    if synthesis is None:
        raise Http404
    # The same 404 for "absent" and "not yours".
    if not can_read_published(user, synthesis.workshop):
        raise Http404
    return synthesis


def get_synthesis_for_editor(user, slug):
    """The newest revision of a workshop's synthesis (None if never drafted),
    for the coordination only."""
    workshop = get_workshop_for_coordinator(user, slug)
    return workshop, workshop.syntheses.order_by("-revision").first()


def get_statement_for_editor(user, statement_id):
    statement = (
        Statement.objects.select_related("section__synthesis__workshop")
        .filter(pk=statement_id)
        .first()
    )
    if statement is None:
        raise Http404
    get_workshop_for_coordinator(user, statement.section.synthesis.workshop.slug)
    return statement


def get_synthesis_for_reader(user, synthesis_id):
    """Any revision the user may read: a published one like its page; a draft
    only for the coordination."""
    synthesis = Synthesis.objects.select_related("workshop").filter(pk=synthesis_id).first()
    if synthesis is None:
        raise Http404
    if synthesis.status == Status.PUBLISHED:
        if not can_read_published(user, synthesis.workshop):
            raise Http404
    else:
        get_workshop_for_coordinator(user, synthesis.workshop.slug)
    return synthesis


def get_export_for_reader(user, export_id):
    """Checked at download time: the link itself grants nothing. Any export
    with a file, also while a new one is being made or after a rerun failed:
    the previous good file stays downloadable until a new one replaces it."""
    export = Export.objects.filter(pk=export_id).exclude(file="").first()
    if export is None:
        raise Http404
    export.synthesis = get_synthesis_for_reader(user, export.synthesis_id)
    if export.format in COORDINATION_FORMATS:
        require_coordinator(user)
    return export


def export_formats_for(user) -> list[tuple[str, str]]:
    """(value, label) of the formats the user may ask for and download."""
    coordinator = is_coordinator(user)
    return [
        (value, label)
        for value, label in ExportFormat.choices
        if coordinator or value not in COORDINATION_FORMATS
    ]


def may_regenerate_exports(user) -> bool:
    """Making a file again replaces the one everybody downloads: the
    coordination's call. Other readers may ask for a file nobody made yet
    (or whose making failed) and download it."""
    return is_coordinator(user)


def check_export_request(user, fmt, *, again):
    """403 for a format or a regeneration the user may not ask for (the
    synthesis itself was checked by get_synthesis_for_reader)."""
    if fmt in COORDINATION_FORMATS or again:
        require_coordinator(user)


def get_synthesis_for_edit(user, slug):
    """(workshop, the revision edits go to) for the coordination: never a
    published one (RevisionFrozen, also when nothing was drafted yet); an
    approved one goes back to draft."""
    workshop, synthesis = get_synthesis_for_editor(user, slug)
    if synthesis is None or synthesis.status == Status.PUBLISHED:
        raise RevisionFrozen
    return workshop, synthesis.editable(by=user)


def get_statement_for_edit(user, statement_id, *, writing=True):
    """A statement the coordination may change now: never one of a published
    revision (RevisionFrozen). When `writing` (a POST that changes it), an
    approved revision goes back to draft, recorded in its history; opening
    the edit form (a GET) changes nothing."""
    statement = get_statement_for_editor(user, statement_id)
    synthesis = statement.section.synthesis
    if synthesis.status == Status.PUBLISHED:
        raise RevisionFrozen
    if writing:
        synthesis.editable(by=user)
    return statement

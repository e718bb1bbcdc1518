"""manage.py embed_notes [--workshop SLUG]: compute the vectors notes lack."""

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from atelier.models import Contribution, Workshop
from synthesis import embeddings


def _n(count: int) -> str:
    return number_format(count, force_grouping=True)


class Command(BaseCommand):
    help = (
        "Calcule les vecteurs des notes qui n'en ont pas encore (après une mise à jour, ou si "
        "le courtier de tâches était indisponible). Sans effet sur les notes déjà à jour."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workshop", metavar="SLUG", help="seulement les notes de cet atelier")

    def handle(self, *args: object, workshop: str | None = None, **options: object) -> None:
        notes = Contribution.objects.alive()
        if workshop is not None:
            if not Workshop.objects.filter(slug=workshop).exists():
                message = _("Aucun atelier n'a l'identifiant « %(slug)s ».") % {"slug": workshop}
                raise CommandError(message)
            notes = notes.filter(group__round__workshop__slug=workshop)
        progress = None
        if options.get("verbosity", 1) > 1:
            progress = lambda computed, current: self.stdout.write(f"… {_n(computed + current)}")  # noqa: E731
        counts = embeddings.backfill(notes, on_chunk=progress)
        if counts is None:
            self.stdout.write(
                _(
                    "Rien à calculer : le brouillon utilise la similarité lexicale "
                    "(DRAFTING_BACKEND=lexical), qui ne stocke pas de vecteurs."
                )
            )
            return
        computed, current = counts
        # Not ngettext for 0: without a French catalogue it would say "0 notes".
        if computed == 0:
            message = _("Aucune nouvelle note à vectoriser, %(current)s déjà à jour.")
        else:
            message = ngettext(
                "%(computed)s note vectorisée, %(current)s déjà à jour.",
                "%(computed)s notes vectorisées, %(current)s déjà à jour.",
                computed,
            )
        numbers = {"computed": _n(computed), "current": _n(current)}
        self.stdout.write(self.style.SUCCESS(message % numbers))

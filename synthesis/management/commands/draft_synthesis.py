"""manage.py draft_synthesis SLUG: draft a workshop's synthesis from its group notes."""

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from atelier.models import Workshop
from synthesis.drafting import draft


class Command(BaseCommand):
    # Plain strings: argparse cannot format lazy translations (--help would crash).
    help = (
        "Rédige le brouillon de la synthèse d'un atelier à partir des notes des groupes : "
        "les notes semblables de groupes différents forment un énoncé. Les énoncés existants "
        "gardent leur texte ; une révision publiée n'est jamais modifiée."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="identifiant d'URL de l'atelier")

    def handle(self, *args: object, slug: str, **options: object) -> None:
        workshop = Workshop.objects.filter(slug=slug).first()
        if workshop is None:
            raise CommandError(_("Aucun atelier n'a l'identifiant « %(slug)s ».") % {"slug": slug})
        self.stdout.write(self.style.SUCCESS(draft(workshop).summary()))

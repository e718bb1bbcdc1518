"""manage.py import_synthesis PATH [--slug SLUG]: load a published synthesis."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from synthesis.importing import SynthesisFormatError, import_synthesis


class Command(BaseCommand):
    # Plain strings: argparse cannot format lazy translations (--help would crash).
    help = (
        "Importe une synthèse rédigée au format de référence (titre, date, TEMPS, rubriques ►, "
        "paroles d'acteurs). Relancer l'import sur le même fichier met l'atelier à jour."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="fichier texte UTF-8")
        parser.add_argument("--slug", help="identifiant d'URL de l'atelier (par défaut : le titre)")

    def handle(self, *args: object, path: Path, slug: str | None, **options: object) -> None:
        try:
            result = import_synthesis(path, slug=slug)
        except SynthesisFormatError as err:
            raise CommandError(f"{path}, {err}") from err
        except OSError as err:
            message = _("impossible de lire %(path)s : %(error)s")
            raise CommandError(message % {"path": path, "error": err.strerror or err}) from err
        self.stdout.write(self.style.SUCCESS(result.summary()))

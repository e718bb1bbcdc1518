"""manage.py import_territories FILE: load the official list of QPV (docs/territories.md)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from territories.importing import ImportProblems, load, parse, read


class Command(BaseCommand):
    # Plain strings: argparse's --help cannot format a lazy translation.
    help = (
        "Importe la liste officielle des quartiers prioritaires (QPV) depuis un fichier CSV "
        "(code, nom, communes, departement, region…) : crée les régions, départements et "
        "communes manquants, crée ou met à jour les QPV. Tout ou rien ; relancer l'import "
        "ne change rien."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="fichier CSV (séparateur ; ou ,)")

    def handle(self, *args: object, path: Path, **options: object) -> None:
        try:
            summary = load(parse(read(path)))
        except ImportProblems as err:
            count = len({p.line for p in err.problems})
            head = ngettext(
                "%(path)s : import refusé, %(n)s ligne en erreur ; rien n'a été enregistré.",
                "%(path)s : import refusé, %(n)s lignes en erreur ; rien n'a été enregistré.",
                count,
            ) % {"path": path, "n": count}
            raise CommandError("\n".join([head, *(f"  {p}" for p in err.problems)])) from err
        except OSError as err:
            message = _("impossible de lire %(path)s : %(error)s")
            raise CommandError(message % {"path": path, "error": err.strerror or err}) from err
        self.stdout.write(self.style.SUCCESS(str(summary)))
        if details := summary.details():
            self.stdout.write(details)

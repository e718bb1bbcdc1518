from pathlib import Path

from django.core.management.base import BaseCommand

from api import package


class Command(BaseCommand):
    help = (
        "Écrit le jeu de données ouvertes (fichiers CSV et datapackage.json) "
        "dans le dossier indiqué."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path)

    def handle(self, *args, directory, **options):
        for path in package.write(directory):
            self.stdout.write(str(path))

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from synthesis import exports
from synthesis.models import ExportFormat, Synthesis


class Command(BaseCommand):
    help = "Exporte une synthèse (dernière révision publiée, ou --revision) dans un fichier."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--format", dest="fmt", choices=ExportFormat.values, required=True)
        parser.add_argument("--out", required=True)
        parser.add_argument("--revision", type=int)

    def handle(self, slug, fmt, out, revision, **options):
        syntheses = Synthesis.objects.filter(workshop__slug=slug).select_related("workshop")
        synthesis = (
            syntheses.filter(revision=revision).first()
            if revision
            else syntheses.published().order_by("-revision").first()
        )
        if synthesis is None:
            raise CommandError(f"Pas de synthèse publiée (ou de cette révision) pour « {slug} ».")
        try:
            content = exports.render(synthesis, fmt)
        except exports.ExportError as error:
            raise CommandError(str(error)) from error
        Path(out).write_bytes(content)
        self.stdout.write(f"{out} : {len(content)} octets ({exports.filename(synthesis, fmt)}).")

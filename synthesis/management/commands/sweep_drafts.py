from django.core.management.base import BaseCommand

from synthesis import drafting_jobs


class Command(BaseCommand):
    help = "Relance les brouillons en attente (courtier indisponible) ou bloqués (worker arrêté)."

    def handle(self, *args, **options):
        sent = drafting_jobs.sweep()
        self.stdout.write(f"{sent} brouillon(s) remis en file d'attente.")

from django.core.management.base import BaseCommand

from synthesis import jobs


class Command(BaseCommand):
    help = "Relance les exports en attente (courtier indisponible) ou bloqués (worker arrêté)."

    def handle(self, *args, **options):
        sent = jobs.sweep()
        self.stdout.write(f"{sent} export(s) remis en file d'attente.")

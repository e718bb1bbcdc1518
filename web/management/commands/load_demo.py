from django.core.management.base import BaseCommand

from web import demo


class Command(BaseCommand):
    help = (
        "Charge l'atelier de démonstration (la synthèse de référence), des ateliers "
        "locaux avec leurs synthèses publiées, et les comptes de démonstration."
    )

    def handle(self, *args, **options):
        summary = demo.load()
        local = demo.load_local()
        self.stdout.write(
            self.style.SUCCESS(
                f"Démo prête : « {summary.workshop.title} » ({summary.workshop.slug}), "
                f"{summary.territories} territoires, {summary.participants} participant·es, "
                f"{summary.groups} groupes, {summary.notes} notes de groupe."
            )
        )
        self.stdout.write(
            f"Ateliers locaux : {len(local.workshops)} ateliers "
            f"({', '.join(w.territory.name for w in local.workshops)}), "
            f"{local.notes} notes de groupe, synthèses publiées."
        )
        self.stdout.write(f"Comptes de démonstration (mot de passe : {demo.PASSWORD}) :")
        for username, role in summary.users:
            self.stdout.write(f"  - {username:<14} {role}")

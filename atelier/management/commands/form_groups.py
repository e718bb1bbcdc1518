from django.core.management.base import BaseCommand, CommandError

from atelier import groups
from atelier.models import Round


class Command(BaseCommand):
    help = "Forme les groupes d'un temps d'atelier (aléatoire avec brassage, ou par pairs)."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--round", dest="order", type=int, default=1, help="numéro du temps")
        parser.add_argument("--mode", choices=["random", "peer"], default="random")
        size = parser.add_mutually_exclusive_group(required=True)
        size.add_argument("--groups", dest="group_count", type=int, help="nombre de groupes")
        size.add_argument("--size", dest="group_size", type=int, help="taille des groupes")
        parser.add_argument("--seed", type=int, default=0)

    def handle(self, slug, order, mode, group_count, group_size, seed, **options):
        round_ = Round.objects.filter(workshop__slug=slug, order=order).first()
        if round_ is None:
            raise CommandError(f"Pas de temps {order} pour l'atelier « {slug} ».")
        request = groups.Request(
            mode=mode, group_count=group_count, group_size=group_size, seed=seed
        )
        try:
            groups.generate(round_, request)
        except groups.GroupsError as error:
            raise CommandError(str(error)) from error
        report = groups.report(round_)
        self.stdout.write(
            f"{len(report['sizes'])} groupes formés (tailles {report['sizes']}), "
            f"{report['repeated_pairs']} paire(s) déjà réunie(s)."
        )

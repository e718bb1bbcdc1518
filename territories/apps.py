from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class TerritoriesConfig(AppConfig):
    name = "territories"
    verbose_name = _("Territoires")

    def ready(self):
        post_migrate.connect(_ensure_note_counts, sender=self)


def _ensure_note_counts(using, **kwargs):
    # SQLite drops a table's triggers when a migration rebuilds it: put the
    # note counts' triggers back (and recount) after every migrate.
    from django.db import connections

    from . import counts

    counts.ensure(connections[using])

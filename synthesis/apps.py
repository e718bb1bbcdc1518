from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SynthesisConfig(AppConfig):
    name = "synthesis"
    verbose_name = _("Synthèses")

    def ready(self):
        from atelier.signals import notes_written

        from . import receivers

        notes_written.connect(receivers.embed_written_notes, dispatch_uid="synthesis.embed_notes")

"""What synthesis does when atelier says something happened. Atelier never
imports synthesis: it sends plain signals (atelier/signals.py), connected
here in SynthesisConfig.ready().

Kept free of numpy and the models: this runs in the web process, on the
board's save path.
"""

from django.conf import settings
from django.db import transaction

from . import pending


def embed_written_notes(sender, note_ids, **kwargs):
    """Queue the notes for a worker's next batch once the board's save has
    committed (synthesis/pending.py): one Redis round trip, no task per note
    (in a web worker, one for the saves of half a second).
    Without a broker the task would run in this request and make the board
    wait for the model: nothing then, the draft embeds what is missing. The
    lexical backend stores nothing, so there is nothing to compute either."""
    from .tasks import embed_pending

    if embed_pending.app.conf.task_always_eager or settings.DRAFTING_BACKEND == "lexical":
        return
    ids = list(note_ids)
    transaction.on_commit(lambda: pending.queue(ids))

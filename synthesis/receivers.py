"""What synthesis does when atelier says something happened. Atelier never
imports synthesis: it sends plain signals (atelier/signals.py), connected
here in SynthesisConfig.ready().

Kept free of numpy and the models: this runs in the web process, on the
board's save path.
"""

import logging

from django.conf import settings
from django.db import transaction

log = logging.getLogger(__name__)


def embed_written_notes(sender, note_ids, **kwargs):
    """Have a worker embed the notes once the board's save has committed.
    Without a broker the task would run in this request and make the board
    wait for the model: nothing then, the draft embeds what is missing. The
    lexical backend stores nothing, so there is nothing to compute either."""
    from .tasks import embed_notes

    if embed_notes.app.conf.task_always_eager or settings.DRAFTING_BACKEND == "lexical":
        return
    ids = list(note_ids)
    transaction.on_commit(lambda: enqueue_embedding(ids))


def enqueue_embedding(note_ids: list[int]) -> bool:
    """A broker that does not answer costs the notes their vectors until the
    next draft or `manage.py embed_notes`, never the save itself."""
    from .tasks import embed_notes

    try:
        embed_notes.delay(note_ids)
    except Exception:  # kombu/redis raise various errors when the broker is down
        log.warning(
            "Notes %s not embedded: the broker did not take the task", note_ids, exc_info=True
        )
        return False
    return True

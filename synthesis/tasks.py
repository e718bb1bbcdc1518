from celery import shared_task
from django.conf import settings

from . import drafting_jobs, jobs


@shared_task(bind=True, name="synthesis.run_export")
def run_export(self, export_id):
    jobs.run(export_id, task_id=self.request.id or "")


@shared_task(name="synthesis.sweep_exports")
def sweep_exports():
    jobs.sweep()


@shared_task(
    bind=True,
    name="synthesis.run_draft",
    soft_time_limit=settings.DRAFT_TIME_LIMIT - 30,
    time_limit=settings.DRAFT_TIME_LIMIT,
)
def run_draft(self, job_id):
    drafting_jobs.run(job_id, task_id=self.request.id or "")


@shared_task(name="synthesis.sweep_drafts")
def sweep_drafts():
    drafting_jobs.sweep()


# The board no longer sends it (embed_pending takes the notes in batches): kept
# for the messages queued before an upgrade, and for callers that name notes.
@shared_task(name="synthesis.embed_notes")
def embed_notes(note_ids):
    from .embeddings import embed_note_ids  # numpy and the models: only in the worker

    embed_note_ids(note_ids)


@shared_task(name="synthesis.embed_pending")
def embed_pending():
    from . import embeddings  # numpy and the models: only in the worker

    return embeddings.embed_pending()

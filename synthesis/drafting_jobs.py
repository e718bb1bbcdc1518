"""The draft as a background job: one DraftJob row per run, the export jobs'
pattern (synthesis/jobs.py) applied to `drafting.draft`.

- Requesting creates the row and enqueues a task once the transaction
  commits. At most one job per workshop is pending or running (a conditional
  unique constraint): a double click gets the job already under way. If the
  broker is down the row stays pending and the sweep enqueues it later.
- A worker claims the row with one conditional UPDATE, so a duplicate message
  does nothing; a message redelivered after its worker died (same task id),
  or a row left running past the time limit, may be claimed again.
- The draft reports its progress, written to the row with small UPDATEs that
  the editor polls. It commits each question on its own and skips the notes
  already in a statement, so a run resumed after a crash goes on where it
  stopped instead of drafting anything twice.
"""

import logging
import threading
from datetime import timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from atelier.models import Workshop

from . import jobs
from .models import DraftJob, DraftJobStatus

log = logging.getLogger(__name__)

ACTIVE = (DraftJobStatus.PENDING, DraftJobStatus.RUNNING)
# A job whose worker died this many times is not tried again: something in
# the workshop kills the worker (memory), and the coordination must be told.
MAX_ATTEMPTS = 3


def latest(workshop: Workshop) -> DraftJob | None:
    """The workshop's most recent job, whatever its state."""
    return DraftJob.objects.filter(workshop=workshop).order_by("-requested_at", "-pk").first()


def request(
    workshop: Workshop, *, by=None, granularity: int | None = None, redraft: bool = False
) -> DraftJob:
    """A new draft job, queued; or the one already pending or running for
    this workshop (a double click, two coordinators at once)."""
    active = DraftJob.objects.filter(workshop=workshop, status__in=ACTIVE).first()
    if active is not None:
        if _stuck(active):  # its worker died, or no beat runs the sweep (no broker)
            transaction.on_commit(sweep)
        return active
    if granularity is None:  # the revision's current setting, shown as such
        current = workshop.syntheses.order_by("-revision").values_list("granularity", flat=True)
        granularity = current.first() or 0
    try:
        with transaction.atomic():
            job = DraftJob.objects.create(
                workshop=workshop, requested_by=by, granularity=granularity, redraft=redraft
            )
    except IntegrityError:  # two first clicks at once: the other one created it
        return DraftJob.objects.filter(workshop=workshop, status__in=ACTIVE).first() or latest(
            workshop
        )
    transaction.on_commit(lambda: enqueue(job.pk))
    return job


def _stuck(job: DraftJob) -> bool:
    if job.status == DraftJobStatus.RUNNING:
        return job.started_at is not None and job.started_at < _stale_before()
    # Pending with no broker: the thread that was to run it died with its process.
    return settings.DRAFT_JOBS_IN_THREAD


def _run_in_thread(job_id: int) -> None:
    try:
        run(job_id)
    finally:
        connection.close()  # the thread's own connection


def enqueue(job_id: int) -> bool:
    """Hand the job to Celery; a broker that does not answer is not an error
    for the user — the sweep will try again."""
    from .tasks import run_draft

    if settings.DRAFT_JOBS_IN_THREAD:  # no broker: the web process is the worker
        threading.Thread(target=_run_in_thread, args=(job_id,), daemon=True).start()
        return True
    return jobs.send(run_draft, job_id, "Draft job")


def _stale_before():
    return timezone.now() - timedelta(seconds=settings.DRAFT_TIME_LIMIT + 30)


def claim(job_id: int, task_id: str) -> bool:
    return jobs.claim_row(DraftJob.objects, job_id, task_id, _stale_before(), error="")


def run(job_id: int, task_id: str = "") -> None:
    """Draft, reporting progress on the row. Every failure ends as a French
    message on the row; the worker itself never goes down for a bad draft."""
    from . import drafting

    if not claim(job_id, task_id):
        return
    job = DraftJob.objects.select_related("workshop", "requested_by").get(pk=job_id)

    def progress(stage: str, done: int, total: int) -> None:
        DraftJob.objects.filter(pk=job_id).update(stage=stage, done=done, total=total)

    try:
        result = drafting.draft(
            job.workshop,
            by=job.requested_by,
            granularity=job.granularity if job.redraft else None,
            redraft=job.redraft,
            progress=progress,
        )
    except SoftTimeLimitExceeded:
        _fail(
            job_id,
            _(
                "Le brouillon a dépassé le temps de calcul autorisé. Les questions déjà "
                "traitées sont enregistrées : relancez pour terminer les autres."
            ),
        )
    except Exception:
        log.exception("Draft job %s failed", job_id)
        _fail(job_id, _("La génération du brouillon a échoué. L'équipe technique est prévenue."))
    else:
        _warm_suggestions(result.synthesis)
        DraftJob.objects.filter(pk=job_id).update(
            status=DraftJobStatus.DONE,
            summary=result.summary(),
            error="",
            finished_at=timezone.now(),
        )


def _warm_suggestions(synthesis) -> None:
    """Compute the suggested merges now, in the worker, so that the editor's
    panel opens from the cache (a 10,000-note revision takes seconds)."""
    from . import suggestions

    try:
        suggestions.for_synthesis(synthesis)
    except Exception:  # a cache or model hiccup must not fail a finished draft
        log.warning("Suggestions of %s not precomputed", synthesis.pk, exc_info=True)


def _fail(job_id: int, message: str) -> None:
    DraftJob.objects.filter(pk=job_id).update(
        status=DraftJobStatus.FAILED, error=message, finished_at=timezone.now()
    )


def sweep() -> int:
    """Enqueue what is pending (the broker was down) and what a dead worker
    left running past its time limit; give up on a job that killed its
    worker MAX_ATTEMPTS times. Run every minute by Celery beat, or cron."""
    stale = DraftJob.objects.filter(status=DraftJobStatus.RUNNING, started_at__lt=_stale_before())
    stale.filter(attempts__gte=MAX_ATTEMPTS).update(
        status=DraftJobStatus.FAILED,
        finished_at=timezone.now(),
        error=_(
            "Le brouillon a interrompu le serveur de calcul à plusieurs reprises. "
            "Contactez l'équipe technique."
        ),
    )
    stale.update(status=DraftJobStatus.PENDING, task_id="")
    pending = DraftJob.objects.filter(status=DraftJobStatus.PENDING).values_list("pk", flat=True)
    return sum(enqueue(pk) for pk in list(pending))

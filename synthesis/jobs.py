"""Export jobs: one Export row per revision and format is the job.

- Requesting creates or reuses the row and enqueues a task once the
  transaction commits. If the broker is down the page still answers: the row
  stays pending and the sweep enqueues it later.
- A worker claims the row with one conditional UPDATE, so a duplicate message
  does nothing; a message redelivered after its worker died (same task id), or
  a row left running past the time limit, may be claimed again.
- The file goes to a key that depends only on the revision and format, so a
  rerun overwrites it: never two different files for one export.
"""

import logging
from datetime import timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Export, ExportFormat, ExportStatus, Synthesis

log = logging.getLogger(__name__)


def request(synthesis: Synthesis, fmt: str, *, by=None, again: bool = False) -> Export:
    """The export of this revision in this format, queued unless already made
    or under way. `again` regenerates a finished or failed one."""
    if fmt not in ExportFormat.values:
        raise ValueError(fmt)
    try:
        with transaction.atomic():
            export, created = Export.objects.get_or_create(
                synthesis=synthesis, format=fmt, defaults={"requested_by": by}
            )
    except IntegrityError:  # two first clicks at once: the other one created it
        export, created = Export.objects.get(synthesis=synthesis, format=fmt), False
    retry = (
        Q(status=ExportStatus.FAILED) | Q(status=ExportStatus.DONE)
        if again
        else Q(status=ExportStatus.FAILED)
    )
    reset = Export.objects.filter(Q(pk=export.pk) & retry).update(
        status=ExportStatus.PENDING, error="", requested_by=by, task_id=""
    )
    if created or reset:
        transaction.on_commit(lambda: enqueue(export.pk))
    export.refresh_from_db()
    return export


def enqueue(export_id: int) -> bool:
    """Hand the job to Celery; a broker that does not answer is not an error
    for the user — the sweep will try again."""
    from .tasks import run_export

    return send(run_export, export_id, "Export")


def send(task, row_id: int, what: str) -> bool:
    """`task.delay(row_id)`, False when the broker does not take it: the row
    stays pending and the sweep enqueues it later (exports and drafts alike)."""
    try:
        task.delay(row_id)
    except Exception:  # kombu/redis raise various errors when the broker is down
        log.warning("%s %s stays pending: the broker did not take it", what, row_id, exc_info=True)
        return False
    return True


def _stale_before():
    return timezone.now() - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 30)


def claim(export_id: int, task_id: str) -> bool:
    return claim_row(Export.objects, export_id, task_id, _stale_before())


def claim_row(rows, row_id: int, task_id: str, stale_before, **fields) -> bool:
    """Mark a job row running for this task with one conditional UPDATE; True
    if this worker got it. Claimable: pending, or running for this same task
    id (redelivered after its worker died), or running past the time limit."""
    claimable = (
        Q(status="pending")
        | Q(status="running", task_id=task_id)
        | Q(status="running", started_at__lt=stale_before)
    )
    updated = rows.filter(Q(pk=row_id) & claimable).update(
        status="running",
        started_at=timezone.now(),
        task_id=task_id or "",
        attempts=F("attempts") + 1,
        **fields,
    )
    return updated == 1


def storage_key(export: Export) -> str:
    from . import exports

    synthesis = export.synthesis
    name = exports.filename(synthesis, export.format)
    return f"exports/{synthesis.workshop.slug}/r{synthesis.revision}/{name}"


def run(export_id: int, task_id: str = "") -> None:
    """Make the file. Every failure ends as a French message on the row; the
    worker itself never goes down for a bad export."""
    from . import exports

    if not claim(export_id, task_id):
        return
    export = Export.objects.select_related("synthesis__workshop").get(pk=export_id)
    try:
        content = exports.render(export.synthesis, export.format)
        key = storage_key(export)
        if default_storage.exists(key):
            default_storage.delete(key)
        saved = default_storage.save(key, ContentFile(content))
    except exports.ExportError as error:
        _fail(export, str(error))
    except SoftTimeLimitExceeded:
        _fail(
            export,
            _(
                "Le document a dépassé le temps de fabrication autorisé. "
                "Simplifiez-le ou contactez l'équipe technique."
            ),
        )
    except OSError as error:
        log.exception("Export %s could not be written", export_id)
        _fail(
            export,
            _("Le fichier n'a pas pu être enregistré (espace disque ou droits) : %(error)s")
            % {"error": error.strerror or error},
        )
    except Exception:
        log.exception("Export %s failed", export_id)
        _fail(export, _("La fabrication du fichier a échoué. L'équipe technique est prévenue."))
    else:
        Export.objects.filter(pk=export_id).update(
            status=ExportStatus.DONE, file=saved, error="", finished_at=timezone.now()
        )


def _fail(export, message):
    Export.objects.filter(pk=export.pk).update(
        status=ExportStatus.FAILED, error=message, finished_at=timezone.now()
    )


def sweep() -> int:
    """Enqueue what is pending (the broker was down) and what a dead worker
    left running past its time limit. Run every minute by Celery beat, or cron."""
    Export.objects.filter(status=ExportStatus.RUNNING, started_at__lt=_stale_before()).update(
        status=ExportStatus.PENDING, task_id=""
    )
    pending = list(Export.objects.filter(status=ExportStatus.PENDING).values_list("pk", flat=True))
    return sum(enqueue(pk) for pk in pending)

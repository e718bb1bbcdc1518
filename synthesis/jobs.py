"""Export jobs: one Export row per revision and format is the job.

- Requesting creates or reuses the row and enqueues a task once the
  transaction commits. If the broker is down the page still answers: the row
  stays pending and the sweep enqueues it later.
- A worker claims the row with one conditional UPDATE, so a duplicate message
  does nothing; a message redelivered after its worker died (same task id), or
  a row left running past the time limit, may be claimed again.
- The file goes to a key that depends only on the revision and format, so a
  rerun overwrites it: never two different files for one export. On disk it is
  written beside the key and renamed over it in one step; in a bucket it is put
  at the key in one PUT, which the store shows only once complete. Either way
  the previous good file stays whole and downloadable until the new one is
  complete, and a failed rerun (full disk, unreadable logo, store down) leaves
  it as it was.
- A store that does not answer fails the job with a French reason, marked to
  be tried again: the sweep re-queues it every minute until the store answers.
- A job that kills its worker (the hard time limit) is tried MAX_ATTEMPTS
  times, then fails with a French reason instead of being re-queued forever.
"""

import contextlib
import errno
import logging
import os
import tempfile
from datetime import timedelta
from pathlib import Path

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from atelier.lib import storage

from .models import Export, ExportFormat, ExportStatus, Synthesis

log = logging.getLogger(__name__)

# Runs of one request (claims, redeliveries after a dead worker, sweeps)
# before the job is given up; asking again starts a new count.
MAX_ATTEMPTS = 3
# The task id of a job failed because the object store did not answer: the
# sweep re-queues those (an outage ends; a bad document does not).
RETRY_WHEN_STORAGE_ANSWERS = "retry:storage"


def request(synthesis: Synthesis, fmt: str, *, by=None, again: bool = False) -> Export:
    """The export of this revision in this format, queued unless already made
    or under way. `again` regenerates a finished or failed one, whose previous
    file stays downloadable until the new one replaces it."""
    if fmt not in ExportFormat.values:
        raise ValueError(fmt)
    try:
        with transaction.atomic():
            export, created = Export.objects.get_or_create(
                synthesis=synthesis, format=fmt, defaults={"requested_by": by}
            )
    except IntegrityError:  # two first clicks at once: the other one created it
        export, created = Export.objects.get(synthesis=synthesis, format=fmt), False
    # Without `again`, only a missing file is made: a failed job that left no
    # file. Making one again replaces what everybody downloads (coordinators
    # only, synthesis/permissions.py).
    retry = (
        Q(status=ExportStatus.FAILED) | Q(status=ExportStatus.DONE)
        if again
        else Q(status=ExportStatus.FAILED, file="")
    )
    # The file, if any, stays until the new one replaces it (run): readers
    # keep downloading the previous good one meanwhile.
    reset = Export.objects.filter(Q(pk=export.pk) & retry).update(
        status=ExportStatus.PENDING, error="", requested_by=by, task_id="", attempts=0
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


def _write_error(error: OSError) -> str:
    """Why a file could not be written, in French for the coordination; the
    system's own (English) words stay in the log."""
    if error.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        reason = _("l'espace disque est épuisé")
    elif error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        reason = _("le dossier des fichiers n'accepte pas l'écriture")
    else:
        reason = _("le système de fichiers a refusé l'écriture")
    return _(
        "Le fichier n'a pas pu être enregistré : %(reason)s. Le fichier précédent, s'il "
        "existe, reste téléchargeable ; prévenez l'équipe technique."
    ) % {"reason": reason}


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
    worker itself never goes down for a bad export, and a failure never
    touches the file a previous run made."""
    from . import exports

    if not claim(export_id, task_id):
        return
    export = Export.objects.select_related("synthesis__workshop").get(pk=export_id)
    if export.attempts > MAX_ATTEMPTS:  # redelivered again and again after its worker died
        _fail(export, _gave_up_message())
        return
    try:
        content = exports.render(export.synthesis, export.format)
        saved = _store(storage_key(export), content)
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
    except storage.unavailable_errors():
        log.warning("Export %s: the object store did not answer", export_id, exc_info=True)
        # Attempts count workers killed by the job itself; an outage is not one.
        Export.objects.filter(pk=export_id).update(
            status=ExportStatus.FAILED,
            error=_(
                "Le stockage des fichiers ne répond pas : le fichier sera refait "
                "automatiquement dès qu'il répondra. Le fichier précédent, s'il "
                "existe, reste téléchargeable."
            ),
            task_id=RETRY_WHEN_STORAGE_ANSWERS,
            attempts=0,
            finished_at=timezone.now(),
        )
    except OSError as error:
        log.exception("Export %s could not be written", export_id)
        _fail(export, _write_error(error))
    except Exception:
        log.exception("Export %s failed", export_id)
        _fail(export, _("La fabrication du fichier a échoué. L'équipe technique est prévenue."))
    else:
        Export.objects.filter(pk=export_id).update(
            status=ExportStatus.DONE, file=saved, error="", finished_at=timezone.now()
        )


def _store(key: str, content: bytes) -> str:
    """Write `content` at `key` so that readers see the previous file or the
    new one whole, never a truncated one, and a write that fails (full disk,
    store down) leaves the previous file in place.

    In a bucket, one PUT at the final key does it (atelier/lib/s3.py: put);
    nothing is deleted first. On disk, a temporary file beside `key` is
    renamed over it: a rename within a directory is atomic."""
    if not storage.is_local(default_storage):
        return default_storage.put(key, content)
    target = Path(default_storage.path(key))
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, part = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())  # a full disk may only say so here
        os.chmod(part, settings.FILE_UPLOAD_PERMISSIONS or 0o644)
        os.replace(part, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(part)
        raise
    return key


def _fail(export, message):
    """Failed, with the reason; the file field is left alone, so the previous
    good file (if any) stays downloadable."""
    Export.objects.filter(pk=export.pk).update(
        status=ExportStatus.FAILED, error=message, finished_at=timezone.now()
    )


def _gave_up_message() -> str:
    return _(
        "Le fichier n'a pas pu être fabriqué après %(n)s tentatives : le travail "
        "dépassait le temps autorisé. Simplifiez le document ou contactez l'équipe technique."
    ) % {"n": MAX_ATTEMPTS}


def sweep() -> int:
    """Enqueue what is pending (the broker was down) and what a dead worker
    left running past its time limit; give up on a job that killed its worker
    MAX_ATTEMPTS times. Run every minute by Celery beat, or cron."""
    stale = Export.objects.filter(status=ExportStatus.RUNNING, started_at__lt=_stale_before())
    stale.filter(attempts__gte=MAX_ATTEMPTS).update(
        status=ExportStatus.FAILED, error=_gave_up_message(), finished_at=timezone.now()
    )
    stale.update(status=ExportStatus.PENDING, task_id="")
    Export.objects.filter(status=ExportStatus.FAILED, task_id=RETRY_WHEN_STORAGE_ANSWERS).update(
        status=ExportStatus.PENDING, task_id=""
    )
    pending = list(Export.objects.filter(status=ExportStatus.PENDING).values_list("pk", flat=True))
    return sum(enqueue(pk) for pk in pending)

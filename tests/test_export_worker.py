"""Exports through a real Celery worker process and a real Redis."""

import time

import pytest
from django.core.files.storage import default_storage

from synthesis.models import Export, ExportStatus

from .celery_worker import celery_worker, wait_until

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def worker(transactional_db, settings):
    with celery_worker(settings, MEDIA_ROOT=str(settings.MEDIA_ROOT)) as producer:
        yield producer


def status_of(export):
    return Export.objects.get(pk=export.pk).status


def test_a_worker_makes_a_valid_pdf_once_even_with_a_duplicate_message(worker, world):
    export = Export.objects.create(synthesis=world.a.synthesis, format="pdf")
    worker.send_task("synthesis.run_export", args=[export.pk])
    worker.send_task("synthesis.run_export", args=[export.pk])  # a duplicate message
    assert wait_until(lambda: status_of(export) in (ExportStatus.DONE, ExportStatus.FAILED))
    export.refresh_from_db()
    assert export.status == ExportStatus.DONE, export.error
    assert export.file.read()[:5] == b"%PDF-"
    time.sleep(1.5)  # let the duplicate reach the worker
    export.refresh_from_db()
    assert export.attempts == 1
    assert default_storage.listdir("exports/atelier-a/r1")[1] == ["synthese-atelier-a-r1.pdf"]


def test_a_failing_export_is_marked_failed_and_the_worker_goes_on(worker, world, settings):
    logo_dir = settings.MEDIA_ROOT / "logos"
    logo_dir.mkdir(parents=True, exist_ok=True)
    (logo_dir / "casse.png").write_bytes(b"ceci n'est pas une image")
    org = world.a.workshop.carriers.create(name="Réseau au logo cassé", logo="logos/casse.png")
    assert org.pk
    broken = Export.objects.create(synthesis=world.a.synthesis, format="pdf")
    fine = Export.objects.create(synthesis=world.a.synthesis, format="md")
    worker.send_task("synthesis.run_export", args=[broken.pk])
    worker.send_task("synthesis.run_export", args=[fine.pk])
    assert wait_until(lambda: status_of(fine) == ExportStatus.DONE)
    broken.refresh_from_db()
    assert broken.status == ExportStatus.FAILED
    assert "logo" in broken.error and "illisible" in broken.error


def test_a_failed_regeneration_leaves_the_previous_pdf_downloadable(
    worker, world, settings, client
):
    """F12: an unreadable logo while a PDF is made again: the export says why
    in French, the worker goes on, and the previous good PDF is still served."""
    export = Export.objects.create(synthesis=world.a.synthesis, format="pdf")
    worker.send_task("synthesis.run_export", args=[export.pk])
    assert wait_until(lambda: status_of(export) == ExportStatus.DONE)
    export.refresh_from_db()
    good = export.file.read()
    logo_dir = settings.MEDIA_ROOT / "logos"
    logo_dir.mkdir(parents=True, exist_ok=True)
    (logo_dir / "casse.png").write_bytes(b"ceci n'est pas une image")
    world.a.workshop.carriers.create(name="Réseau au logo cassé", logo="logos/casse.png")
    Export.objects.filter(pk=export.pk).update(status=ExportStatus.PENDING, attempts=0)
    worker.send_task("synthesis.run_export", args=[export.pk])
    fine = Export.objects.create(synthesis=world.a.synthesis, format="md")
    worker.send_task("synthesis.run_export", args=[fine.pk])
    assert wait_until(lambda: status_of(fine) == ExportStatus.DONE)  # the worker goes on
    export.refresh_from_db()
    assert export.status == ExportStatus.FAILED and "logo" in export.error
    client.force_login(world.users.delegate_a)
    response = client.get(f"/exports/{export.pk}/")
    assert response.status_code == 200 and b"".join(response) == good

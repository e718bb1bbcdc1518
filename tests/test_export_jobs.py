"""Export jobs: one row per revision and format, claimed once, failing in French."""

import pytest
from django.core.files.storage import default_storage
from kombu.exceptions import OperationalError

from synthesis import exports, jobs, tasks
from synthesis.models import Export, ExportStatus

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def published(world):
    return world.a.synthesis


def test_a_request_makes_the_file_at_a_key_named_after_the_revision(published, world):
    export = jobs.request(published, "md", by=world.users.coordinator)
    export.refresh_from_db()
    assert export.status == ExportStatus.DONE and export.attempts == 1
    assert export.file.name == "exports/atelier-a/r1/synthese-atelier-a-r1.md"
    assert "Énoncé secret A" in export.file.read().decode()


def test_requesting_twice_reuses_the_row(published):
    first = jobs.request(published, "csv")
    second = jobs.request(published, "csv")
    assert first.pk == second.pk
    assert Export.objects.filter(synthesis=published, format="csv").count() == 1
    assert Export.objects.get(pk=first.pk).attempts == 1  # the second did not redo it


def test_regenerating_overwrites_the_same_file(published):
    export = jobs.request(published, "md")
    jobs.request(published, "md", again=True)
    export.refresh_from_db()
    assert export.attempts == 2
    assert default_storage.listdir("exports/atelier-a/r1")[1] == ["synthese-atelier-a-r1.md"]


def test_a_duplicate_task_message_does_nothing(published):
    export = jobs.request(published, "md")
    tasks.run_export.apply(args=[export.pk], task_id="another-message")
    export.refresh_from_db()
    assert export.attempts == 1 and export.status == ExportStatus.DONE


def test_a_message_redelivered_after_a_crash_may_finish_the_job(published):
    export = Export.objects.create(
        synthesis=published, format="md", status=ExportStatus.RUNNING, task_id="t-1"
    )
    Export.objects.filter(pk=export.pk).update(started_at=export.requested_at)
    assert not jobs.claim(export.pk, "t-2")  # someone else's message: no
    assert jobs.claim(export.pk, "t-1")  # the same message, redelivered: yes


def test_a_task_that_raises_marks_the_row_failed_in_french(published, monkeypatch):
    def broken(synthesis, fmt):
        raise RuntimeError("boom")

    monkeypatch.setattr(exports, "render", broken)
    export = jobs.request(published, "pdf")
    export.refresh_from_db()
    assert export.status == ExportStatus.FAILED
    assert export.error == "La fabrication du fichier a échoué. L'équipe technique est prévenue."


def test_an_explained_failure_keeps_its_message(published, monkeypatch):
    def unreadable(synthesis, fmt):
        raise exports.ExportError("Le logo de « FCSF » est illisible.")

    monkeypatch.setattr(exports, "render", unreadable)
    export = jobs.request(published, "pdf")
    export.refresh_from_db()
    assert export.error == "Le logo de « FCSF » est illisible."


def test_a_full_disk_fails_the_export_not_the_worker(published, monkeypatch):
    def full(self, name, content, max_length=None):
        raise OSError(28, "No space left on device")

    from django.core.files.storage import FileSystemStorage

    monkeypatch.setattr(FileSystemStorage, "save", full)
    export = jobs.request(published, "md")
    export.refresh_from_db()
    assert export.status == ExportStatus.FAILED and "espace disque" in export.error


def test_redis_down_the_page_answers_and_the_sweep_completes_later(
    published, world, as_user, monkeypatch
):
    def down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.run_export, "delay", down)
    client = as_user(world.users.coordinator)
    response = client.post(
        f"/syntheses/{published.pk}/exports/demander/",
        {"format": "md"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "En file d&#x27;attente" in response.content.decode()
    export = Export.objects.get(synthesis=published, format="md")
    assert export.status == ExportStatus.PENDING
    monkeypatch.undo()
    assert jobs.sweep() == 1
    export.refresh_from_db()
    assert export.status == ExportStatus.DONE


def test_the_sweep_requeues_rows_stuck_running_past_the_time_limit(published):
    from datetime import timedelta

    from django.utils import timezone

    export = Export.objects.create(
        synthesis=published, format="md", status=ExportStatus.RUNNING, task_id="dead-worker"
    )
    Export.objects.filter(pk=export.pk).update(started_at=timezone.now() - timedelta(hours=1))
    jobs.sweep()
    export.refresh_from_db()
    assert export.status == ExportStatus.DONE


def test_downloads_are_checked_at_download_time(published, world, as_user):
    export = jobs.request(published, "md")
    url = f"/exports/{export.pk}/"
    response = as_user(world.users.delegate_a).get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="synthese-atelier-a-r1.md"'
    assert as_user(world.users.delegate_b).get(url).status_code == 404
    assert as_user(None).get(url).status_code == 404


def test_the_panel_polls_until_done(published, world, as_user, monkeypatch):
    monkeypatch.setattr(tasks.run_export, "delay", lambda pk: None)  # nobody works
    client = as_user(world.users.coordinator)
    jobs.request(published, "docx")
    body = client.get(f"/syntheses/{published.pk}/exports/").content.decode()
    assert 'hx-trigger="every 2s"' in body
    Export.objects.filter(synthesis=published).update(
        status=ExportStatus.DONE, file="exports/x.docx"
    )
    body = client.get(f"/syntheses/{published.pk}/exports/").content.decode()
    assert "hx-trigger" not in body and "Télécharger le Word (DOCX)" in body


def test_export_command_writes_the_file(published, tmp_path, capsys):
    from django.core.management import call_command

    out = tmp_path / "s.md"
    call_command("export_synthesis", "atelier-a", "--format", "md", "--out", str(out))
    assert "Énoncé secret A" in out.read_text()


def test_the_return_address_after_a_request_stays_on_the_site(published, world, as_user):
    client = as_user(world.users.coordinator)
    response = client.post(
        f"/syntheses/{published.pk}/exports/demander/",
        {"format": "md", "next": "https://malveillant.example/"},
    )
    assert response.url == "/ateliers/atelier-a/synthese/"

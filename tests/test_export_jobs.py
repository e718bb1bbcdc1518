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
    first_finished = Export.objects.get(pk=export.pk).finished_at
    jobs.request(published, "md", again=True)
    export.refresh_from_db()
    assert export.attempts == 1 and export.finished_at > first_finished  # made anew
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
    _disk_full(monkeypatch)
    export = jobs.request(published, "md")
    export.refresh_from_db()
    assert export.status == ExportStatus.FAILED
    assert export.error.startswith("Le fichier n'a pas pu être enregistré : l'espace disque")
    assert "No space" not in export.error  # the system's English words stay in the log


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


# --- Issue 16: a failed "Régénérer" keeps the good file; regenerating is the coordination's;
# --- attempts are capped; the open data carries no note text.


def _disk_full(monkeypatch):
    """The disk fills up while the new file is written (ENOSPC shows at fsync)."""
    import os

    def full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)


def test_a_failed_regeneration_keeps_the_previous_file_downloadable(
    published, world, as_user, monkeypatch
):
    export = jobs.request(published, "md")
    good = default_storage.open("exports/atelier-a/r1/synthese-atelier-a-r1.md").read()
    _disk_full(monkeypatch)
    jobs.request(published, "md", by=world.users.coordinator, again=True)
    export.refresh_from_db()
    assert export.status == ExportStatus.FAILED and "espace disque" in export.error
    response = as_user(world.users.delegate_a).get(f"/exports/{export.pk}/")
    assert response.status_code == 200
    assert b"".join(response) == good and "Énoncé secret A" in good.decode()
    # Nothing half-written is left beside it.
    assert default_storage.listdir("exports/atelier-a/r1")[1] == ["synthese-atelier-a-r1.md"]
    body = as_user(world.users.coordinator).get(f"/syntheses/{published.pk}/exports/")
    assert "Télécharger le Markdown" in body.content.decode()


def test_the_previous_file_stays_downloadable_while_a_new_one_is_made(
    published, world, as_user, monkeypatch
):
    export = jobs.request(published, "md")
    monkeypatch.setattr(tasks.run_export, "delay", lambda pk: None)  # the worker is busy
    client = as_user(world.users.coordinator)
    client.post(f"/syntheses/{published.pk}/exports/demander/", {"format": "md", "again": "1"})
    export.refresh_from_db()
    assert export.status == ExportStatus.PENDING
    body = client.get(f"/syntheses/{published.pk}/exports/").content.decode()
    assert "Télécharger le Markdown" in body and "En file d&#x27;attente" in body
    response = client.get(f"/exports/{export.pk}/")
    assert response.status_code == 200 and "Énoncé secret A" in b"".join(response).decode()


def test_a_delegate_may_ask_for_a_missing_file_but_never_regenerate(published, world, as_user):
    client = as_user(world.users.delegate_a)
    url = f"/syntheses/{published.pk}/exports/demander/"
    assert client.post(url, {"format": "md"}).status_code == 302
    export = Export.objects.get(synthesis=published, format="md")
    assert export.status == ExportStatus.DONE and export.attempts == 1
    assert client.post(url, {"format": "md", "again": "1"}).status_code == 403
    assert client.post(url, {"format": "md"}).status_code == 302  # asking again: nothing redone
    assert Export.objects.get(pk=export.pk).attempts == 1
    body = client.get(f"/syntheses/{published.pk}/exports/").content.decode()
    assert "Télécharger le Markdown" in body and "Régénérer" not in body
    body = as_user(world.users.coordinator).get(f"/syntheses/{published.pk}/exports/")
    assert "Régénérer" in body.content.decode()


def test_a_delegate_may_not_retry_a_failed_regeneration_over_a_good_file(
    published, world, as_user, monkeypatch
):
    export = jobs.request(published, "md")
    _disk_full(monkeypatch)
    jobs.request(published, "md", again=True)
    monkeypatch.undo()
    client = as_user(world.users.delegate_a)
    body = client.get(f"/syntheses/{published.pk}/exports/").content.decode()
    assert "Télécharger le Markdown" in body and "Réessayer" not in body
    client.post(f"/syntheses/{published.pk}/exports/demander/", {"format": "md"})
    assert Export.objects.get(pk=export.pk).status == ExportStatus.FAILED  # untouched


def test_an_export_that_always_kills_its_worker_is_given_up_after_three_attempts(
    published, world, monkeypatch
):
    from datetime import timedelta

    from django.utils import timezone

    def killed_at_the_hard_limit(pk):
        assert jobs.claim(pk, f"doomed-{pk}")
        Export.objects.filter(pk=pk).update(started_at=timezone.now() - timedelta(hours=1))

    monkeypatch.setattr(tasks.run_export, "delay", killed_at_the_hard_limit)
    export = jobs.request(published, "pdf")
    for _sweep in range(6):
        jobs.sweep()
    export.refresh_from_db()
    assert (export.status, export.attempts) == (ExportStatus.FAILED, jobs.MAX_ATTEMPTS)
    assert "après 3 tentatives" in export.error
    assert jobs.sweep() == 0  # never re-queued again
    monkeypatch.undo()
    jobs.request(published, "pdf", by=world.users.coordinator, again=True)  # a new request
    export.refresh_from_db()
    assert (export.status, export.attempts) == (ExportStatus.DONE, 1)


def test_a_message_redelivered_past_the_attempt_cap_fails_the_export(published):
    export = Export.objects.create(
        synthesis=published,
        format="md",
        status=ExportStatus.RUNNING,
        task_id="t-1",
        attempts=jobs.MAX_ATTEMPTS,
    )
    jobs.run(export.pk, "t-1")  # the broker hands the same message over once more
    export.refresh_from_db()
    assert export.status == ExportStatus.FAILED and "tentatives" in export.error
    assert not export.file


def test_the_open_data_of_the_demo_carries_no_note_text():
    """Group notes are working material: the CSV and JSON readers download carry
    statements, support, actor types and themes; only the analysis CSV has the notes."""
    import csv
    import io
    import json

    from atelier import markup
    from atelier.models import Contribution
    from synthesis.models import Statement
    from web import demo

    synthesis = demo.load().workshop.syntheses.get(revision=1)
    statements = list(Statement.objects.filter(section__synthesis=synthesis))
    published = " ".join(f"{s.text} {markup.plain(s.text)}" for s in statements)
    # Notes whose text is not also in a statement (the demo rebuilt some notes from them).
    notes = {
        n.text
        for n in Contribution.objects.filter(statements__in=statements).distinct()
        if len(n.text) > 20 and n.text not in published
    }
    assert notes
    public_csv = exports.render(synthesis, "csv").decode("utf-8-sig")
    public_json = exports.render(synthesis, "json").decode()
    assert not [t for t in notes if t in public_csv or json.dumps(t)[1:-1] in public_json]
    rows = list(csv.DictReader(io.StringIO(public_csv), delimiter=";"))
    assert "source_texts" not in rows[0] and rows[0]["groups_count"] and "themes" in rows[0]
    assert all("sources" not in s for s in json.loads(public_json)["statements"])
    analysis = exports.render(synthesis, "analyse-csv").decode("utf-8-sig")
    assert sum(1 for t in notes if " ".join(t.split()) in analysis) > len(notes) / 2
    assert exports.filename(synthesis, "analyse-csv").endswith("-r1-analyse.csv")


def test_open_data_files_made_before_the_notes_were_left_out_are_dropped(published):
    """Files made by the old CSV/JSON export carry note texts: the upgrade
    deletes them, so that nobody downloads one again (a request makes it anew)."""
    import importlib

    from django.apps import apps
    from django.core.files.base import ContentFile

    old = Export.objects.create(synthesis=published, format="csv", status=ExportStatus.DONE)
    old.file.save("ancien.csv", ContentFile(b"source_texts\nUne note brute\n"))
    pdf = jobs.request(published, "pdf")
    migration = importlib.import_module("synthesis.migrations.0009_drop_open_data_with_notes")
    migration.drop_old_open_data(apps, None)
    assert not Export.objects.filter(pk=old.pk).exists()
    assert not default_storage.exists(old.file.name)
    assert Export.objects.filter(pk=pdf.pk).exists()  # other formats stay

"""Exports and logos in an S3 bucket, against a real S3 server (SeaweedFS,
tests/seaweed.py), not a mock: written by the worker, downloaded through the
web process after the rights check, pre-signed links that expire, the store
going down in the middle."""

import io
import time
import urllib.error
import urllib.request
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError
from PIL import Image

from atelier.logos import logo_file
from atelier.settings import _bucket_options
from synthesis import jobs
from synthesis.models import Export, ExportStatus

from .seaweed import SeaweedFS, require_weed

BUCKET = "atelier"


@pytest.fixture(scope="session")
def seaweed(tmp_path_factory):
    server = SeaweedFS(require_weed(), tmp_path_factory.mktemp("seaweedfs"))
    server.start()
    server.create_bucket(BUCKET)
    yield server
    server.stop()


def use_bucket(settings, server, prefix):
    """Point default_storage at `prefix` of the bucket, as STORAGE_URL would."""
    url = server.storage_url(BUCKET, prefix)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "atelier.lib.s3.BucketStorage",
            "OPTIONS": {
                **_bucket_options(url),
                "default_acl": None,
                "file_overwrite": False,
                "querystring_expire": 60,
            },
        },
    }
    return url


@pytest.fixture
def bucket(seaweed, settings):
    """A prefix of its own in the bucket for each test."""
    prefix = f"t-{uuid.uuid4().hex[:12]}"
    url = use_bucket(settings, seaweed, prefix)
    return seaweed, prefix, url


def fetch(url):
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (loopback)
        return response.status, response.headers, response.read()


def made_export(world, fmt="md"):
    export = Export.objects.create(synthesis=world.a.synthesis, format=fmt)
    jobs.run(export.pk)
    export.refresh_from_db()
    assert export.status == ExportStatus.DONE, export.error
    return export


def test_storage_url_names_the_bucket_its_endpoint_and_keys():
    options = _bucket_options(
        "s3://KEY:se%2Fcret@store.internal:9000/atelier/prod?region=fr-par&secure=0"
    )
    assert options["bucket_name"] == "atelier" and options["location"] == "prod"
    assert options["access_key"] == "KEY" and options["secret_key"] == "se/cret"
    assert options["endpoint_url"] == "http://store.internal:9000"
    assert options["region_name"] == "fr-par" and options["addressing_style"] == "path"
    aws = _bucket_options("s3://KEY:SECRET@/atelier?region=eu-west-3")
    assert "endpoint_url" not in aws and aws["region_name"] == "eu-west-3"


@pytest.mark.django_db
def test_an_export_lands_in_the_bucket_at_its_key_and_pages_never_link_there(bucket, world):
    server, prefix, _url = bucket
    export = made_export(world)
    key = f"{prefix}/exports/atelier-a/r1/{export.file.name.rsplit('/', 1)[1]}"
    body = server.client().get_object(Bucket=BUCKET, Key=key)["Body"].read()
    assert body.startswith(b"Atelier A\n") and "Énoncé secret A".encode() in body
    assert export.file.name == jobs.storage_key(export)
    # The storage's url() is the site's own address, not the bucket's.
    assert export.file.url == f"/media/{export.file.name}"
    assert server.endpoint not in export.file.url


@pytest.mark.django_db
def test_a_reader_downloads_the_export_streamed_through_the_web_process(
    bucket, world, client, django_assert_max_num_queries
):
    export = made_export(world)
    expected = default_storage.open(export.file.name).read()
    client.force_login(world.users.delegate_a)
    with django_assert_max_num_queries(8):
        response = client.get(f"/exports/{export.pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == expected
    assert "attachment" in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_rights_are_refused_before_any_redirect_to_the_bucket(bucket, world, client, settings):
    server = bucket[0]
    settings.STORAGE_DOWNLOADS = "redirect"
    export = made_export(world)
    for outsider in (world.users.delegate_b, world.users.animator_elsewhere):
        client.force_login(outsider)
        response = client.get(f"/exports/{export.pk}/")
        assert response.status_code == 404
        assert server.endpoint not in response.get("Location", "")
        assert server.endpoint.encode() not in response.content
    client.logout()
    response = client.get(f"/exports/{export.pk}/")
    assert server.endpoint not in response.get("Location", "")
    # The reader gets a link to the bucket that works, and is told not to cache it.
    client.force_login(world.users.delegate_a)
    response = client.get(f"/exports/{export.pk}/")
    assert response.status_code == 302 and response["Location"].startswith(server.endpoint)
    assert response["Cache-Control"] == "no-store"
    status, headers, body = fetch(response["Location"])
    assert status == 200 and body == default_storage.open(export.file.name).read()
    assert "attachment" in headers["Content-Disposition"]


@pytest.mark.django_db
def test_a_presigned_link_lasts_a_minute_at_most_and_the_store_refuses_it_after(
    bucket, world, client, settings
):
    settings.STORAGE_DOWNLOADS = "redirect"
    settings.STORAGE_URL_EXPIRY = 3600  # asked for more: still a minute
    export = made_export(world)
    client.force_login(world.users.delegate_a)
    link = client.get(f"/exports/{export.pk}/")["Location"]
    assert int(parse_qs(urlsplit(link).query)["X-Amz-Expires"][0]) == 60
    settings.STORAGE_URL_EXPIRY = 1
    link = client.get(f"/exports/{export.pk}/")["Location"]
    assert fetch(link)[0] == 200
    time.sleep(2.5)
    with pytest.raises(urllib.error.HTTPError) as refused:
        fetch(link)
    assert refused.value.code == 403
    # Without a signature the bucket gives nothing at all.
    unsigned = link.split("?", 1)[0]
    with pytest.raises(urllib.error.HTTPError) as anonymous:
        fetch(unsigned)
    assert anonymous.value.code == 403


def png_bytes():
    out = io.BytesIO()
    Image.new("RGB", (40, 20), (10, 90, 160)).save(out, format="PNG")
    return out.getvalue()


@pytest.mark.django_db
def test_a_logo_is_stored_reencoded_in_the_bucket_and_served_by_the_site(
    bucket, world, client, django_assert_max_num_queries
):
    jpeg = io.BytesIO()
    Image.new("RGB", (40, 20), (10, 90, 160)).save(jpeg, format="JPEG")
    org = world.a.workshop.carriers.create(name="Réseau des centres sociaux")
    upload = logo_file(jpeg.getvalue(), org.name)  # what the upload forms store
    org.logo.save(upload.name, upload)
    assert org.logo.url.startswith("/media/logos/reseau-des-centres-sociaux")
    with django_assert_max_num_queries(0):
        response = client.get(org.logo.url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    served = Image.open(io.BytesIO(b"".join(response.streaming_content)))
    assert served.format == "PNG" and served.size == (40, 20)


@pytest.mark.django_db
def test_the_logo_address_never_reaches_an_export(bucket, world, client):
    export = made_export(world)
    assert client.get(f"/media/logos/../{export.file.name}").status_code == 404
    assert client.get("/media/logos/absent.png").status_code == 404


@pytest.mark.django_db
def test_files_on_disk_are_copied_to_the_bucket_once(bucket, world, settings):
    """copy_files_to_bucket: every file the database names, from MEDIA_ROOT;
    a second run copies nothing, a run after a partial copy finishes it."""
    server, prefix, _url = bucket
    disk_export = settings.MEDIA_ROOT / "exports/atelier-a/r1/synthese.md"
    disk_export.parent.mkdir(parents=True)
    disk_export.write_bytes(b"# La synthese\n")
    (settings.MEDIA_ROOT / "logos").mkdir()
    (settings.MEDIA_ROOT / "logos/reseau.png").write_bytes(png_bytes())
    Export.objects.create(
        synthesis=world.a.synthesis,
        format="md",
        status="done",
        file="exports/atelier-a/r1/synthese.md",
    )
    world.a.workshop.carriers.create(name="Réseau", logo="logos/reseau.png")
    world.a.workshop.carriers.create(name="Perdu", logo="logos/perdu.png")  # not on disk

    out = io.StringIO()
    call_command("copy_files_to_bucket", stdout=out, stderr=io.StringIO())
    assert "2 fichier(s) copié(s), 0 déjà dans le stockage, 1 absent(s)" in out.getvalue()
    s3 = server.client()
    assert s3.get_object(Bucket=BUCKET, Key=f"{prefix}/logos/reseau.png")["Body"].read() == (
        png_bytes()
    )
    out = io.StringIO()
    call_command("copy_files_to_bucket", stdout=out, stderr=io.StringIO())
    assert "0 fichier(s) copié(s), 2 déjà dans le stockage" in out.getvalue()
    # Interrupted halfway: one object missing, one left different.
    s3.delete_object(Bucket=BUCKET, Key=f"{prefix}/logos/reseau.png")
    s3.put_object(Bucket=BUCKET, Key=f"{prefix}/exports/atelier-a/r1/synthese.md", Body=b"# La")
    out = io.StringIO()
    call_command("copy_files_to_bucket", stdout=out, stderr=io.StringIO())
    assert "2 fichier(s) copié(s)" in out.getvalue()
    key = f"{prefix}/exports/atelier-a/r1/synthese.md"
    assert s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() == b"# La synthese\n"


@pytest.mark.django_db
def test_copying_refuses_when_no_bucket_is_configured():
    with pytest.raises(CommandError, match="STORAGE_URL"):
        call_command("copy_files_to_bucket")


@pytest.fixture
def own_seaweed(tmp_path, settings):
    """A store of its own, to be stopped and started by the test."""
    server = SeaweedFS(require_weed(), tmp_path / "seaweedfs")
    server.start()
    server.create_bucket(BUCKET)
    use_bucket(settings, server, "down")
    yield server
    server.stop()


@pytest.mark.django_db
def test_the_store_down_during_an_export_fails_it_in_french_and_the_sweep_makes_it_again(
    own_seaweed, world, client, monkeypatch
):
    export = made_export(world, "pdf")
    first = default_storage.open(export.file.name).read()
    assert first.startswith(b"%PDF-")

    own_seaweed.stop()
    Export.objects.filter(pk=export.pk).update(status=ExportStatus.PENDING, attempts=0)
    jobs.run(export.pk)  # what the worker does with the message
    export.refresh_from_db()
    assert export.status == ExportStatus.FAILED
    assert "Le stockage des fichiers ne répond pas" in export.error
    assert export.file.name == jobs.storage_key(export)  # the previous file is kept
    # Meanwhile a reader gets a French answer, not a part of a file nor a 500.
    client.force_login(world.users.delegate_a)
    response = client.get(f"/exports/{export.pk}/")
    assert response.status_code == 503
    assert "Le stockage des fichiers ne répond pas" in response.content.decode()

    queued = []
    monkeypatch.setattr(jobs, "enqueue", lambda pk: queued.append(pk) or True)
    own_seaweed.start()
    assert jobs.sweep() == 1 and queued == [export.pk]
    jobs.run(export.pk)  # the worker takes the sweep's message
    export.refresh_from_db()
    assert export.status == ExportStatus.DONE and export.error == ""
    response = client.get(f"/exports/{export.pk}/")
    body = b"".join(response.streaming_content)
    assert body.startswith(b"%PDF-") and body.rstrip().endswith(b"%%EOF")


@pytest.mark.django_db
def test_a_failed_rerun_leaves_the_previous_object_whole(bucket, world, settings):
    """An export that fails (an unreadable logo) never touches what readers get."""
    export = made_export(world, "pdf")
    before = default_storage.open(export.file.name).read()
    default_storage.put("logos/casse.png", b"ceci n'est pas une image")
    world.a.workshop.carriers.create(name="Réseau au logo cassé", logo="logos/casse.png")
    Export.objects.filter(pk=export.pk).update(status=ExportStatus.PENDING, attempts=0)
    jobs.run(export.pk)
    export.refresh_from_db()
    assert export.status == ExportStatus.FAILED and "logo" in export.error
    assert default_storage.open(export.file.name).read() == before


# The worker: a real Celery process on the exports queue, the bucket its only
# shared file system with the web process (no MEDIA_ROOT in common).


@pytest.fixture
def export_worker(bucket, transactional_db, settings, tmp_path):
    from .celery_worker import celery_worker

    unused = str(tmp_path / "worker-disk-unused")
    with celery_worker(
        settings, queues="exports", STORAGE_URL=bucket[2], MEDIA_ROOT=unused
    ) as producer:
        yield producer


@pytest.mark.django_db(transaction=True)
def test_the_worker_writes_the_export_to_the_bucket_and_the_web_process_serves_it(
    export_worker, world, client, settings
):
    from .celery_worker import wait_until

    export = Export.objects.create(synthesis=world.a.synthesis, format="pdf")
    export_worker.send_task("synthesis.run_export", args=[export.pk], queue="exports")
    assert wait_until(
        lambda: Export.objects.get(pk=export.pk).status in (ExportStatus.DONE, "failed")
    )
    export.refresh_from_db()
    assert export.status == ExportStatus.DONE, export.error
    assert not (settings.MEDIA_ROOT / export.file.name).exists()  # not on this disk
    client.force_login(world.users.delegate_a)
    response = client.get(f"/exports/{export.pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF-")

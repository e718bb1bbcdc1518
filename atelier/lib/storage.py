"""Where uploaded and generated files live, asked in one place.

The embedded default is the local disk under MEDIA_ROOT (Django's
FileSystemStorage). A deployment with more than one host names an
S3-compatible bucket instead (STORAGE_URL, settings.py), served by
`atelier.lib.s3.BucketStorage`, which is imported only then: boto3 costs the
web process time and memory that a disk deployment need not pay.

Nothing here decides who may read a file: the views ask their permission
module first, then call `download_url` or open the file.
"""

from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage, default_storage
from django.http import HttpResponse
from django.utils.translation import gettext as _

# A pre-signed link is a bearer token: whoever holds it downloads. A minute is
# enough for the browser to follow the redirect, and short enough that a link
# copied from a history or a proxy log is dead by the time anyone tries it.
PRESIGNED_MAX_SECONDS = 60


def is_local(storage: Storage = default_storage) -> bool:
    """True for the local disk, where a file is written beside its name and
    renamed over it; a bucket replaces an object in one PUT instead."""
    return isinstance(storage, FileSystemStorage)  # default_storage passes isinstance through


def unavailable_errors(storage: Storage = default_storage) -> tuple[type[BaseException], ...]:
    """The exceptions that mean "the object store did not answer or refused",
    to be told apart from a bug. Empty for the disk, whose errors are OSError."""
    if is_local(storage):
        return ()
    from botocore.exceptions import BotoCoreError, ClientError

    return (BotoCoreError, ClientError)


def download_url(name: str, *, filename: str, content_type: str) -> str | None:
    """A pre-signed URL of `name`, valid STORAGE_URL_EXPIRY seconds (never more
    than a minute), when downloads are redirected to the bucket; None when the
    web process streams the file itself. Call it only after the rights check:
    the URL carries the right to read."""
    if settings.STORAGE_DOWNLOADS != "redirect" or is_local():
        return None
    seconds = min(settings.STORAGE_URL_EXPIRY, PRESIGNED_MAX_SECONDS)
    return default_storage.presigned_url(
        name, seconds=seconds, filename=filename, content_type=content_type
    )


def unavailable_response() -> HttpResponse:
    """What a download answers while the object store does not: a French 503
    the browser may retry, never a 500 nor a half-sent file."""
    return HttpResponse(
        _("Le stockage des fichiers ne répond pas. Réessayez dans quelques minutes."),
        status=503,
        content_type="text/plain; charset=utf-8",
        headers={"Retry-After": "60"},
    )

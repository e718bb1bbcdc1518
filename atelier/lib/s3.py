"""Files in an S3-compatible bucket (AWS, Scaleway, OVH, MinIO, SeaweedFS…),
through django-storages. Chosen by STORAGE_URL or AWS_STORAGE_BUCKET_NAME
(settings.py); atelier/lib/storage.py is what the rest of the code calls.

Nothing in the bucket is public:
- objects are written without an ACL, so the bucket's own policy (private)
  applies;
- `url()` answers the site's own /media/ address, like the disk storage, so no
  page ever carries a link into the bucket: logos go through the site's logo
  view, exports through the download view that checks rights first;
- the only bucket links are `presigned_url()`'s, valid a minute at most and
  issued by the download view after its rights check.
"""

import hashlib
from urllib.parse import urljoin

from botocore.config import Config
from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.encoding import filepath_to_uri
from django.utils.http import content_disposition_header
from storages.backends.s3 import S3Storage

from .storage import PRESIGNED_MAX_SECONDS


class BucketStorage(S3Storage):
    def __init__(self, **options):
        style = options.pop("addressing_style", None) or "auto"
        # botocore waits 60 s for a connection and retries with long backoffs
        # by default: a store that is down must fail an export within seconds
        # (the sweep tries again), and a download within one request.
        options.setdefault(
            "client_config",
            Config(
                s3={"addressing_style": style},
                signature_version="s3v4",
                connect_timeout=3,
                read_timeout=30,
                retries={"max_attempts": 2, "mode": "standard"},
            ),
        )
        super().__init__(**options)

    def url(self, name, parameters=None, expire=None, http_method=None):
        """The site's own address of the file, never the bucket's."""
        return urljoin(settings.MEDIA_URL, filepath_to_uri(name))

    def presigned_url(self, name: str, *, seconds: int, filename: str, content_type: str) -> str:
        """A GET link for `name` that the store refuses after `seconds` (at
        most a minute), answering as an attachment named `filename`."""
        params = {
            "ResponseContentDisposition": content_disposition_header(True, filename),
            "ResponseContentType": content_type,
        }
        seconds = max(1, min(seconds, PRESIGNED_MAX_SECONDS))
        return super().url(name, parameters=params, expire=seconds)

    def put(self, name: str, content: bytes) -> str:
        """Write `content` at exactly `name` (no suffix for a taken name),
        replacing the object in one request: the store shows the previous
        object until the new one is complete, never a part of it, and a PUT
        that fails leaves the previous one as it was. Multipart uploads (over
        8 MB) are the same: the object appears only when the last part is in."""
        return self._save(name, ContentFile(content))

    def same_content(self, name: str, content: bytes) -> bool:
        """True if the object `name` holds exactly `content` (its MD5, which
        the store checks on a single PUT); False if absent or different."""
        from botocore.exceptions import ClientError

        key = self._normalize_name(name)
        try:
            head = self.connection.meta.client.head_object(Bucket=self.bucket_name, Key=key)
        except ClientError as error:
            if error.response["ResponseMetadata"]["HTTPStatusCode"] == 404:
                return False
            raise
        if head["ContentLength"] != len(content):
            return False
        etag = head.get("ETag", "").strip('"')
        if "-" in etag:  # a multipart upload's ETag is not the content's MD5:
            return False  # unknown, so copy again (a same-size remade file must not be skipped)
        digest = hashlib.md5(content, usedforsecurity=False).hexdigest()  # noqa: S324
        return etag == digest

"""Logos, read from wherever files live (the disk, or the bucket when
STORAGE_URL names one: atelier/lib/storage.py).

Logos are public, like the published syntheses that show them, so there is no
rights check; exports are never served here but by synthesis' download view,
which checks rights at download time. A path that leaves logos/ is not found,
so this view can never serve an export's key.
"""

import mimetypes
import posixpath

from django.core.exceptions import SuspiciousOperation
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.views.decorators.http import require_safe

from atelier.lib import storage


@require_safe
def logo(request, path):
    name = posixpath.normpath(f"logos/{path}")
    if not name.startswith("logos/") or "\\" in path or "\x00" in path:
        raise Http404
    try:
        handle = default_storage.open(name, "rb")
    except (FileNotFoundError, IsADirectoryError, SuspiciousOperation):
        raise Http404 from None
    except storage.unavailable_errors():
        return storage.unavailable_response()
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    response = FileResponse(handle, content_type=content_type)
    # Public, and an hour keeps a replaced logo from lingering long.
    response["Cache-Control"] = "public, max-age=3600"
    return response

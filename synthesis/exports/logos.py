"""Logo hardening: an uploaded logo re-read and re-encoded as a bounded PNG."""

import io
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import SuspiciousOperation
from django.utils.translation import gettext as _
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from atelier.models import Organisation

from .errors import ExportError

# Logos are re-read and re-encoded before they reach WeasyPrint or Word: only
# plain raster formats are opened (Pillow's EPS reader would run Ghostscript),
# and sizes are capped so a hostile upload cannot exhaust the worker.
LOGO_FORMATS = ("PNG", "JPEG", "GIF", "WEBP", "BMP")
LOGO_MAX_BYTES = 10 * 1024 * 1024
LOGO_MAX_PIXELS = 40_000_000
# 2 cm tall at 300 dpi is 236 px: this box keeps print quality for wide logos.
LOGO_BOX = (1200, 600)

_decoding_lock = threading.Lock()


@contextmanager
def _strict_decoding() -> Iterator[None]:
    """Decode with truncated files refused. Importing WeasyPrint sets Pillow's
    LOAD_TRUNCATED_IMAGES for the whole process, which would print half an
    uploaded logo padded with grey instead of asking for a new one."""
    with _decoding_lock, warnings.catch_warnings():
        # Beyond Pillow's own limit a bomb is an error, not a warning.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        previous = ImageFile.LOAD_TRUNCATED_IMAGES
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        try:
            yield
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = previous


def logo_png(org: Organisation) -> bytes:
    """The organisation's logo re-encoded as a PNG that fits LOGO_BOX.

    Re-encoding means WeasyPrint and Word only ever see pixels we produced: no
    SVG (scripts, external references), no odd format, no decompression bomb.
    """
    unreadable = ExportError(
        _("Le logo de « %(name)s » est illisible : remplacez-le dans l'administration.")
        % {"name": org.name}
    )
    try:
        with org.logo.open("rb") as file:
            data = file.read(LOGO_MAX_BYTES + 1)
        if len(data) > LOGO_MAX_BYTES:
            raise unreadable
        with _strict_decoding(), Image.open(io.BytesIO(data), formats=LOGO_FORMATS) as image:
            # Checked before decoding: the header gives the size for free.
            if image.width * image.height > LOGO_MAX_PIXELS:
                raise unreadable
            image.load()
            picture = ImageOps.exif_transpose(image)
            has_alpha = picture.mode in ("RGBA", "LA", "PA") or "transparency" in picture.info
            picture = picture.convert("RGBA" if has_alpha else "RGB")
            picture.thumbnail(LOGO_BOX)
            out = io.BytesIO()
            picture.save(out, format="PNG", optimize=True)
            return out.getvalue()
    except ExportError:
        raise
    # Pillow reports broken files with any of these (SyntaxError for some
    # malformed headers); storage reports a path outside MEDIA_ROOT as suspicious.
    except (
        OSError,
        ValueError,
        SyntaxError,
        EOFError,
        UnidentifiedImageError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
        SuspiciousOperation,
    ) as err:
        raise unreadable from err

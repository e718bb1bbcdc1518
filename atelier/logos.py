"""Organisation logos: every upload re-read and re-encoded as a bounded PNG.

One place decides what a logo may be, for the admin, the workshop settings
page, the demo and the exports: a PNG, JPEG, GIF or WebP of at most
LOGO_MAX_BYTES and LOGO_MAX_PIXELS, decoded by Pillow with its
decompression-bomb guard raised as an error, and written back as a PNG that
fits LOGO_BOX. The stored file is the re-encoded one, so what the site serves
and what WeasyPrint and Word read are pixels we produced: no EPS (Pillow's EPS
reader runs Ghostscript), no SVG (scripts, external references), no HTML
appended to a GIF, no 64-megapixel image for every visitor's browser to decode.
"""

import io
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

from django import forms
from django.core.files.base import ContentFile
from django.template.defaultfilters import filesizeformat
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

LOGO_FORMATS = ("PNG", "JPEG", "GIF", "WEBP")
LOGO_MAX_BYTES = 5 * 1024 * 1024
# 4,000 × 4,000: any real logo, far below what exhausts a worker or a phone.
LOGO_MAX_PIXELS = 16_000_000
# Logos are shown at one height (about 1.6 cm in print, 56 px on screen); 240 px
# keeps 380 dpi in print. The width allows wordmarks four times as wide.
LOGO_BOX = (960, 240)

_decoding_lock = threading.Lock()


class LogoError(ValueError):
    """A logo we refuse; `message` is French, for the person who uploaded it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@contextmanager
def _strict_decoding() -> Iterator[None]:
    """Decode with truncated files refused and bombs raised. Importing
    WeasyPrint sets Pillow's LOAD_TRUNCATED_IMAGES for the whole process,
    which would keep half a logo padded with grey instead of refusing it."""
    with _decoding_lock, warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        previous = ImageFile.LOAD_TRUNCATED_IMAGES
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        try:
            yield
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = previous


def _looks_like_svg(data: bytes) -> bool:
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<svg", b"<?xml", b"<!doctype svg")) or b"<svg" in head


def reencode(data: bytes) -> bytes:
    """The logo as a PNG that fits LOGO_BOX, or LogoError with the reason."""
    if len(data) > LOGO_MAX_BYTES:
        raise LogoError(
            _("Le fichier est trop lourd (%(size)s) : %(max)s au plus.")
            % {"size": filesizeformat(len(data)), "max": filesizeformat(LOGO_MAX_BYTES)}
        )
    if _looks_like_svg(data):
        raise LogoError(
            _(
                "Les logos SVG ne sont pas acceptés : exportez-le en PNG "
                "(fond transparent) et envoyez ce fichier."
            )
        )
    unreadable = LogoError(_("Ce fichier n'est pas une image PNG, JPEG, GIF ou WebP lisible."))
    try:
        with _strict_decoding(), Image.open(io.BytesIO(data), formats=LOGO_FORMATS) as image:
            # Checked before decoding: the header gives the size for free.
            if image.width * image.height > LOGO_MAX_PIXELS:
                raise LogoError(
                    _("L'image est trop grande (%(w)s × %(h)s pixels) : 4000 × 4000 au plus.")
                    % {"w": image.width, "h": image.height}
                )
            image.seek(0)  # an animated GIF: its first frame
            image.load()
            picture = ImageOps.exif_transpose(image)
            has_alpha = picture.mode in ("RGBA", "LA", "PA") or "transparency" in picture.info
            picture = picture.convert("RGBA" if has_alpha else "RGB")
            picture.thumbnail(LOGO_BOX, Image.Resampling.LANCZOS)
            out = io.BytesIO()
            picture.save(out, format="PNG", optimize=True)
            return out.getvalue()
    # Pillow reports broken files with any of these (SyntaxError for some
    # malformed headers).
    except (
        OSError,
        ValueError,
        SyntaxError,
        EOFError,
        UnidentifiedImageError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ) as err:
        if isinstance(err, LogoError):
            raise
        raise unreadable from err


def logo_file(data: bytes, name: str) -> ContentFile:
    """The re-encoded logo as a file to store, named after its organisation."""
    return ContentFile(reencode(data), name=f"{slugify(name)[:80] or 'logo'}.png")


class LogoField(forms.FileField):
    """A logo upload; its cleaned value is the re-encoded PNG, never the upload."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "help_text",
            gettext_lazy(
                "PNG, JPEG, GIF ou WebP, 5 Mo au plus ; enregistré en PNG, 240 pixels de haut."
            ),
        )
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("accept", "image/png,image/jpeg,image/gif,image/webp")

    def to_python(self, data):
        upload = super().to_python(data)
        if upload is None:
            return None
        if upload.size is not None and upload.size > LOGO_MAX_BYTES:
            # Refused before reading it into memory.
            raise forms.ValidationError(
                _("Le fichier est trop lourd (%(size)s) : %(max)s au plus.")
                % {"size": filesizeformat(upload.size), "max": filesizeformat(LOGO_MAX_BYTES)},
                code="too_big",
            )
        upload.seek(0)
        data = upload.read(LOGO_MAX_BYTES + 1)
        try:
            return logo_file(data, upload.name.rsplit(".", 1)[0])
        except LogoError as err:
            raise forms.ValidationError(err.message, code="bad_logo") from err

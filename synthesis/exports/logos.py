"""A partner's logo for the exports: the stored file re-encoded once more.

Uploads are re-encoded when they are stored (atelier/logos.py); the exports
re-encode again because a file stored before that rule, or put in MEDIA_ROOT
by hand, must not reach WeasyPrint or Word as it is. Same rules, one module.
"""

from django.core.exceptions import SuspiciousOperation
from django.utils.translation import gettext as _

from atelier.logos import LOGO_BOX, LOGO_MAX_BYTES, LOGO_MAX_PIXELS, LogoError, reencode
from atelier.models import Organisation

from .errors import ExportError

__all__ = ["LOGO_BOX", "LOGO_MAX_BYTES", "LOGO_MAX_PIXELS", "logo_png"]


def logo_png(org: Organisation) -> bytes:
    """The organisation's logo re-encoded as a PNG that fits LOGO_BOX."""
    try:
        with org.logo.open("rb") as file:
            data = file.read(LOGO_MAX_BYTES + 1)
        return reencode(data)
    # Storage reports a path outside MEDIA_ROOT as suspicious, a missing file as OSError.
    except (LogoError, OSError, SuspiciousOperation) as err:
        raise ExportError(
            _("Le logo de « %(name)s » est illisible : remplacez-le dans l'administration.")
            % {"name": org.name}
        ) from err

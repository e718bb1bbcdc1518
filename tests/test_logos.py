"""Organisation logos (issue #16.5): every upload, from the admin or the workshop
settings page, is re-encoded as a bounded PNG before it is stored; hostile
files are refused with a French reason and nothing of them is ever served."""

import html
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from atelier.logos import LOGO_BOX, LOGO_MAX_BYTES, LogoError, reencode
from atelier.models import Organisation, Role

from . import factories as f

pytestmark = pytest.mark.django_db

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def picture(size=(800, 200), fmt="PNG", mode="RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (0, 114, 178)).save(out, fmt)
    return out.getvalue()


def eps() -> bytes:
    return (
        b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 100 50\n"
        b"newpath 0 0 moveto 100 50 lineto stroke\nshowpage\n%%EOF\n"
    )


def gif_with_html() -> bytes:
    return picture((120, 60), "GIF") + b"<html><script>alert(document.cookie)</script></html>"


def bomb() -> bytes:
    out = io.BytesIO()
    Image.new("1", (8_000, 8_000)).save(out, "PNG")  # a few kB, 64 Mpx once decoded
    return out.getvalue()


SVG = b"""<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="100" height="50">
<script>alert(1)</script><rect width="100" height="50"/></svg>"""


@pytest.fixture
def admin_client(client):
    client.force_login(f.UserFactory(username="coord", role=Role.COORDINATOR))
    return client


def upload(name: str, data: bytes, content_type="image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def add_in_admin(admin_client, name: str, data: bytes):
    return admin_client.post(
        "/admin/atelier/organisation/add/",
        {"name": "Réseau test", "acronym": "RT", "kind": "other", "logo": upload(name, data)},
    )


def stored_logo(name="Réseau test") -> bytes:
    org = Organisation.objects.get(name=name)
    with org.logo.open("rb") as file:
        return file.read()


# --- the re-encoding itself ---------------------------------------------------------


def test_a_wide_logo_is_reencoded_as_a_png_of_bounded_height():
    data = reencode(picture((4000, 1000), "JPEG"))
    assert data.startswith(PNG_SIGNATURE)
    with Image.open(io.BytesIO(data)) as image:
        assert image.size == (960, 240)  # proportions kept, within LOGO_BOX
    assert LOGO_BOX == (960, 240)


def test_a_square_logo_gets_the_same_height_as_a_wide_one():
    with Image.open(io.BytesIO(reencode(picture((1000, 1000), "WEBP")))) as image:
        assert image.size == (240, 240)


def test_transparency_is_kept():
    data = reencode(picture((300, 100), "PNG", mode="RGBA"))
    with Image.open(io.BytesIO(data)) as image:
        assert image.mode == "RGBA"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (eps(), "n'est pas une image PNG, JPEG, GIF ou WebP lisible"),
        (SVG, "Les logos SVG ne sont pas acceptés"),
        (bomb(), "L'image est trop grande (8000 × 8000 pixels)"),
        (b"\0" * (LOGO_MAX_BYTES + 1), "Le fichier est trop lourd"),
        (picture(fmt="BMP"), "n'est pas une image PNG, JPEG, GIF ou WebP lisible"),
    ],
    ids=["eps", "svg", "bomb", "too-heavy", "bmp"],
)
def test_hostile_logos_are_refused_with_a_french_reason(data, reason):
    with pytest.raises(LogoError) as error:
        reencode(data)
    assert reason in error.value.message


def test_html_appended_to_a_gif_does_not_survive():
    data = reencode(gif_with_html())
    assert data.startswith(PNG_SIGNATURE)
    assert b"<script" not in data and b"<html" not in data


# --- the admin ----------------------------------------------------------------------


def test_the_admin_stores_the_reencoded_png_never_the_upload(admin_client):
    response = add_in_admin(admin_client, "logo.gif", gif_with_html())
    assert response.status_code == 302
    stored = stored_logo()
    assert stored.startswith(PNG_SIGNATURE)
    assert b"<script" not in stored
    org = Organisation.objects.get(name="Réseau test")
    # The site serves files under /media/logos/ by their stored name: this PNG.
    assert org.logo.name.startswith("logos/") and org.logo.url.endswith(".png")


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("logo.eps", eps(), "n&#x27;est pas une image PNG, JPEG, GIF ou WebP lisible"),
        ("logo.svg", SVG, "Les logos SVG ne sont pas acceptés"),
        ("bomb.png", bomb(), "L&#x27;image est trop grande"),
        ("heavy.png", b"\x89PNG" + b"\0" * (12 * 1024 * 1024), "Le fichier est trop lourd"),
    ],
    ids=["eps", "svg", "bomb", "12-MB"],
)
def test_the_admin_refuses_hostile_logos(admin_client, name, data, reason):
    response = add_in_admin(admin_client, name, data)
    assert response.status_code == 200
    assert reason in response.content.decode()
    assert not Organisation.objects.filter(name="Réseau test").exists()


# --- the workshop settings page -----------------------------------------------------


def test_a_coordinator_adds_a_supporter_with_its_logo_from_the_settings(admin_client):
    workshop = f.WorkshopFactory(title="Atelier de Lens", slug="atelier-de-lens")
    response = admin_client.post(
        f"/ateliers/{workshop.slug}/reglages/",
        {
            "title": workshop.title,
            "date": "2021-03-12",
            "format": "online",
            "territory_label": "",
            "partner_name": "Ville de Lens",
            "partner_acronym": "VDL",
            "partner_logo": upload("lens.jpg", picture((1200, 600), "JPEG"), "image/jpeg"),
            "partner_role": "supporter",
        },
        follow=True,
    )
    assert "Les réglages de l'atelier sont enregistrés." in html.unescape(response.content.decode())
    [org] = workshop.supporters.all()
    assert (org.name, org.acronym) == ("Ville de Lens", "VDL")
    with Image.open(io.BytesIO(stored_logo("Ville de Lens"))) as image:
        assert (image.format, image.size) == ("PNG", (480, 240))


def test_the_settings_page_refuses_an_svg_logo_beside_the_field(admin_client):
    workshop = f.WorkshopFactory(title="Atelier de Lens", slug="atelier-de-lens")
    response = admin_client.post(
        f"/ateliers/{workshop.slug}/reglages/",
        {
            "title": workshop.title,
            "date": "2021-03-12",
            "format": "online",
            "territory_label": "",
            "partner_name": "Vectorielle",
            "partner_logo": upload("logo.svg", SVG, "image/svg+xml"),
        },
    )
    assert response.status_code == 400
    assert "Les logos SVG ne sont pas acceptés" in response.content.decode()
    assert not Organisation.objects.filter(name="Vectorielle").exists()

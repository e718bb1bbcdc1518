"""The suite's data, written and read through Django in the driver process:
migrations and static files for the private database, one small world of
workshops and users, and the figures read back after each fault."""

import hashlib
import io
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

PASSWORD = secrets.token_urlsafe(16)


def environment(workdir: Path, database_url: str, redis_url: str) -> dict:
    """Production settings on the private servers, plain HTTP on loopback."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "CELERY_", "DATABASE_", "REDIS_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="atelier.settings",
        SECRET_KEY=secrets.token_urlsafe(50),
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        DEBUG="false",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="false",
        SECURE_COOKIES="false",
        MEDIA_ROOT=str(workdir / "media"),
        STATIC_ROOT=str(workdir / "static"),
        DRAFTING_BACKEND="lexical",
        LOG_LEVEL="WARNING",
    )
    return env


def setup(env: dict) -> None:
    """Django in this process, on the same settings as the stack."""
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)


def fresh() -> None:
    """Drop this process's connection: the database may have restarted."""
    from django.db import connections

    connections.close_all()


@dataclass
class World:
    board_slug: str
    question_id: int
    kind: str
    # (username, group id) per animator
    animators: list = field(default_factory=list)
    coordinator: str = "coordination-faults"
    synthesis_id: int = 0  # published revision: the exports
    export_slug: str = ""
    logo_path: str = ""
    publish_slug: str = ""  # an approved revision: the double click on "publier"
    publish_synthesis_id: int = 0


def seed(n_animators: int) -> World:
    from django.contrib.auth.hashers import make_password
    from django.core.files.base import ContentFile
    from django.utils import timezone
    from PIL import Image

    from atelier.models import (
        Kind,
        Organisation,
        Question,
        Role,
        Round,
        User,
        WorkingGroup,
        Workshop,
    )
    from synthesis.models import Section, Statement, Status, Synthesis

    # One hash for everybody: each password check costs ~350 ms of CPU.
    hashed = make_password(PASSWORD)
    workshop = Workshop.objects.create(
        slug="pannes-tableau", title="Atelier des pannes", date="2021-01-29"
    )
    round_ = Round.objects.create(workshop=workshop, order=1)
    workshop.current_round = round_
    workshop.save(update_fields=["current_round"])
    question = Question.objects.create(
        round=round_, order=1, title="Ce qui a marché", default_kind=Kind.SUCCESS_FACTOR
    )
    world = World(board_slug=workshop.slug, question_id=question.pk, kind=Kind.SUCCESS_FACTOR)
    for i in range(n_animators):
        user = User.objects.create(
            username=f"animateur-pannes-{i}", role=Role.ANIMATOR, password=hashed
        )
        group = WorkingGroup.objects.create(round=round_, number=i + 1)
        group.animators.add(user)
        world.animators.append((user.username, group.pk))
    User.objects.create(
        username=world.coordinator, role=Role.COORDINATOR, password=hashed, is_staff=True
    )

    carrier = Organisation.objects.create(name="Structure porteuse des pannes")
    picture = io.BytesIO()
    Image.new("RGB", (240, 120), (30, 90, 160)).save(picture, format="PNG")
    carrier.logo.save("pannes.png", ContentFile(picture.getvalue()))
    world.logo_path = carrier.logo.path

    def synthesis(slug, status):
        ws = Workshop.objects.create(slug=slug, title=f"Synthèse {slug}", date="2021-01-29")
        ws.carriers.add(carrier)
        r = Round.objects.create(workshop=ws, order=1)
        revision = Synthesis.objects.create(
            workshop=ws,
            status=status,
            published_at=timezone.now() if status == Status.PUBLISHED else None,
            intro="Une synthèse courte, pour éprouver les exports.",
        )
        section = Section.objects.create(
            synthesis=revision, round=r, order=1, title="Ce qui a marché"
        )
        for n in range(12):
            Statement.objects.create(
                section=section,
                order=n,
                kind=Kind.SUCCESS_FACTOR,
                text=f"Énoncé {n} : les habitants participent quand on vient les chercher.",
            )
        return ws, revision

    ws, revision = synthesis("pannes-exports", Status.PUBLISHED)
    world.export_slug, world.synthesis_id = ws.slug, revision.pk
    ws, revision = synthesis("pannes-publication", Status.APPROVED)
    world.publish_slug, world.publish_synthesis_id = ws.slug, revision.pk
    return world


# --- Figures read back ----------------------------------------------------------------


def note_figures(texts: set[str], board_slug: str) -> tuple[int, int]:
    """(distinct texts stored, rows beyond one per text) among `texts`."""
    from django.db.models import Count

    from atelier.models import Contribution

    fresh()
    rows = (
        Contribution.objects.filter(group__round__workshop__slug=board_slug, text__in=texts)
        .values("text")
        .annotate(n=Count("pk"))
        .order_by()
    )
    stored = doubled = 0
    for row in rows:
        stored += 1
        doubled += row["n"] - 1
    return stored, doubled


def notes_with_uuid(client_uuid: str) -> int:
    from atelier.models import Contribution

    fresh()
    return Contribution.objects.filter(client_uuid=client_uuid).count()


def notes_with_text(text: str) -> int:
    from atelier.models import Contribution

    fresh()
    return Contribution.objects.filter(text=text).count()


def publish_figures(synthesis_id: int) -> tuple[str, int]:
    """(status, how many times "publiée" was recorded)."""
    from synthesis.models import Synthesis, SynthesisEvent

    fresh()
    status = Synthesis.objects.get(pk=synthesis_id).status
    return status, SynthesisEvent.objects.filter(
        synthesis_id=synthesis_id, after="published"
    ).count()


def exports(synthesis_id: int, fmt: str) -> list[dict]:
    from synthesis.models import Export

    fresh()
    return list(
        Export.objects.filter(synthesis_id=synthesis_id, format=fmt).values(
            "pk", "status", "error", "attempts", "file"
        )
    )


def export_files(slug: str, media_root: Path, suffix: str) -> list[Path]:
    """Every file (temporary names included) under the revision's folder."""
    folder = media_root / "exports" / slug
    return sorted(p for p in folder.rglob("*") if p.is_file() and suffix in p.name)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()

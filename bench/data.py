"""Data for `make bench`: a scratch PostgreSQL database holding the demo and
~100,000 generated notes. Importable, so that one page can be measured alone
(see docs/performance.md)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def configure(db_name="atelier_bench"):
    """Production settings on a scratch database; call before django.setup()."""
    os.environ["DATABASE_URL"] = os.environ.get(
        "BENCH_DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/{db_name}"
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "atelier.settings")
    os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
    os.environ.setdefault("SECURE_COOKIES", "false")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
    return db_name


def fresh_database(name="atelier_bench"):
    subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", name], check=True)
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], check=True)


def setup_django():
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)  # production storage
    call_command("load_demo", verbosity=0)


def generate(n_workshops=100, notes_per_workshop=1000, big=10_000, prefix="bench"):
    """~100,000 notes across ~100 workshops in the 15 demo sites; the first
    workshop holds `big` notes (the editor and drafting targets)."""
    import random
    import uuid

    from atelier.models import (
        ActorType,
        Contribution,
        Kind,
        Question,
        Round,
        Theme,
        WorkingGroup,
        Workshop,
    )
    from territories.models import Level, Territory

    rng = random.Random(8)
    sites = list(Territory.objects.filter(level=Level.COMMUNE))
    seed_notes = list(Contribution.objects.values_list("text", flat=True))
    themes = list(Theme.objects.values_list("pk", flat=True))
    actor_types = [None, *ActorType.objects.values_list("pk", flat=True)]
    Tagged = Contribution.themes.through
    kinds = [Kind.SUCCESS_FACTOR, Kind.OBSTACLE, Kind.LESSON, Kind.COMMITMENT]
    workshops = []
    for i in range(n_workshops):
        workshop = Workshop.objects.create(
            slug=f"{prefix}-{i}",
            title=f"Atelier de mesure {prefix} {i}",
            date=f"202{i % 4 + 1}-0{i % 9 + 1}-15",
            territory=sites[i % len(sites)],
        )
        round_ = Round.objects.create(workshop=workshop, order=1)
        questions = [
            Question.objects.create(
                round=round_, order=q + 1, title=f"Consigne {q}", default_kind=kinds[q % 4]
            )
            for q in range(5)
        ]
        groups = [WorkingGroup.objects.create(round=round_, number=g + 1) for g in range(10)]
        count = big if i == 0 else notes_per_workshop
        notes = Contribution.objects.bulk_create(
            [
                Contribution(
                    group=groups[k % 10],
                    question=questions[k % 5],
                    kind=Kind.QUOTE if k % 10 == 9 else kinds[k % 4],
                    text=f"{rng.choice(seed_notes)} ({rng.randint(1, 99)})",
                    # One note in ten is a quote, with who said it.
                    speaker_actor_type_id=rng.choice(actor_types) if k % 10 == 9 else None,
                    client_uuid=uuid.uuid4(),
                )
                for k in range(count)
            ],
            batch_size=5000,
        )
        # Half the notes carry a theme, as animators tag them during workshops.
        Tagged.objects.bulk_create(
            [Tagged(contribution_id=note.pk, theme_id=rng.choice(themes)) for note in notes[::2]],
            batch_size=5000,
        )
        workshops.append(workshop)
    # Production's autovacuum would have analysed the tables by now; this
    # machine's PostgreSQL runs without it (CI settings), so say it here.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return workshops


def scene(workshops):
    """The users and URLs measured: an animator's board with 500 notes, the
    editor and published page of the 10,000-note workshop, a delegate's region
    and a search that matches tens of thousands of notes."""
    from atelier.models import Contribution, User
    from synthesis import drafting
    from synthesis.models import Status
    from territories.models import Level, Territory

    big = workshops[0]
    group = big.rounds.get().groups.get(number=1)
    group.animators.add(User.objects.get(username="animateur"))
    Contribution.objects.filter(group=group).exclude(
        pk__in=Contribution.objects.filter(group=group).values("pk")[:500]
    ).delete()
    # The 10,000 notes' synthesis, published, and a new draft revision of it
    # for the editor: both pages show every statement of the big workshop.
    coordinator = User.objects.get(username="coordination")
    synthesis = big.syntheses.order_by("-revision").first() or drafting.draft(big).synthesis
    for status in (Status.IN_REVIEW, Status.APPROVED, Status.PUBLISHED):
        synthesis.move_to(status, by=coordinator)
    synthesis.copy_as_new_revision(by=coordinator)
    nord = Territory.objects.get(level=Level.REGION, code="32")
    User.objects.get(username="delegue").territories.add(nord)
    return {
        "board": ("animateur", f"/groupes/{group.pk}/"),
        "editor": ("coordination", f"/ateliers/{big.slug}/synthese/edition/"),
        "suggestions": ("coordination", f"/ateliers/{big.slug}/synthese/rapprochements/"),
        "published": ("coordination", synthesis.get_absolute_url()),
        "dashboard": ("delegue", f"/territoires/{nord.pk}/"),
        "search": ("coordination", "/recherche/?q=habitants"),
    }


def store_vectors(workshops):
    """Stored vectors for every generated note, as the board's save task would
    have left them, without running the model 100,000 times: the ~320 demo
    texts are embedded for real, each once, in the context of the first
    question it is found under, and a generated note "<demo text> (n)" gets
    its demo text's vector with a little noise, in whatever question it sits
    (embedding every pair of a demo text and one of the 14 questions' titles
    took three minutes of the bench's ten). What the bench measures is the
    draft reading stored vectors, not their quality. Returns (texts embedded
    for real, seconds)."""
    import re
    import time

    import numpy as np

    from atelier.models import Contribution
    from synthesis import embeddings, similarity
    from synthesis.models import TextEmbedding

    backend = similarity.get_backend()
    if not backend.name:
        return 0, 0.0
    rows = (
        Contribution.objects.filter(question__round__workshop__in=workshops)
        .values_list("question__title", "text")
        .distinct()
        .order_by("question__title", "text")
    )
    suffix = re.compile(r" \(\d+\)$")
    first_context, wanted = {}, {}
    for question, text in rows:
        demo = suffix.sub("", text)
        seed = first_context.setdefault(demo, similarity.in_context(question, demo))
        wanted[similarity.in_context(question, text)] = seed
    seeds = sorted(set(wanted.values()))
    start = time.perf_counter()
    real = dict(zip(seeds, backend.embed(seeds), strict=True))
    seconds = time.perf_counter() - start
    rng = np.random.default_rng(3)
    known = set(TextEmbedding.objects.filter(model=backend.name).values_list("digest", flat=True))
    batch = []
    for text, seed in wanted.items():
        key = embeddings.digest(text)
        if key in known:
            continue
        vector = real[seed] + rng.normal(0, 0.01, backend.dim).astype(np.float32)
        batch.append(
            TextEmbedding(
                model=backend.name, digest=key, vector=vector.astype(embeddings.DTYPE).tobytes()
            )
        )
        if len(batch) == 5000:
            TextEmbedding.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    TextEmbedding.objects.bulk_create(batch, ignore_conflicts=True)
    return len(seeds), seconds

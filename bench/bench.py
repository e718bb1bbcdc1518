"""`make bench`, first part: the work and page targets of the issues, measured
in-process on PostgreSQL with production settings.

Not yet here (issue 8 goes on): the load test of 10/50 animators against
gunicorn beside a trivial view, the PDF through a Celery worker and the
click-to-download time, and the wall time of `make run`.
"""

import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_DB = "atelier_bench"
os.environ["DATABASE_URL"] = os.environ.get(
    "BENCH_DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/{BENCH_DB}"
)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "atelier.settings")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("SECURE_COOKIES", "false")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1")

RESULTS = []


def record(name, value, unit, target, *, lower_is_better=True, **extra):
    ok = value <= target if lower_is_better else value >= target
    RESULTS.append(
        {"name": name, "value": round(value, 3), "unit": unit, "target": target, "ok": ok, **extra}
    )
    print(f"{'ok ' if ok else 'MISS'} {name:<48} {value:>10.3f} {unit:<6} target {target}")


def timed(fn, repeat=1):
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def percentile(samples, p):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def fresh_database():
    subprocess.run(
        ["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", BENCH_DB], check=True
    )
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", BENCH_DB], check=True)


def setup_django():
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)  # production storage
    call_command("load_demo", verbosity=0)


def generate(n_workshops=100, notes_per_workshop=1000, big=10_000):
    """~100,000 notes across ~100 workshops in the 15 demo sites; the first
    workshop holds `big` notes (the editor and drafting targets)."""
    import random
    import uuid

    from atelier.models import Contribution, Kind, Question, Round, WorkingGroup, Workshop
    from territories.models import Level, Territory

    rng = random.Random(8)
    sites = list(Territory.objects.filter(level=Level.COMMUNE))
    seed_notes = list(Contribution.objects.values_list("text", flat=True))
    kinds = [Kind.SUCCESS_FACTOR, Kind.OBSTACLE, Kind.LESSON, Kind.COMMITMENT]
    workshops = []
    for i in range(n_workshops):
        workshop = Workshop.objects.create(
            slug=f"bench-{i}",
            title=f"Atelier de mesure {i}",
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
        Contribution.objects.bulk_create(
            [
                Contribution(
                    group=groups[k % 10],
                    question=questions[k % 5],
                    kind=kinds[k % 4],
                    text=f"{rng.choice(seed_notes)} ({rng.randint(1, 99)})",
                    client_uuid=uuid.uuid4(),
                )
                for k in range(count)
            ],
            batch_size=5000,
        )
        workshops.append(workshop)
    return workshops


def client_for(username):
    from django.test import Client

    from atelier.models import User

    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def page(name, client, url, target_ms, repeat=20):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # warm
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    samples = timed(lambda: client.get(url), repeat)
    record(f"{name} p50", percentile(samples, 50), "ms", target_ms, queries=len(queries))
    record(f"{name} p95", percentile(samples, 95), "ms", target_ms, queries=len(queries))


def main():
    fresh_database()
    setup_django()
    # Work
    import random

    from atelier import grouping
    from atelier.models import Contribution, User
    from synthesis import drafting, exports
    from territories.models import Level, Territory

    rng = random.Random(1)
    people = [grouping.Person(i, rng.randrange(8), rng.randrange(15)) for i in range(1000)]
    history = [[[p.id for p in people[g::20]] for g in range(20)] for _ in range(3)]
    samples = timed(
        lambda: grouping.form_groups(
            people, group_count=20, mode="random", history=history, seed=2
        ),
        3,
    )
    record("groups: 1,000 people, 3 earlier rounds", statistics.median(samples), "ms", 1000)

    from atelier.demo import SLUG
    from synthesis.models import Synthesis

    seed = Synthesis.objects.get(workshop__slug=SLUG, revision=1)
    samples = timed(lambda: exports.render(seed, "pdf"), 5)
    record("PDF of the seed (in process)", statistics.median(samples), "ms", 1500)

    workshops = generate()
    big = workshops[0]
    samples = timed(lambda: drafting.draft(big))
    record("draft: 10,000 notes", samples[0] / 1000, "s", 10)

    animator = User.objects.get(username="animateur")
    group = big.rounds.get().groups.get(number=1)
    group.animators.add(animator)
    Contribution.objects.filter(group=group).exclude(
        pk__in=Contribution.objects.filter(group=group).values("pk")[:500]
    ).delete()
    page("board with 500 notes", client_for("animateur"), f"/groupes/{group.pk}/", 150)
    page(
        "editor, 10,000 notes",
        client_for("coordination"),
        f"/ateliers/{big.slug}/synthese/edition/",
        400,
        repeat=10,
    )
    delegate = User.objects.get(username="delegue")
    nord = Territory.objects.get(level=Level.REGION, code="32")
    delegate.territories.add(nord)
    page(
        "delegate dashboard, 100,000 notes", client_for("delegue"), f"/territoires/{nord.pk}/", 150
    )
    page("search, 100,000 notes", client_for("coordination"), "/recherche/?q=habitants", 200)

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    record("peak resident memory of this run", peak, "MB", 1000)
    write()


def write():
    out = ROOT / "bench" / "results.json"
    out.write_text(json.dumps(RESULTS, indent=1, ensure_ascii=False) + "\n")
    lines = [
        "# Performance",
        "",
        "Produced by `make bench` (bench/bench.py), replaced at each run that is committed.",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        "PostgreSQL on loopback; measured in-process with Django's test client (no gunicorn yet).",
        "",
        "| measurement | value | target | ok | queries |",
        "|---|---|---|---|---|",
    ]
    for r in RESULTS:
        lines.append(
            f"| {r['name']} | {r['value']} {r['unit']} | {r['target']} {r['unit']} | "
            f"{'yes' if r['ok'] else '**no**'} | {r.get('queries', '')} |"
        )
    lines += [
        "",
        "## Misses, why, and what would fix them",
        "",
        "- **Board with 500 notes**: a profile shows the time spread over the template machinery: 8 URL reversals, 3 `truncatechars` and several translations per note (4,000 reversals per page); markdown and nh3 are under 10 %. Fix: the per-note actions as one set of delegated buttons reading the note id from the list item, URLs built from one pattern, and the accessible names without truncation.",
        "- **Editor at 10,000 notes (p95)**: just over; the support counts are a COUNT "
        "DISTINCT over the links. Fix: one aggregate query grouped by statement instead of "
        "an annotation with a subquery per row.",
        "- **Delegate dashboard at 100,000 notes**: the theme counts scan every note of the "
        "territory twice (territory and national share). Fix: a nightly-refreshed table "
        "of counts per workshop, kind and theme, or a cached national share.",
        "- **Search at 100,000 notes**: the bench's notes reuse the seed's words, so "
        "'habitants' matches tens of thousands of rows and ts_rank/ts_headline run on "
        "each. Fix: a stored tsvector column, ranking only the first candidates, and "
        "headlines only for the page shown.",
        "",
        "Not measured yet (issue 8 continues): 10/50 animators saving notes through "
        "gunicorn beside a trivial view, the PDF through a Celery worker and the "
        "click-to-download time, a 20-page PDF's memory in the worker, the `make run` "
        "wall time.",
        "",
    ]
    (ROOT / "docs" / "performance.md").write_text("\n".join(lines))


if __name__ == "__main__":
    main()

"""Measure pages alone, in process, with their query counts: for working on
one page's speed without the whole of `make bench`.

    .venv/bin/python bench/page.py [board|editor|published|dashboard|search ...]

The first run builds the scratch database `atelier_bench_pages` (or
$BENCH_PAGES_DB; a few minutes); later runs reuse it (pass --fresh to rebuild
it, after a migration for instance).
"""

import os
import sys

from data import configure, fresh_database, generate, scene, setup_django

DB = configure(os.environ.get("BENCH_PAGES_DB", "atelier_bench_pages"))


def main(argv):
    import django

    fresh = "--fresh" in argv
    names = [a for a in argv if not a.startswith("--")]
    if fresh:
        fresh_database(DB)
        setup_django()
        workshops = generate()
    else:
        django.setup()
        from atelier.models import Workshop

        workshops = list(Workshop.objects.filter(slug__startswith="bench-").order_by("pk"))
    urls = scene(workshops)
    from measure import in_process

    for name in names or urls:
        username, url = urls[name]
        result = in_process(username, url)
        print(
            f"{name:<10} p50 {result['p50']:7.1f} ms  p95 {result['p95']:7.1f} ms  "
            f"{result['queries']} queries  {url}"
        )


if __name__ == "__main__":
    main(sys.argv[1:])

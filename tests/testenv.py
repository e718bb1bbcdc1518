"""Loaded with `-p tests.testenv` before Django reads its settings.

Production defaults redirect to HTTPS and mark cookies Secure; the live server
of the browser tests speaks plain HTTP on loopback, and its middleware is built
once per session, before any per-test settings override could apply.
"""

import os

os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("SECURE_COOKIES", "false")
# Playwright's sync API runs an event loop in the test thread; Django would
# otherwise refuse ORM calls made by the browser tests' fixtures.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
# Draft jobs run inline in tests, where a thread would outlive the test's transaction.
os.environ.setdefault("DRAFT_JOBS_IN_THREAD", "false")

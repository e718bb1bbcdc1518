"""A real Celery worker process on a real Redis, for the tests of exports
made outside the test process (tests/test_export_worker.py, the bucket tests)."""

import contextlib
import os
import subprocess
import sys
import time

import pytest
import redis
from celery import Celery
from django.db import connection


def broker_url():
    """A Redis database of its own for each test process (xdist runs two)."""
    base = (os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0").rsplit("/", 1)[0]
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or "0"
    return f"{base}/{10 + int(worker)}"


def database_url():
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@contextlib.contextmanager
def celery_worker(settings, *, queues: str | None = None, **env):
    """A worker on the test database, consuming `queues` (every queue if None),
    with `env` added to its environment; yields a producer to send it tasks."""
    url = broker_url()
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).flushdb()
    except redis.ConnectionError:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis is not reachable at {url}")
        pytest.skip(f"Redis is not reachable at {url}")
    env = {**os.environ, "DATABASE_URL": database_url(), "REDIS_URL": url, **env}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "atelier", "worker"]
        + (["-Q", queues] if queues else [])
        + ["--pool=solo", "--without-heartbeat", "--without-mingle", "--without-gossip"]
        + ["-l", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
    )
    try:
        # Not the current app: shared tasks of later tests must keep the project's app.
        yield Celery(broker=url, set_as_current=False)
    finally:
        process.terminate()
        process.wait(timeout=20)


def wait_until(check, timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.3)
    return False

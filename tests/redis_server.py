"""A private redis-server on a free port, started and killed by the tests
that need Redis to go down (F13): the machine's shared one is never touched.
Its fixtures are registered in conftest.py."""

import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import time

import pytest
import redis
from django.conf import settings

from atelier.celery import app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivateRedis:
    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            # No persistence: a restart starts empty, the worst case for queued jobs.
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
            + ["--save", "", "--appendonly", "no", "--daemonize", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def kill(self):
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def queued(self) -> list[tuple[str, list]]:
        """The tasks waiting in any queue (each is a Redis list): (name, arguments)."""
        client = redis.Redis(port=self.port)
        tasks = []
        for queue in client.scan_iter():
            if client.type(queue) != b"list":
                continue
            for raw in client.lrange(queue, 0, -1):
                message = json.loads(raw)
                args = json.loads(base64.b64decode(message["body"]))[0]
                tasks.append((message["headers"]["task"], args))
        return tasks


@pytest.fixture
def private_redis():
    if shutil.which("redis-server") is None:
        message = "redis-server is not installed (apt-get install redis-server)."
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    server = PrivateRedis()
    server.start()
    yield server
    server.kill()


def _reset_broker_pools():
    # The app keeps its connection and producer pools for the URL it first used.
    app._pool = None
    app.amqp._producer_pool = None


def settings_for(redis_url: str) -> dict:
    """What atelier/settings.py makes of REDIS_URL, read in a fresh process:
    the test runs on the very cache, session and broker settings of production."""
    code = (
        "import json; from django.conf import settings as s; print(json.dumps({"
        "'CACHES': s.CACHES, 'SESSION_ENGINE': s.SESSION_ENGINE,"
        " 'CELERY_BROKER_URL': s.CELERY_BROKER_URL}))"
    )
    env = {
        **os.environ,
        "REDIS_URL": redis_url,
        "DJANGO_SETTINGS_MODULE": os.environ["DJANGO_SETTINGS_MODULE"],
    }
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.splitlines()[-1])


@pytest.fixture
def on_redis(settings, private_redis):
    """The settings REDIS_URL gives, pointed at the private Redis."""
    production = settings_for(private_redis.url)
    settings.CACHES = production["CACHES"]
    settings.SESSION_ENGINE = production["SESSION_ENGINE"]
    settings.REDIS_URL = private_redis.url  # the notes waiting for vectors (synthesis/pending.py)
    broker = app.conf.broker_url
    app.conf.broker_url = production["CELERY_BROKER_URL"]
    app.conf.task_always_eager = False  # conftest restores it
    _reset_broker_pools()
    yield private_redis
    app.conf.broker_url = broker
    _reset_broker_pools()

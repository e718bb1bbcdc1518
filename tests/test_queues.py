"""One queue per workload, and docker-compose.yml runs a worker for each: an
export must never wait behind a ten-minute draft, nor a sweep behind either."""

import re
import shlex

import pytest
from django.conf import settings

from atelier.celery import app

yaml = pytest.importorskip("yaml")


def compose_services():
    with open(settings.BASE_DIR / "docker-compose.yml", encoding="utf-8") as file:
        return yaml.safe_load(file)["services"]


def worker_args(service) -> list[str]:
    command = service.get("command") or []
    if command[:2] == ["sh", "-c"]:
        command = shlex.split(command[2].removeprefix("exec "))
    if command[:2] == ["nice", "-n"]:
        command = command[3:]
    return command


def option(args, name):
    return args[args.index(name) + 1]


def test_exports_and_the_drafts_model_work_go_to_queues_of_their_own():
    def queue_of(task):
        return app.amqp.router.route({}, task)["queue"].name

    assert queue_of("synthesis.run_export") == "exports"
    assert queue_of("synthesis.run_draft") == "drafting"
    assert queue_of("synthesis.embed_notes") == "drafting"
    # The board's notes, in batches: on the niced worker that loads the encoders.
    assert queue_of("synthesis.embed_pending") == "drafting"
    assert queue_of("synthesis.sweep_exports") == "celery"


def test_compose_runs_a_scalable_checked_worker_for_every_queue():
    services = compose_services()
    workers = {
        name: worker_args(service)
        for name, service in services.items()
        if "worker" in worker_args(service)[:4]
    }
    consumed = set()
    for name, args in workers.items():
        queues = option(args, "-Q").split(",")
        consumed.update(queues)
        node = option(args, "-n").removesuffix("@%h")
        ping = services[name]["healthcheck"]["test"][1]
        # Each container pings its own node: exports@<its hostname>.
        assert re.search(rf"inspect ping -d {node}@\$\$HOSTNAME --timeout \d+", ping), name
        # --scale needs containers without a fixed name or published port.
        assert "container_name" not in services[name] and "ports" not in services[name]
        assert any(a.startswith("--concurrency=") for a in args), name
    routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
    assert routed | {settings.CELERY_TASK_DEFAULT_QUEUE} <= consumed
    assert workers["worker-exports"] != workers["worker-drafting"]
    assert "exports" not in option(workers["worker-drafting"], "-Q").split(",")
    # The encoders yield the CPU to the boards on a shared host.
    assert "exec nice -n 10 celery" in services["worker-drafting"]["command"][2]


def test_compose_runs_beat_once():
    beats = [s for s in compose_services().values() if "beat" in s.get("command", [])]
    assert len(beats) == 1
    assert "deploy" not in beats[0] or beats[0]["deploy"].get("replicas", 1) == 1

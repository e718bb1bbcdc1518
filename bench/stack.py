"""The production stack on loopback for `make bench`: gunicorn with the
Dockerfile's flags and a Celery worker, against the bench's PostgreSQL
database and a Redis database of its own. Everything started here is
stopped by `Stack.stop()`, whatever happened."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def gunicorn_args(port: int, workers: int, access_log: Path) -> list[str]:
    """The Dockerfile's gunicorn command line on loopback, with an access log
    in a file (the bench and the fault suite run the server production runs)."""
    return [
        str(BIN / "gunicorn"),
        "atelier.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--timeout",
        "60",
        "--graceful-timeout",
        "30",
        "--worker-tmp-dir",
        "/dev/shm",  # noqa: S108 (the Dockerfile's)
        "--access-logfile",
        str(access_log),
    ]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url, timeout=120, process=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise TimeoutError(url)


def peak_rss_mb(pid):
    """Peak resident memory (VmHWM) of a live process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for {pid}")


class Stack:
    def __init__(self, env, workdir, web_workers=3):
        self.env = env
        self.workdir = Path(workdir)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.access_log = self.workdir / "access.log"
        self.web_workers = web_workers
        self.processes = []

    def _start(self, args, log_name):
        log = open(self.workdir / log_name, "ab")  # noqa: SIM115 (closed by the child's exit)
        process = subprocess.Popen(
            args,
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes.append(process)
        return process

    def start(self):
        # As in the Dockerfile, with an access log giving each request's
        # server-side duration in microseconds (%(D)s).
        self.web = self._start(
            gunicorn_args(self.port, self.web_workers, self.access_log)
            + ["--access-logformat", "%(m)s %(U)s %(s)s %(D)s %({server-timing}o)s"],
            "gunicorn.log",
        )
        # One solo worker: the export runs in the worker's own process, so
        # its peak resident memory is the job's (prefork would hide it in a
        # child that exits).
        self.worker = self._start(
            [
                str(BIN / "celery"),
                "-A",
                "atelier",
                "worker",
                "-Q",
                "exports,celery",
                "--pool",
                "solo",
                "--loglevel",
                "WARNING",
                "--without-gossip",
                "--without-mingle",
            ],
            "worker.log",
        )
        # The draft's model work on its own queue and at its lower CPU
        # priority, as in docker-compose.yml.
        self.drafting_worker = self._start(
            [
                "nice",
                "-n",
                "10",
                str(BIN / "celery"),
                "-A",
                "atelier",
                "worker",
                "-Q",
                "drafting",
                "-n",
                "drafting@%h",
                "--pool",
                "solo",
                "--loglevel",
                "WARNING",
                "--without-gossip",
                "--without-mingle",
            ],
            "worker-drafting.log",
        )
        wait_for(f"{self.base}/health/", process=self.web)
        return self

    def log_offset(self):
        return self.access_log.stat().st_size if self.access_log.exists() else 0

    def server_times(self, start_offset, method, path, *, in_django=False):
        """Server-side durations (ms) logged since `start_offset`: gunicorn's,
        from the request's first byte read to the response's last byte sent
        (the wait for a slow client's body included), or with `in_django`
        the Server-Timing the app measured around its middleware and view."""
        with self.access_log.open("rb") as log:
            log.seek(start_offset)
            lines = log.read().decode().splitlines()
        times = []
        for line in lines:
            parts = line.split()
            if len(parts) == 5 and parts[0] == method and path.fullmatch(parts[1]):
                if in_django:
                    times.append(float(parts[4].removeprefix("app;dur=")))
                else:
                    times.append(int(parts[3]) / 1000)
        return times

    def stop(self):
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

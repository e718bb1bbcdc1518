"""A private stack on loopback, started and stopped by the fault suite:
a PostgreSQL cluster of its own (initdb + pg_ctl on a free port, in a
temporary folder), a Redis of its own, gunicorn with the Dockerfile's flags
and a Celery worker with docker-compose's. Nothing here touches the
machine's own PostgreSQL or Redis, so the faults can restart and kill them."""

import glob
import os
import pwd
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.stack import free_port, gunicorn_args, wait_for  # noqa: E402  (the bench's helpers)

BIN = Path(sys.executable).parent


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise RuntimeError(
            f"{name} not found under /usr/lib/postgresql/*/bin (apt install postgresql)"
        )
    return found[-1]


class PrivatePostgres:
    """One cluster in `workdir/pg`, trust authentication on 127.0.0.1 only.
    PostgreSQL refuses to run as root: as root, its commands run as the
    `postgres` system user and the folder is handed over to it."""

    def __init__(self, workdir: Path):
        self.dir = workdir / "pg"
        self.log = workdir / "postgres.log"
        self.port = free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/atelier_faults"
        self._as = []
        self._owner = None
        if os.geteuid() == 0:
            self._as = ["runuser", "-u", "postgres", "--"]
            entry = pwd.getpwnam("postgres")
            self._owner = (entry.pw_uid, entry.pw_gid)

    def _run(self, *args, check=True):
        return subprocess.run(  # noqa: S603 (our own commands, no shell)
            [*self._as, *args], check=check, capture_output=True, text=True, timeout=120
        )

    def start(self):
        self.dir.mkdir(mode=0o700)
        self.log.touch()
        if self._owner:
            os.chown(self.dir, *self._owner)
            os.chown(self.log, *self._owner)
        self._run(
            _pg_bin("initdb"),
            "-D",
            str(self.dir),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )
        self._ctl("start")
        self._run(
            _pg_bin("createdb"),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "atelier_faults",
        )
        return self

    def _ctl(self, action, *extra, check=True):
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1"
        return self._run(
            _pg_bin("pg_ctl"),
            "-D",
            str(self.dir),
            "-l",
            str(self.log),
            "-w",
            "-t",
            "60",
            "-o",
            options,
            *extra,
            action,
            check=check,
        )

    def restart(self, mode: str):
        """`fast` (clients disconnected, clean shutdown) or `immediate` (a
        crash: recovery from the WAL on the next start)."""
        self._ctl("restart", "-m", mode)

    def stop(self):
        if (self.dir / "postmaster.pid").exists():
            self._ctl("stop", "-m", "immediate", check=False)


class PrivateRedis:
    def __init__(self, workdir: Path):
        self.dir = workdir / "redis"
        self.log = workdir / "redis.log"
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        self.dir.mkdir(exist_ok=True)
        self.process = subprocess.Popen(  # noqa: S603
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.dir),
                "--save",
                "",
                "--appendonly",
                "no",
                "--logfile",
                str(self.log),
            ],
            start_new_session=True,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            ping = subprocess.run(  # noqa: S603
                ["redis-cli", "-p", str(self.port), "ping"],  # noqa: S607 (Debian's, beside redis-server)
                capture_output=True,
                text=True,
            )
            if ping.stdout.strip() == "PONG":
                return self
            time.sleep(0.1)
        raise TimeoutError("redis-server did not answer")

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)
        self.process = None


class AppStack:
    """gunicorn and one Celery worker on the private PostgreSQL and Redis."""

    def __init__(self, env: dict, workdir: Path, web_workers: int = 3):
        self.env = env
        self.workdir = workdir
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.web_workers = web_workers
        self.web = None
        self.worker = None

    def _start(self, args, log_name, *, file_limit=None):
        log = open(self.workdir / log_name, "ab")  # noqa: SIM115 (closed with the child)
        preexec = None
        if file_limit is not None:
            # What a full disk looks like to the process: writes past the
            # limit fail with EFBIG (Python ignores SIGXFSZ). Its output goes
            # through a pipe, so its own log is not what hits the limit.
            def preexec():
                resource.setrlimit(resource.RLIMIT_FSIZE, (file_limit, file_limit))

        process = subprocess.Popen(  # noqa: S603
            args,
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE if file_limit is not None else log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=preexec,
        )
        if file_limit is not None:
            threading.Thread(
                target=shutil.copyfileobj, args=(process.stdout, log), daemon=True
            ).start()
        return process

    def start_web(self):
        # The Dockerfile's command line, with an access log in a file.
        self.web = self._start(
            gunicorn_args(self.port, self.web_workers, self.workdir / "access.log"),
            "gunicorn.log",
        )
        wait_for(f"{self.base}/health/", timeout=120, process=self.web)

    def start_worker(self, *, file_limit=None):
        # docker-compose's export worker: prefork, two children, its queues.
        self.worker = self._start(
            [
                str(BIN / "celery"),
                "-A",
                "atelier",
                "worker",
                "-Q",
                "exports,celery",
                "--loglevel=INFO",
                "--concurrency=2",
                "--max-tasks-per-child=100",
                "--without-gossip",
                "--without-mingle",
            ],
            "worker.log",
            file_limit=file_limit,
        )
        return self.worker

    def stop_worker(self):
        _stop(self.worker)
        self.worker = None

    def web_worker_pids(self) -> list[int]:
        """gunicorn's workers: the children of its master process (from
        /proc/*/stat where the kernel does not list a task's children)."""
        children = Path(f"/proc/{self.web.pid}/task/{self.web.pid}/children")
        if children.exists():
            return [int(pid) for pid in children.read_text().split()]
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:  # the process ended meanwhile
                continue
            if int(fields[1]) == self.web.pid:
                pids.append(int(stat.parent.name))
        return pids

    def stop(self):
        _stop(self.worker)
        _stop(self.web)


def _stop(process):
    if process is None or process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()

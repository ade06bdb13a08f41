"""Run the reference CSDL server in a subprocess, for tests and demos.

    with CsdlServerProcess(tmp_path, clients=[("c1", "s3cret", "79000001")]) as csdl:
        client = CsdlClient(csdl.base_url, "c1", "s3cret", "79000001")
        csdl.set_faults("http500", count=2)
        ...
        csdl.records()  # what the server holds, with delivery counts
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from pathlib import Path

import requests

READY_PREFIX = "listening on "
ADMIN_TIMEOUT = 10


def note_delivery(uuid: str, version: int, held: dict | None) -> None:
    """Tell the reliability summary (conftest.py at the repository root) what the reference
    server holds for a record (``held``, from CsdlServerProcess.records()): a record missing or
    behind its version is lost, one stored twice is duplicated. A no-op outside the suite."""
    path = os.environ.get("HOCBASO_RELIABILITY_LOG")
    if not path:
        return
    versions = (held or {}).get("versions", [])
    line = {"uuid": uuid, "version": version,
            "lost": int(not held or held.get("phien_ban") != version),
            "duplicated": sum(max(0, v.get("accepted_deliveries", 0) - 1) for v in versions)}
    with open(path, "a", encoding="utf-8") as log:
        log.write(json.dumps(line) + "\n")


def _client_flag(client) -> str:
    if isinstance(client, dict):
        client = (client["client_id"], client["client_secret"], client["ma_truong"])
    client_id, secret, school = client
    return f"{client_id}:{secret}:{school}"


class CsdlServerProcess:
    """Context manager: starts ``python -m hocbaso.csdl.server`` on a free loopback port.

    ``clients``: (client_id, secret, school_code) tuples or dicts; none = the demo client.
    ``extra_args``: more command-line flags (e.g. ``["--token-ttl", "60"]``).
    The server's request log goes to ``tmpdir/csdl-server.log``.
    """

    def __init__(self, tmpdir, clients=(), extra_args=(), startup_timeout=20.0):
        self.tmpdir = Path(tmpdir)
        self.db_path = self.tmpdir / "csdl.sqlite"
        self.log_path = self.tmpdir / "csdl-server.log"
        self.clients = list(clients)
        self.extra_args = list(extra_args)
        self.startup_timeout = startup_timeout
        self.process = None
        self.base_url = None
        self._log = None
        self._http = requests.Session()

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        self.tmpdir.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-u", "-m", "hocbaso.csdl.server", "--port", "0",
                   "--db", str(self.db_path)]
        for client in self.clients:
            command += ["--client", _client_flag(client)]
        command += self.extra_args
        self._log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=self._log, text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"})
        lines = queue.Queue()
        # Keep draining stdout after start-up so the server never blocks on a full pipe.
        threading.Thread(target=self._pump, args=(lines,), daemon=True).start()
        try:
            while True:
                line = lines.get(timeout=self.startup_timeout)
                if line is None:
                    raise RuntimeError("The CSDL server exited during start-up; see "
                                       f"{self.log_path}:\n{self._tail()}")
                if line.startswith(READY_PREFIX):
                    self.base_url = line[len(READY_PREFIX):].strip()
                    return self
        except queue.Empty:
            self.stop()
            raise RuntimeError(f"The CSDL server did not start within {self.startup_timeout}s;"
                               f" see {self.log_path}") from None

    def _pump(self, lines):
        for line in self.process.stdout:
            lines.put(line)
        lines.put(None)

    def _tail(self):
        try:
            return self.log_path.read_text(errors="replace")[-2000:]
        except OSError:
            return ""

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        if self.process is not None and self.process.stdout:
            self.process.stdout.close()
        if self._log:
            self._log.close()
            self._log = None
        self._http.close()

    # -- admin helpers ------------------------------------------------------------------------
    def _admin(self, method, path, payload=None):
        response = self._http.request(method, self.base_url + path, json=payload,
                                      timeout=ADMIN_TIMEOUT)
        response.raise_for_status()
        return response.json()

    def set_faults(self, mode="none", count=1, delay=None) -> dict:
        return self._admin("POST", "/_admin/faults",
                           {"mode": mode, "count": count, "delay": delay})

    def faults(self) -> dict:
        return self._admin("GET", "/_admin/faults")

    def records(self, with_xml=False) -> list[dict]:
        return self._admin("GET", "/_admin/records" + ("?xml=1" if with_xml else ""))["records"]

    def record(self, id_ban_ghi) -> dict | None:
        return next((r for r in self.records() if r["id_ban_ghi"] == id_ban_ghi), None)

    def reset(self) -> None:
        self._admin("POST", "/_admin/reset")

    def seed_students(self, students) -> int:
        return self._admin("POST", "/_admin/students", {"students": list(students)})["seeded"]

    def expire_tokens(self) -> int:
        return self._admin("POST", "/_admin/expire_tokens")["expired"]

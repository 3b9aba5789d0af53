"""Deployment tests: real redis-server, gunicorn and celery processes on 127.0.0.1.

Each server is started by a fixture, polled with a bounded loop until it answers, and
stopped (process group killed) when the fixture ends. Without the programs these tests
skip, except under CI=true, where a missing program is a failure.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import test_home

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def need(program: str) -> str:
    """The program's path; skip (or, under CI=true, fail) when it is missing."""
    path = shutil.which(program) or (str(BIN / program) if (BIN / program).exists() else None)
    if path is None:
        msg = f"{program} not found (apt-get install -y redis-server / pip install -r requirements-dev.txt)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"deployment tests must run under CI=true: {msg}", pytrace=False)
        pytest.skip(msg)
    return path


def wait_until(check, timeout: float, what: str, interval: float = 0.1):
    """Poll check() until it returns a truthy value; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            value = check()
            if value:
                return value
        except Exception as e:  # noqa: BLE001 - not up yet
            last = e
        time.sleep(interval)
    raise AssertionError(f"{what} not ready after {timeout:.0f} s (last error: {last!r})")


def http_get(url: str, timeout: float = 10.0, headers: dict | None = None):
    """(status, headers, body) without raising on 4xx/5xx."""
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def _as_from_a_terminal() -> None:
    """In the child: Ctrl+C's signal back to its default. A test run started in the
    background by a non-interactive shell (`bash .ci/run &`) ignores SIGINT, and children
    inherit that, so a server would never see the Ctrl+C a test sends it."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class Proc:
    """A child process in its own process group, killed with its children on stop()."""

    def __init__(self, args: list[str], env: dict, log: Path, cwd: Path = ROOT):
        self.args, self.env, self.log_path, self.cwd = args, env, log, cwd
        self.popen: subprocess.Popen | None = None

    def start(self) -> "Proc":
        self._log = open(self.log_path, "ab")
        self.popen = subprocess.Popen(self.args, env=self.env, cwd=self.cwd, stdout=self._log,
                                      stderr=subprocess.STDOUT, start_new_session=True,
                                      preexec_fn=_as_from_a_terminal)
        return self

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout: float = 15.0) -> None:
        if self.popen is None:
            return
        if self.popen.poll() is None:
            try:
                os.killpg(self.popen.pid, sig)
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout)
            except ProcessLookupError:
                pass
        self._log.close()
        self.popen = None

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-6000:]
        except OSError:
            return ""


class Redis:
    """A throw-away redis-server (no persistence) that a test may stop and start again."""

    def __init__(self, tmp: Path):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc = Proc([need("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                          "--appendonly", "no", "--daemonize", "no", "--dir", str(tmp)],
                         dict(os.environ), tmp / f"redis-{self.port}.log")

    def ping(self) -> bool:
        with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(64).startswith(b"+PONG")

    def start(self) -> "Redis":
        self.proc.start()
        wait_until(self.ping, 10, "redis-server")
        return self

    def stop(self) -> None:
        self.proc.stop()


def base_env(**extra) -> dict:
    """The environment of a served Glimpse: the test session's trained models, no training."""
    home = test_home()
    env = dict(os.environ)
    env.update(GLIMPSE_MODEL_STORE=str(home / "models"), GLIMPSE_CACHE_DIR=str(home / "cache"),
               PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
    env.update({k: str(v) for k, v in extra.items()})
    return env


class Gunicorn:
    """`gunicorn app:server` on 127.0.0.1 with `workers` workers."""

    def __init__(self, tmp: Path, env: dict, workers: int = 2, extra_args=()):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = [need("gunicorn"), "app:server", "-b", f"127.0.0.1:{self.port}", "-w", str(workers),
                "--timeout", "120", *extra_args]
        self.proc = Proc(args, env, tmp / f"gunicorn-{self.port}.log")

    def start(self, timeout: float = 120) -> "Gunicorn":
        self.proc.start()

        def up():
            assert self.proc.alive(), self.proc.log()
            return http_get(self.url + "/_glimpse/health", timeout=5)[0] == 200
        wait_until(up, timeout, f"gunicorn on {self.url}", interval=0.5)
        return self

    def stop(self) -> None:
        self.proc.stop()


class CeleryWorker:
    """`celery -A app:celery_app worker` with its own node name."""

    def __init__(self, tmp: Path, env: dict, name: str, concurrency: int = 1):
        self.name = name
        args = [need("celery"), "-A", "app:celery_app", "worker", "-n", f"{name}@%h", "--concurrency",
                str(concurrency), "--pool", "prefork", "--loglevel", "INFO", "--without-gossip",
                "--without-mingle", "--without-heartbeat"]
        self.proc = Proc(args, env, tmp / f"celery-{name}.log")

    def start(self) -> "CeleryWorker":
        self.proc.start()
        return self

    def stop(self, sig=signal.SIGTERM) -> None:
        self.proc.stop(sig)


@pytest.fixture(scope="session")
def trained_models(service):
    """The session's models trained and stored, so servers started here load, not train."""
    return service


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    r = Redis(tmp_path_factory.mktemp("redis")).start()
    yield r
    r.stop()

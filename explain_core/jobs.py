"""Long work as jobs whose state cannot lie: each running job records its owner process
and a heartbeat in a store every process can read (the result cache, Redis, diskcache),
so any process tells a live job from a dead one within seconds.

A job runs in a thread of the process that started it, or in a Celery worker; either way
a Heartbeat beats while it runs. When the process dies the beats stop, and `liveness`
reports the job as stopped after STALE_S seconds, not minutes.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import time
from typing import Callable

log = logging.getLogger("glimpse.jobs")

HEARTBEAT_S = 1.0    # how often a running job says it is alive
STALE_S = 6.0        # a running job silent for this long is taken as dead


def owner() -> str:
    """host:pid of this process (a job's owner)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def beat_is_stale(beat: float | None, now: float | None = None, stale_s: float = STALE_S) -> bool:
    return beat is None or (now if now is not None else time.time()) - float(beat) > stale_s


def owner_gone(job_owner: str | None) -> bool:
    """True when the owner ran on this host and its process no longer exists (a fast
    answer before the heartbeat goes stale). Another host's owner: unknown, False."""
    if not job_owner or ":" not in job_owner:
        return False
    host, _, pid = job_owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return _is_zombie(int(pid))


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0] == b"Z"
    except (OSError, IndexError):
        return False


def is_dead(record: dict | None, now: float | None = None, stale_s: float = STALE_S) -> bool:
    """A job record {'state': 'running', 'owner', 'beat'} whose owner stopped beating."""
    if not record or record.get("state") != "running":
        return False
    return owner_gone(record.get("owner")) or beat_is_stale(record.get("beat"), now, stale_s)


class Heartbeat:
    """Calls `beat()` every `interval` seconds in a daemon thread while the block runs.

        with Heartbeat(lambda: store.touch(job)):
            long_work()

    A failing beat is logged, not raised: the work goes on, and readers see a stale
    heartbeat only if beats keep failing."""

    def __init__(self, beat: Callable[[], None], interval: float = HEARTBEAT_S):
        self.beat = beat
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> "Heartbeat":
        self._safe_beat()
        self._thread = threading.Thread(target=self._run, name="glimpse-heartbeat", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(self.interval + 1.0)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._safe_beat()

    def _safe_beat(self) -> None:
        try:
            self.beat()
        except Exception:  # noqa: BLE001 - a store outage must not kill the job
            log.warning("job heartbeat failed", exc_info=True)

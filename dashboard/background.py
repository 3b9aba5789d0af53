"""Dash background callbacks (CSV training) without forking a process that ran torch.

Dash's DiskcacheManager starts each job as a fork of the web process. Once that process
has run torch, its OpenMP thread pool does not survive the fork: the child's first
parallel op waits for pool threads that do not exist, in a futex, for ever (under
`gunicorn app:server`, view any explanation, then train on a CSV). So the default here
runs each job in a *thread* of the web process instead: same diskcache store for
progress and results (any gunicorn worker can answer the page's polls), no fork.
With GLIMPSE_JOBS=celery, Dash's CeleryManager runs the jobs in Celery workers, which
are processes started on their own (app.make_background_manager).

A job records its owner (host:pid) and a heartbeat in the store. A job whose process
died (a killed or restarted worker) stops beating; the page's next poll then gets a
clear message instead of a progress bar that silently disappears.
"""
from __future__ import annotations

import threading
import time
import uuid

from dash import DiskcacheManager

from explain_core import jobs

JOB_PREFIX = "glimpse-job:"
DIED = ("The job stopped before it finished: the server process running it ended "
        "(restarted or killed). Nothing was lost from the page; start it again.")


class ThreadJobManager(DiskcacheManager):
    """A DiskcacheManager whose jobs run in threads of this process, with heartbeats."""

    def __init__(self, cache, cache_by=None, expire=None, stale_s: float = jobs.STALE_S):
        super().__init__(cache, cache_by=cache_by, expire=expire)
        self.stale_s = stale_s

    # -------------------------------------------------------------- job records
    def _record(self, job) -> dict | None:
        value = self.handle.get(JOB_PREFIX + str(job))
        return value if isinstance(value, dict) else None

    def _write(self, job: str, **fields) -> None:
        record = self._record(job) or {}
        record.update(fields)
        self.handle.set(JOB_PREFIX + job, record, expire=24 * 3600)

    # ------------------------------------------------------------ manager API
    def call_job_fn(self, key, job_fn, args, context):
        job = f"{jobs.owner()}:{uuid.uuid4().hex[:12]}"
        self._write(job, state="running", owner=jobs.owner(), beat=time.time(), started=time.time())

        def run():
            try:
                with jobs.Heartbeat(lambda: self._write(job, beat=time.time())):
                    job_fn(key, self._make_progress_key(key), args, context)
            finally:
                self._write(job, state="finished", finished=time.time())

        threading.Thread(target=run, name=f"glimpse-job-{job[-12:]}", daemon=True).start()
        return job

    def job_running(self, job):
        record = self._record(job)
        return bool(record) and record.get("state") == "running" and not jobs.is_dead(record, stale_s=self.stale_s)

    def job_died(self, job) -> bool:
        return jobs.is_dead(self._record(job), stale_s=self.stale_s)

    def terminate_job(self, job):
        """A thread cannot be killed: a finished job's record is dropped; a running job
        finishes on its own (its result is then never read)."""
        if job is not None and not self.job_running(job):
            self.handle.delete(JOB_PREFIX + str(job))

    def terminate_unhealthy_job(self, job):
        if self.job_died(job):
            self.handle.delete(JOB_PREFIX + str(job))
            return True
        return False

    def get_result(self, key, job):
        result = super().get_result(key, job)
        if result is self.UNDEFINED and job is not None and self.job_died(job):
            # the callback's on_error shows this in the page (a dead job has no result)
            self.handle.delete(JOB_PREFIX + str(job))
            return {"background_callback_error": {"msg": DIED, "tb": ""}}
        return result


def background_error_message(error: Exception) -> str:
    """The user-facing part of Dash's BackgroundCallbackError ('An error occurred inside a
    background callback: <msg>\\n<traceback>')."""
    text = str(error)
    prefix = "An error occurred inside a background callback: "
    if text.startswith(prefix):
        text = text[len(prefix):]
    first = text.strip().splitlines()[0] if text.strip() else type(error).__name__
    return first[:400]

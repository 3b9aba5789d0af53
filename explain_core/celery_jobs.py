"""Background work on Celery (GLIMPSE_JOBS=celery): Redis is broker and result backend,
and the work runs in Celery workers, processes started on their own
(`celery -A app:celery_app worker`), never forks of a web process that ran torch.

Dataset precompute is split into chunks of `chunk_size` samples, one task each, which
any number of workers on any number of machines (sharing Redis and the model store)
take in parallel. Each chunk writes its progress and a heartbeat into the job's board,
a Redis hash; the page reads the board and adds the chunks up. Tasks are acknowledged
late: a worker killed mid-chunk leaves its task unacknowledged, and Redis hands it to
another worker (at once when only the pool process died, after the visibility timeout
when the whole worker did). A chunk delivered MAX_ATTEMPTS times without finishing, or
failing with an error, fails the job; what was computed stays cached.
"""
from __future__ import annotations

import json
import logging
import os
import time
import uuid

from . import jobs
from .errors import GlimpseError

log = logging.getLogger("glimpse.celery")

MAX_ATTEMPTS = 3
BOARD_TTL_S = 7 * 24 * 3600
CURRENT = "glimpse:precompute:current"      # id of the latest precompute job
UNAVAILABLE = ("Redis is not reachable, so precompute on the Celery workers is unavailable for now; "
               "explanations are still computed on demand. Try again when Redis is back.")
TASK = "glimpse.precompute_chunk"


def redis_url(settings) -> str:
    return settings.redis_url or settings.cache_url or "redis://127.0.0.1:6379/0"


def visibility_timeout_s() -> int:
    """How long a task taken by a worker that vanished waits before another worker gets it.
    Longer than any one task (a chunk, a CSV training) must run."""
    return int(os.environ.get("GLIMPSE_CELERY_VISIBILITY_S", "300"))


def make_celery(settings, service):
    """The Celery app of this deployment, with the precompute task bound to `service`.
    Built the same way by the web processes and the workers (both import app.py)."""
    import redis
    from celery import Celery

    url = redis_url(settings)
    app = Celery("glimpse", broker=url, backend=url)
    app.conf.update(
        task_acks_late=True, task_reject_on_worker_lost=True, worker_prefetch_multiplier=1,
        task_track_started=True, result_expires=24 * 3600, broker_connection_retry_on_startup=True,
        broker_transport_options={"visibility_timeout": visibility_timeout_s()},
        task_serializer="json", result_serializer="json", accept_content=["json"],
        worker_hijack_root_logger=False, worker_send_task_events=False,
    )
    client = redis.from_url(url, socket_timeout=5, socket_connect_timeout=2)

    @app.task(name=TASK, bind=True)
    def precompute_chunk(task, job, index, model_id, methods, sample_ids):
        result = run_chunk(service, Board(client, job), index, model_id, methods, sample_ids)
        if result["state"] == "retrying":
            raise task.retry(countdown=1, max_retries=MAX_ATTEMPTS)
        return result

    app.glimpse_redis = client
    return app


class Board:
    """One precompute job's state in a Redis hash: 'meta' plus per-chunk fields."""

    def __init__(self, client, job: str):
        self.client, self.job, self.key = client, job, f"glimpse:job:{job}"

    def set(self, index: int | None = None, **fields) -> None:
        mapping = {(f"{k}:{index}" if index is not None else k): (json.dumps(v) if isinstance(v, (dict, list)) else v)
                   for k, v in fields.items()}
        pipe = self.client.pipeline()
        pipe.hset(self.key, mapping=mapping)
        pipe.expire(self.key, BOARD_TTL_S)
        pipe.execute()

    def attempt(self, index: int) -> int:
        return int(self.client.hincrby(self.key, f"attempts:{index}", 1))

    def cancelled(self) -> bool:
        return self.client.hget(self.key, "cancel") is not None

    def read(self) -> dict:
        return {k.decode(): v.decode() for k, v in self.client.hgetall(self.key).items()}


def run_chunk(service, board: Board, index: int, model_id: str, methods, sample_ids) -> dict:
    """A worker's part of a precompute job: `sample_ids` of `model_id` through service.precompute."""
    if board.cancelled():
        board.set(index, state="cancelled")
        return {"state": "cancelled"}
    attempt = board.attempt(index)
    if attempt > MAX_ATTEMPTS:
        error = f"a worker stopped during this chunk {MAX_ATTEMPTS} times"
        board.set(index, state="failed", error=error)
        return {"state": "failed", "error": error}
    board.set(index, state="running", owner=jobs.owner(), beat=time.time(), done=0)
    try:
        with jobs.Heartbeat(lambda: board.set(index, beat=time.time())):
            counts = service.precompute(model_id, list(methods), sample_ids=list(sample_ids),
                                        progress=lambda done, total: board.set(index, done=done),
                                        should_stop=board.cancelled)
    except GlimpseError as e:
        board.set(index, state="failed", error=str(e))
        return {"state": "failed", "error": str(e)}
    except Exception as e:    # a bug or an outage: a later delivery may succeed
        log.exception("precompute chunk %s of job %s failed", index, board.job)
        state = "failed" if attempt >= MAX_ATTEMPTS else "retrying"
        board.set(index, state=state, error=f"{type(e).__name__}: {e}")
        return {"state": state, "error": str(e)}
    state = "cancelled" if counts.get("cancelled") else "done"
    board.set(index, state=state, done=counts["computed"] + counts["already_cached"],
              counts={k: counts[k] for k in ("computed", "already_cached", "seconds")})
    return {"state": state}


def aggregate(fields: dict, now: float | None = None, stale_s: float = jobs.STALE_S) -> dict:
    """The page's job status (the same shape as the thread runner's) from a board's fields."""
    now = time.time() if now is None else now
    meta = json.loads(fields["meta"])
    n, per_chunk = meta["chunks"], meta["results_per_chunk"]
    states = [fields.get(f"state:{i}", "queued") for i in range(n)]
    done = sum(per_chunk[i] if s == "done" else int(float(fields.get(f"done:{i}", 0) or 0))
               for i, s in enumerate(states))
    counts = {"computed": 0, "already_cached": 0, "seconds": 0.0}
    for i in range(n):
        for k, v in json.loads(fields.get(f"counts:{i}", "{}")).items():
            counts[k] = counts.get(k, 0) + v
    status = {"job": meta["job"], "model_id": meta["model_id"], "methods": meta["methods"], "done": done,
              "total": meta["total"], "samples": meta["samples"], "started": meta["started"],
              "counts": counts, "error": None, "warning": None, "chunks": n,
              "chunk_states": {s: states.count(s) for s in set(states)}}
    failed = [i for i, s in enumerate(states) if s == "failed"]
    running = [i for i, s in enumerate(states) if s in ("running", "retrying")]
    alive = [i for i in running if not jobs.beat_is_stale(fields.get(f"beat:{i}"), now, stale_s)]
    if failed:
        i = failed[0]
        status.update(state="failed", error=f"Part {i + 1} of {n} failed ({fields.get(f'error:{i}', 'unknown')}). "
                                            f"{done:,} of {meta['total']:,} results were computed and stay cached; "
                                            "start again to finish.")
    elif all(s in ("done", "cancelled") for s in states):
        status.update(state="cancelled" if "cancel" in fields else "done")
    elif "cancel" in fields and not alive:
        status.update(state="cancelled")
    else:
        status.update(state="running")
        if running and not alive:
            status["warning"] = (f"A worker stopped at {done:,} of {meta['total']:,}; its part is handed to another "
                                 "worker (computed results are kept).")
        elif not running and done == 0 and now - meta["started"] > stale_s:
            status["warning"] = "Waiting for a worker: is `celery -A app:celery_app worker` running?"
    if status["state"] != "running":
        status["finished"] = max([float(fields.get(f"beat:{i}", 0) or 0) for i in range(n)] + [meta["started"]])
    return status


class CeleryPrecompute:
    """The precompute panel's job runner on Celery (the same methods as the thread runner)."""

    def __init__(self, service, celery_app, chunk_size: int | None = None):
        self.service, self.celery = service, celery_app
        self.client = celery_app.glimpse_redis
        self.chunk_size = int(chunk_size or service.settings.chunk_size)

    def _board(self) -> Board | None:
        job = self.client.get(CURRENT)
        return Board(self.client, job.decode()) if job else None

    def status(self) -> dict:
        try:
            board = self._board()
            fields = board.read() if board else {}
        except Exception:  # noqa: BLE001 - Redis away: say so instead of failing the panel
            log.warning("cannot read the precompute job from Redis", exc_info=True)
            return {"state": "idle", "error": UNAVAILABLE}
        return aggregate(fields) if "meta" in fields else {"state": "idle"}

    def running(self) -> bool:
        return self.status().get("state") == "running"

    def start(self, model_id: str, methods) -> dict:
        from .precompute import check_request

        self._require_redis()
        methods = check_request(self.service, model_id, methods, busy=self.running())
        n = len(self.service.samples(model_id).predictions)
        parts = [list(range(lo, min(n, lo + self.chunk_size))) for lo in range(0, n, self.chunk_size)]
        job = uuid.uuid4().hex[:16]
        board = Board(self.client, job)
        board.set(meta={"job": job, "model_id": model_id, "methods": list(methods), "chunks": len(parts),
                        "results_per_chunk": [len(p) * len(methods) for p in parts], "samples": n,
                        "total": n * len(methods), "started": time.time(), "owner": jobs.owner()})
        self.client.set(CURRENT, job, ex=BOARD_TTL_S)
        for i, ids in enumerate(parts):
            self.celery.send_task(TASK, args=[job, i, model_id, list(methods), ids])
        return self.status()

    def cancel(self) -> None:
        self._require_redis()
        board = self._board()
        if board is not None:
            board.set(cancel="1")

    def _require_redis(self) -> None:
        """A clear message instead of a send that retries against a broker that is away."""
        try:
            self.client.ping()
        except Exception:  # noqa: BLE001 - any connection failure means the same to the user
            raise GlimpseError(UNAVAILABLE) from None

    def wait(self, timeout: float | None = None) -> dict:
        deadline = time.monotonic() + (timeout if timeout is not None else 3600)
        while self.running() and time.monotonic() < deadline:
            time.sleep(0.2)
        return self.status()

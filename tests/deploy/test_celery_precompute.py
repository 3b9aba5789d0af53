"""Dataset precompute on Celery: chunks taken by several workers; a worker killed mid-job
leaves its chunk unacknowledged, another worker takes it, and the job still finishes with
every sample served from the shared Redis cache. Real redis-server and celery processes."""
from __future__ import annotations

import json
import signal
import time

import pytest

from explain_core import ExplanationService
from explain_core.celery_jobs import Board, CeleryPrecompute, aggregate, make_celery
from tests.deploy.conftest import CeleryWorker, Redis, base_env, wait_until

pytestmark = pytest.mark.slow


@pytest.fixture
def cluster(tmp_path, settings, service):
    """A fresh Redis, a service of this test process wired to it, and a factory of workers."""
    redis = Redis(tmp_path).start()
    env = base_env(GLIMPSE_JOBS="celery", GLIMPSE_REDIS_URL=redis.url, GLIMPSE_CHUNK_SIZE=250,
                   GLIMPSE_CELERY_VISIBILITY_S=6)
    local = ExplanationService(settings.with_(jobs="celery", redis_url=redis.url, cache_type="redis",
                                              cache_url=redis.url))
    celery_app = make_celery(local.settings, local)
    workers: list[CeleryWorker] = []

    def worker(name):
        w = CeleryWorker(tmp_path, env, name).start()
        workers.append(w)
        return w
    yield local, CeleryPrecompute(local, celery_app, chunk_size=250), worker
    for w in workers:
        w.stop(signal.SIGKILL)
    redis.stop()


def test_a_killed_worker_s_chunk_is_retried_and_the_job_finishes(cluster):
    service, jobs, worker = cluster
    a = worker("a")
    b = worker("b")
    started = jobs.start("mnist-cnn", ["integrated_gradients"])
    assert started["state"] == "running" and started["chunks"] == 20 and started["total"] == 5000

    # wait until worker a (its pool process) is in the middle of a chunk, then kill it
    def chunk_of_a():
        import psutil

        root = psutil.Process(a.proc.popen.pid)
        pids = {p.pid for p in [root, *root.children(recursive=True)]}
        fields = jobs._board().read()
        for key, state in fields.items():
            index = key.split(":")[1] if key.startswith("state:") else None
            if state == "running" and int(fields.get(f"owner:{index}", "x:0").rsplit(":", 1)[1]) in pids:
                return int(index) + 1      # truthy even for chunk 0
        return None
    killed_chunk = wait_until(chunk_of_a, 120, "worker a working on a chunk") - 1
    a.stop(signal.SIGKILL)
    status = jobs.wait(240)
    assert status["state"] == "done", status
    assert status["done"] == status["total"] == 5000
    fields = jobs._board().read()
    assert int(fields[f"attempts:{killed_chunk}"]) >= 2         # delivered again after the kill
    assert not a.proc.alive() and b.proc.alive()
    # every digit is now served from the shared cache, whoever computed it
    assert all(service.cached("mnist-cnn", i, "integrated_gradients") for i in range(5000))


def test_cancel_stops_every_chunk_and_keeps_what_was_computed(cluster):
    service, jobs, worker = cluster
    worker("a")
    jobs.start("mnist-cnn", ["smoothgrad"])
    wait_until(lambda: jobs.status()["done"] > 0, 120, "the first results")
    jobs.cancel()
    status = jobs.wait(120)
    assert status["state"] == "cancelled", status
    done = sum(service.cached("mnist-cnn", i, "smoothgrad") for i in range(5000))
    assert 0 < done < 5000
    assert not jobs.running()        # a new job may start


def test_the_job_board_adds_chunks_up():
    """aggregate() on hand-written boards: progress, a dead worker's chunk, failure, done."""
    now = time.time()
    meta = {"job": "j", "model_id": "m", "methods": ["ig"], "chunks": 3, "results_per_chunk": [4, 4, 2],
            "samples": 10, "total": 10, "started": now - 30}
    base = {"meta": json.dumps(meta)}
    s = aggregate({**base, "state:0": "done", "state:1": "running", "done:1": "3", "beat:1": str(now)}, now)
    assert s["state"] == "running" and s["done"] == 7 and not s["warning"]
    s = aggregate({**base, "state:0": "done", "state:1": "running", "done:1": "3", "beat:1": str(now - 60)}, now)
    assert s["state"] == "running" and "stopped at 7 of 10" in s["warning"]
    s = aggregate({**base, "state:0": "done", "state:1": "failed", "error:1": "boom"}, now)
    assert s["state"] == "failed" and "Part 2 of 3 failed (boom)" in s["error"] and "4 of 10" in s["error"]
    s = aggregate({**base, "state:0": "done", "state:1": "done", "state:2": "done",
                   "counts:0": json.dumps({"computed": 4, "already_cached": 0, "seconds": 1.0})}, now)
    assert s["state"] == "done" and s["done"] == 10 and s["counts"]["computed"] == 4
    s = aggregate({**base, "cancel": "1", "state:0": "done"}, now)
    assert s["state"] == "cancelled"
    s = aggregate(base, now)
    assert s["state"] == "running" and "Waiting for a worker" in s["warning"]


def test_a_chunk_past_its_attempts_fails_the_job(cluster):
    service, jobs, _ = cluster
    from explain_core.celery_jobs import MAX_ATTEMPTS, run_chunk

    board = Board(jobs.client, "manual")
    board.set(meta={"job": "manual", "model_id": "wine-mlp", "methods": ["saliency"], "chunks": 1,
                    "results_per_chunk": [3], "samples": 3, "total": 3, "started": time.time()})
    for _ in range(MAX_ATTEMPTS):
        board.attempt(0)        # three deliveries that died
    assert run_chunk(service, board, 0, "wine-mlp", ["saliency"], [0, 1, 2])["state"] == "failed"
    assert aggregate(board.read())["state"] == "failed"


def test_with_redis_away_the_panel_says_precompute_is_unavailable(cluster):
    """Celery's broker gone: Start and Cancel answer at once with a message, the panel
    opens with it, nothing raises (explanations still work on demand)."""
    from dashboard import ids
    from dashboard.precompute import job_action

    import redis as redis_lib

    service, jobs, _ = cluster
    where = jobs.client.connection_pool.connection_kwargs
    redis_lib.Redis(host=where["host"], port=where["port"]).shutdown(nosave=True)
    titles = {"integrated_gradients": "Integrated gradients"}
    for trigger in (ids.PRECOMPUTE_START, ids.PRECOMPUTE_CANCEL, ids.PRECOMPUTE_TOGGLE):
        out = job_action(jobs, titles, trigger, "wine-mlp", ["integrated_gradients"])
        assert "Redis is not reachable" in str(out[2]), (trigger, out)
        assert out[5] is False                    # Start stays usable

"""The Redis result cache against a real redis-server that stops, hangs and comes back."""
from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time

import pytest

from explain_core import Settings
from explain_core.cache import InProcessCache, make_cache
from explain_core.resilient_cache import NOTICE, ResilientCache, redacted
from tests.deploy.conftest import Redis, wait_until


@pytest.fixture()
def redis(tmp_path):
    r = Redis(tmp_path).start()
    yield r
    if r.proc.popen is not None:
        os.kill(r.proc.popen.pid, signal.SIGCONT)   # a test may leave it stopped
    r.stop()


def cache(url, **kw) -> ResilientCache:
    return ResilientCache(url, InProcessCache(default_timeout=0), retry_s=kw.pop("retry_s", 0.3), **kw)


def outage_warnings(caplog) -> int:
    return sum("is not answering" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)


def test_results_are_shared_through_redis(redis):
    a, b = cache(redis.url), cache(redis.url)          # two processes' caches
    a.set("k", {"x": 1})
    assert b.get("k") == {"x": 1} and b.has("k")
    assert a.status() == {"shared": True, "degraded": False,
                          "message": f"Results are shared through Redis ({redis.url})."}


def test_redis_stopped_serves_from_memory_warns_once_and_comes_back(redis, caplog):
    caplog.set_level(logging.WARNING, logger="glimpse.cache")
    a, b = cache(redis.url), cache(redis.url)
    a.set("before", 1)
    redis.stop()
    t0 = time.perf_counter()
    assert a.get("before") is None                      # it lived in Redis only
    a.set("during", 2)
    assert a.get("during") == 2 and a.has("during")
    for i in range(200):
        a.set(f"n{i}", i)
        assert a.get(f"n{i}") == i
    assert time.perf_counter() - t0 < 1.0               # 400+ calls while Redis is down
    assert a.degraded and a.status() == {"shared": False, "degraded": True, "message": NOTICE}
    time.sleep(0.4)
    a.get("x")                                          # a retry that fails again: still one warning
    assert outage_warnings(caplog) == 1

    redis.start()
    wait_until(lambda: not a.status()["degraded"], 5, "the cache noticing Redis is back")
    assert not a.degraded and a.status()["shared"]
    a.set("after", 3)
    assert b.get("after") == 3                          # shared again
    assert a.get("during") == 2 and b.get("during") is None   # outage writes stayed in a's process
    assert any("is back" in r.getMessage() for r in caplog.records)


def test_a_restart_between_two_calls_costs_no_outage(redis):
    a = cache(redis.url)
    a.set("k", 1)
    redis.stop()
    redis.start()                                       # pooled connection now dead
    a.set("k", 2)                                       # replaced on the spot (one retry)
    assert not a.degraded and a.get("k") == 2


def test_a_hung_redis_costs_one_socket_timeout_per_retry_period(redis):
    a = cache(redis.url, retry_s=5.0, socket_timeout=0.3)
    a.set("k", 1)
    os.kill(redis.proc.popen.pid, signal.SIGSTOP)       # accepts connections, never answers
    try:
        t0 = time.perf_counter()
        assert a.get("k") is None
        first = time.perf_counter() - t0
        t1 = time.perf_counter()
        for _ in range(50):
            a.set("k2", 2)
            assert a.get("k2") == 2
        rest = time.perf_counter() - t1
    finally:
        os.kill(redis.proc.popen.pid, signal.SIGCONT)
    assert 0.2 < first < 1.5                            # the socket timeout, once
    assert rest < 0.2                                   # then memory, without waiting
    assert a.degraded


def test_a_cache_built_from_settings_is_resilient(redis):
    settings = Settings.from_env({"GLIMPSE_CACHE_TYPE": "redis", "GLIMPSE_REDIS_URL": redis.url})
    c = make_cache(settings)
    assert isinstance(c, ResilientCache)
    redis.stop()
    c.set("k", 1)
    assert c.get("k") == 1 and c.degraded


def test_the_password_stays_out_of_messages():
    assert redacted("redis://:s3cret@db:6379/0") == "redis://:***@db:6379/0"
    assert redacted("redis://me:s3cret@db:6379/0") == "redis://me:***@db:6379/0"
    assert redacted("redis://db:6379/0") == "redis://db:6379/0"


def test_a_precompute_job_runs_and_reports_while_redis_is_down(settings, redis):
    """The precompute panel keeps its job status and cancel key in service.cache."""
    from dashboard.precompute import PrecomputeJobs
    from explain_core import ExplanationService

    svc = ExplanationService(settings, cache=cache(redis.url))
    svc.ensure_models(model_ids=["wine-mlp"])
    redis.stop()
    jobs = PrecomputeJobs(svc)
    jobs.start("wine-mlp", ["saliency"])
    status = jobs.wait(60)
    assert status["state"] == "done", status
    assert status["done"] == status["total"] == len(svc.samples("wine-mlp").predictions)
    assert svc.cache.degraded and svc.cached("wine-mlp", 5, "saliency")   # kept in this process


def test_threads_using_redis_as_it_stops_get_answers_not_exceptions(redis):
    """A gunicorn worker's threads share one connection pool: the thread that first sees
    Redis gone must not close the sockets others are reading (their read then raised
    ValueError 'I/O operation on closed file', which failed the click)."""
    a = cache(redis.url, retry_s=0.2)
    failures: list[str] = []
    stop = threading.Event()

    def user(u: int) -> None:
        n = 0
        while not stop.is_set():
            n += 1
            key = f"u{u}:{n % 40}"
            try:
                if a.get(key) is None:
                    a.set(key, b"x" * 7000)        # about an IG map's size
            except Exception as e:  # noqa: BLE001 - what the test looks for
                failures.append(f"{type(e).__name__}: {e}")

    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)                   # threads interleave as on a loaded machine
    threads = [threading.Thread(target=user, args=(u,)) for u in range(12)]
    try:
        for t in threads:
            t.start()
        for _ in range(4):
            time.sleep(0.5)
            redis.stop()
            time.sleep(0.5)
            redis.start()
    finally:
        stop.set()
        for t in threads:
            t.join(30)
        sys.setswitchinterval(switch)
    assert not failures, (len(failures), sorted(set(failures))[:5])
    wait_until(lambda: not a.status()["degraded"], 5, "the cache noticing Redis is back")

"""Redis stopped for 10 s under a 20-user load on `gunicorn -w 2` with the Redis cache: no
response >= 500, and once Redis is back the workers share results through it again."""
from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from bench.load import MODEL, Tally, click, page_of, run_load, warm_up
from tests.deploy.conftest import Gunicorn, Redis, base_env, wait_until

pytestmark = pytest.mark.slow


def each_worker(url: str, workers: int = 2, tries: int = 20) -> dict[int, dict]:
    """/_glimpse/status of every worker (parallel requests until each pid answered)."""
    seen: dict[int, dict] = {}
    with ThreadPoolExecutor(8) as pool:
        for _ in range(tries):
            for status in pool.map(lambda _: requests.get(url + "/_glimpse/status", timeout=10).json(), range(8)):
                seen[status["pid"]] = status
            if len(seen) >= workers:
                return seen
            time.sleep(0.2)
    raise AssertionError(f"only workers {sorted(seen)} answered")


def logged_errors(server: Gunicorn) -> str:
    """The server log's ERROR records with their tracebacks (a failed callback's "ref"
    in the page names one of them), for an assertion's message."""
    text = server.proc.log_path.read_text(errors="replace")
    records = re.split(r"\n(?=\[?\d{4}-\d\d-\d\d )", text)      # a record starts with its date
    return "\n".join(r for r in records if re.search(r"\bERROR\b", r.split("\n", 1)[0]))[-8000:] or "(no ERROR in the log)"


@pytest.fixture()
def served(tmp_path, trained_models):
    redis = Redis(tmp_path).start()
    env = base_env(GLIMPSE_CACHE_TYPE="redis", GLIMPSE_CACHE_URL=redis.url)
    server = Gunicorn(tmp_path, env, workers=2).start()
    wait_until(lambda: all(requests.get(server.url + "/_glimpse/health", timeout=5).json()["ready"]
                           for _ in range(4)), 120, "both workers' models", interval=0.5)
    yield server, redis
    server.stop()
    redis.stop()


def test_redis_down_under_load_no_5xx_and_shared_again_after(served):
    server, redis = served
    warm_up(server.url, rounds=3)

    window = []

    def outage():
        time.sleep(5)
        redis.stop()
        window.append(time.monotonic())
        time.sleep(10)
        window.append(time.monotonic())
        redis.start()

    tally = Tally()
    result = run_load(server.url, users=20, seconds=25, flood=0, during=outage, tally=tally)
    assert result["errors"] == {"5xx": 0, "4xx": 0, "no_answer": 0}, (result, logged_errors(server))
    assert result["messages"] == 0, (result["message_examples"], logged_errors(server))
    during = [status for t, status in tally.answered if window[0] < t < window[1]]
    assert len(during) >= 40 and set(during) == {200}, (len(during), set(during))   # the outage was under load
    assert result["uncached"]["n"] > 20 and result["cached"]["n"] > 20, result
    log = server.proc.log()
    assert "is not answering" in log and "Traceback" not in log, log   # warned (once per outage: unit-tested)

    # every worker notices Redis is back (a status request retries it)...
    wait_until(lambda: all(not s["cache"]["degraded"] for s in each_worker(server.url).values()), 30,
               "both workers back on Redis", interval=0.5)
    # ... and a map one worker computes now is served by the other from Redis
    before = each_worker(server.url)
    body = page_of(server.url).gradient(MODEL, 4900, "integrated_gradients")
    with requests.Session() as s:
        _, status, _ = click(s, server.url, body)
    assert status == 200
    for _ in range(10):
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda _: click(requests.Session(), server.url, body), range(16)))
        after = each_worker(server.url)
        if all(after[p]["stats"]["hits"] > before[p]["stats"]["hits"] for p in before):
            break
    misses = {p: after[p]["stats"]["misses"] - before[p]["stats"]["misses"] for p in before}
    hits = {p: after[p]["stats"]["hits"] - before[p]["stats"]["hits"] for p in before}
    assert sorted(misses.values()) == [0, 1], (misses, hits)     # computed once, by one worker
    assert all(h > 0 for h in hits.values()), (misses, hits)     # and served by both
    import redis as redis_py

    keys = redis_py.Redis(port=redis.port).keys("glimpse:r:*integrated_gradients*")
    assert keys                                          # written to the restarted (empty) Redis

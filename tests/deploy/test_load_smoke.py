"""A short run of the load bench (bench/load.py) against `gunicorn -w 2 --threads 4` with the
Redis cache: 20 users, one of them flooding LIME at 20,000 samples, and not one error.
The 60 s run with latency targets is `python -m bench load` (docs/PERFORMANCE.md, Load)."""
from __future__ import annotations

import pytest
import requests

from bench.load import run_load, warm_up
from tests.deploy.conftest import Gunicorn, Redis, base_env, wait_until

pytestmark = pytest.mark.slow


def test_twenty_users_and_a_lime_flood_get_no_errors(tmp_path, trained_models):
    redis = Redis(tmp_path).start()
    server = Gunicorn(tmp_path, base_env(GLIMPSE_CACHE_TYPE="redis", GLIMPSE_CACHE_URL=redis.url), workers=2,
                      extra_args=("--threads", "4"))
    try:
        server.start()
        wait_until(lambda: all(requests.get(server.url + "/_glimpse/health", timeout=5).json()["ready"]
                               for _ in range(4)), 120, "both workers' models", interval=0.5)
        warm_up(server.url, rounds=2)
        result = run_load(server.url, users=20, seconds=5, flood=1)
    finally:
        server.stop()
        redis.stop()
    assert result["error_count"] == 0, result
    assert result["messages"] == 0, result["message_examples"]
    assert result["flood"]["n"] >= 1                     # the flood ran (and finished)
    assert result["cached"]["n"] + result["uncached"]["n"] >= 40

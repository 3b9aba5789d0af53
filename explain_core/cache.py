"""Result cache built on Flask-Caching's backend classes (usable without a Flask app)."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from flask_caching.backends import FileSystemCache, NullCache, SimpleCache

from .config import Settings

NO_TIMEOUT = 0  # results never expire: a key names the exact model weights and sample


class InProcessCache(SimpleCache):
    """SimpleCache whose entries without a timeout survive pruning.

    cachelib's SimpleCache prunes "expired" entries with `expires < now`, which is true
    of every never-expiring entry (expires == 0): going over the threshold wiped the
    whole cache. Here only entries that really expired go, then the oldest inserted.
    """

    def _remove_expired(self, now: float) -> None:
        for k in [k for k, (expires, _) in self._cache.items() if 0 < expires < now]:
            self._cache.pop(k, None)

    def _remove_older(self) -> None:
        for k in list(self._cache):  # dicts keep insertion order: oldest first
            if not self._over_threshold():
                break
            self._cache.pop(k, None)


def make_cache(settings: Settings):
    kind = settings.cache_type
    if kind == "simple":
        return InProcessCache(threshold=settings.cache_threshold, default_timeout=NO_TIMEOUT)
    if kind == "filesystem":
        folder = Path(settings.cache_dir) / "results"
        folder.mkdir(parents=True, exist_ok=True)
        return FileSystemCache(str(folder), threshold=settings.cache_threshold * 4, default_timeout=NO_TIMEOUT)
    if kind == "redis":   # Redis while it answers, this process's memory while it does not
        from .resilient_cache import ResilientCache

        local = InProcessCache(threshold=settings.cache_threshold, default_timeout=NO_TIMEOUT)
        return ResilientCache(settings.cache_url or "redis://127.0.0.1:6379/0", local)
    if kind == "null":
        return NullCache()
    raise ValueError(f"unknown cache type {kind!r} (simple, filesystem, redis, null)")


def result_key(model_hash: str, sample_key: str, method: str, params: dict) -> str:
    """(model content hash, sample key, method, normalised params) -> a short stable key."""
    blob = json.dumps(params, sort_keys=True, default=str, separators=(",", ":"))
    digest = hashlib.sha1(blob.encode()).hexdigest()[:16]
    return f"r:{model_hash}:{sample_key}:{method}:{digest}"


def cache_status(cache, kind: str) -> dict:
    """{'shared': bool, 'degraded': bool, 'message': str} for the page: whether results are
    shared between processes now, and whether a shared cache is missing (Redis down)."""
    status = getattr(cache, "status", None)
    if callable(status):
        return status()
    shared = kind in ("filesystem", "redis")
    return {"shared": shared, "degraded": False,
            "message": f"Results are kept in the {kind} cache" + ("." if shared else " of this server process.")}

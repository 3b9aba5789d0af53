"""The Redis result cache that keeps serving when Redis does not answer.

Every gunicorn worker (and every machine) shares results through Redis. When Redis stops
answering, a request must not fail: this cache then reads and writes a per-process
in-memory cache, logs one WARNING for the outage, reports itself degraded (the page
shows a notice) and tries Redis again at most every `retry_s` seconds. Short socket
timeouts and no client-side retries keep a dead Redis to milliseconds per request
(a refused connection) or `socket_timeout` at worst (a hung one), once per retry period.

Writes made during an outage stay in the process; after Redis is back, a key Redis
does not have is still looked up in the process's memory, so nothing computed during
the outage is computed again there.
"""
from __future__ import annotations

import logging
import threading
import time
from urllib.parse import urlsplit, urlunsplit

from cachelib import BaseCache
from flask_caching.backends import RedisCache

log = logging.getLogger("glimpse.cache")

NOTICE = "Shared cache unavailable: results are kept in this server process only until Redis is back."


def redacted(url: str) -> str:
    """The URL without its password, for logs and messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[-1]
    user = f"{parts.username}:***@" if parts.username else ":***@"
    return urlunsplit(parts._replace(netloc=user + netloc))


class ResilientCache(BaseCache):
    """Redis while it answers; this process's memory (`local`) while it does not."""

    def __init__(self, url: str, local: BaseCache, key_prefix: str = "glimpse:", retry_s: float = 1.5,
                 connect_timeout: float = 0.25, socket_timeout: float = 1.0):
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        super().__init__(default_timeout=0)
        # one retry, for connection errors only: a pooled connection that Redis closed
        # (a restart) is replaced at once; a dead Redis refuses the new one in ~1 ms
        self.client = redis.from_url(url, socket_connect_timeout=connect_timeout, socket_timeout=socket_timeout,
                                     retry=Retry(NoBackoff(), 1, supported_errors=(redis.ConnectionError,)))
        self.shared = RedisCache(host=self.client, default_timeout=0, key_prefix=key_prefix)
        self.local = local
        self.url = redacted(url)
        self.retry_s = retry_s
        self._errors = (redis.RedisError, OSError)
        self._lock = threading.Lock()
        self._down_since: float | None = None
        self._next_try = 0.0

    # ------------------------------------------------------------------ state
    @property
    def degraded(self) -> bool:
        return self._down_since is not None

    def status(self) -> dict:
        """{'shared': bool, 'degraded': bool, 'message': str}; while degraded, a status
        request also tries Redis again (at most every retry_s), so an idle page notices
        that Redis came back."""
        if self.degraded:
            self._call("ping")
        if self.degraded:
            return {"shared": False, "degraded": True, "message": NOTICE}
        return {"shared": True, "degraded": False, "message": f"Results are shared through Redis ({self.url})."}

    def _due(self) -> bool:
        """Whether this call should talk to Redis: always while it answers; while it does
        not, one call per retry period (the others go straight to memory)."""
        if self._down_since is None:
            return True
        with self._lock:
            now = time.monotonic()
            if now < self._next_try:
                return False
            self._next_try = now + self.retry_s
            return True

    def _call(self, name: str, *args):
        """(True, Redis's answer) or (False, None) when Redis did not answer."""
        if not self._due():
            return False, None
        try:
            value = self.client.ping() if name == "ping" else getattr(self.shared, name)(*args)
        except self._errors as e:
            self._went_down(e)
            return False, None
        if self._down_since is not None:
            self._came_back()
        return True, value

    def _went_down(self, error: Exception) -> None:
        with self._lock:
            self._next_try = time.monotonic() + self.retry_s
            first = self._down_since is None
            if first:
                self._down_since = time.monotonic()
        # Drop the idle pooled connections (stale once Redis is gone), never the ones other
        # threads are using: closing a socket under another thread's read made that read
        # raise ValueError ('I/O operation on closed file') or AttributeError, not a
        # RedisError, and the click failed. A busy connection fails by itself on a dead
        # Redis (a RedisError here) and redis-py drops it then.
        self.client.connection_pool.disconnect(inuse_connections=False)
        if first:
            log.warning("Redis at %s is not answering (%s: %s); results are kept in this process until it is "
                        "back (retrying every %.1f s)", self.url, type(error).__name__, error, self.retry_s)

    def _came_back(self) -> None:
        with self._lock:
            since, self._down_since = self._down_since, None
        if since is not None:
            log.warning("Redis at %s is back after %.1f s; results are shared again", self.url,
                        time.monotonic() - since)

    # ------------------------------------------------------------------ the cache API
    def get(self, key: str):
        ok, value = self._call("get", key)
        return value if ok and value is not None else self.local.get(key)

    def has(self, key: str) -> bool:
        ok, value = self._call("has", key)
        return bool(ok and value) or self.local.has(key)

    def set(self, key: str, value, timeout=None) -> bool:
        ok, done = self._call("set", key, value, timeout)
        return bool(done) if ok else self.local.set(key, value, timeout)

    def add(self, key: str, value, timeout=None) -> bool:
        ok, done = self._call("add", key, value, timeout)
        return bool(done) if ok else self.local.add(key, value, timeout)

    def delete(self, key: str) -> bool:
        ok, done = self._call("delete", key)
        return self.local.delete(key) or bool(ok and done)

    def clear(self) -> bool:
        self.local.clear()
        ok, _ = self._call("clear")
        return ok

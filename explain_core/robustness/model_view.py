"""The robustness curve as a model-level view (service.model_view(model_id, "robustness")),
and a background job that computes it with progress for the page."""
from __future__ import annotations

import threading
import time

import numpy as np

from ..errors import GlimpseError
from ..methods.base import check_param
from ..model_views import register
from .attacks import NORMS
from .curve import robustness_curve

NAME = "robustness"
EPS_MAX = {("image", "linf"): 0.3, ("image", "l2"): 4.0, ("tabular", "linf"): 1.5, ("tabular", "l2"): 3.0}
_local = threading.local()      # the job thread's progress sink (model_view's fn takes no callback)


def _choice(name, value, choices, default):
    from .requests import _choice as choice
    return choice(name, value, choices, default)


def _or(value, default):
    from .requests import _or as or_default
    return or_default(value, default)


def curve_params(raw: dict, ctx) -> dict:
    known = ("attack", "norm", "eps_max", "points", "steps", "samples")
    bad = sorted(set(raw) - set(known))
    if bad:
        from ..errors import ParameterError
        raise ParameterError(f"Unknown setting(s) for the robustness curve: {', '.join(map(str, bad))}")
    attack = _choice("attack", raw.get("attack"), ("fgsm", "pgd"), "fgsm")
    norm = _choice("norm", raw.get("norm"), NORMS, "linf")
    eps = raw.get("eps_max")
    return {"attack": attack, "norm": norm,
            "eps_max": EPS_MAX[ctx.data.kind, norm] if eps is None else check_param("eps_max", eps, 1e-6, 1e4),
            "points": check_param("points", _or(raw.get("points"), 7), 2, 41, int),
            "steps": 1 if attack == "fgsm" else check_param("steps", _or(raw.get("steps"), 10), 1, 100, int),
            "samples": check_param("samples", _or(raw.get("samples"), 1000), 10, 20_000, int)}


def _curve(ctx, attack, norm, eps_max, points, steps, samples):
    held = ctx.held_out()
    ids, labels = held.ids, np.asarray(held.labels)
    subset = held.subset
    if len(ids) > samples:
        keep = np.sort(np.random.default_rng(ctx.seed).choice(len(ids), samples, replace=False))
        ids, labels, subset = ids[keep], labels[keep], True
    return robustness_curve(ctx.explained, ctx.data, ctx.head, ctx.data.X[ids], labels, attack, norm, eps_max,
                            points, steps, subset, progress=getattr(_local, "report", None))


register(NAME, _curve, title="Robustness to adversarial inputs", tasks=("classification",), params=curve_params)


class CurveJobs:
    """Computes curves in background threads, one per (model, params); status() says how far
    (also from the shared cache, so another worker's poll sees it)."""

    def __init__(self, service):
        self.service = service
        self._lock = threading.Lock()
        self._running: dict[str, dict] = {}

    @staticmethod
    def _key(model_id: str, params: dict) -> str:
        return "glimpse-robustness-job:" + model_id + ":" + repr(sorted(params.items()))

    def status(self, model_id: str, params: dict) -> dict:
        with self._lock:
            mine = self._running.get(self._key(model_id, params))
        if mine is not None:
            return dict(mine)
        shared = self.service.cache.get(self._key(model_id, params))
        return dict(shared) if isinstance(shared, dict) else {"state": "idle"}

    def start(self, model_id: str, params: dict) -> dict:
        key = self._key(model_id, params)
        with self._lock:
            if key in self._running and self._running[key]["state"] == "running":
                return dict(self._running[key])
            status = {"state": "running", "done": 0, "total": 0, "started": time.time()}
            self._running[key] = status
        threading.Thread(target=self._run, args=(key, model_id, params), daemon=True,
                         name=f"robustness-{model_id}").start()
        return dict(status)

    def _run(self, key, model_id, params):
        def report(p):
            with self._lock:
                self._running[key].update(done=p["done"], total=p["total"])
            self.service.cache.set(key, dict(self._running[key]))

        _local.report = report
        try:
            self.service.model_view(model_id, NAME, **params)
            final = {"state": "done"}
        except GlimpseError as e:
            final = {"state": "failed", "error": str(e)}
        except Exception as e:  # noqa: BLE001 - the page shows what went wrong
            final = {"state": "failed", "error": f"The robustness curve failed: {type(e).__name__}: {e}"}
        finally:
            _local.report = None
        with self._lock:
            self._running[key].update(final)
            done = dict(self._running[key])
            self._running.pop(key, None)
        self.service.cache.set(key, done)


def cached_curve(service, model_id: str, params: dict):
    """The curve if it is in the cache already (None: not computed yet); never computes."""
    from ..cache import result_key
    from ..model_views.run import context

    ctx = context(service, model_id)
    key = result_key(ctx.hash, "-", f"model:{NAME}", curve_params(dict(params), ctx))
    return service.cache.get(key)

"""Held-out accuracy (R² for regression) against the fraction of a layer pruned by weight
magnitude, 0 to 90%, for every prunable layer: one batched forward of the pruned copy per
point (pruning.py). Slow enough (layers × 10 forwards) to run as a background job: the
caller passes a progress function with `reporting(fn)`; the result is a model view,
cached per model hash like any other."""
from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass, field

import numpy as np

from ..methods.base import _frozen
from .pruning import magnitude_order, prunable_layers
from .pruning_views import evaluate, metric_of
from .registry import register

FRACTIONS = tuple(round(0.1 * i, 1) for i in range(10))     # 0, 0.1, ..., 0.9
_local = threading.local()


@dataclass(frozen=True)
class PruningCurve:
    layers: tuple[str, ...]
    units: tuple[int, ...]           # per layer: how many units (filters) it has
    fractions: np.ndarray            # (f,) fractions pruned
    removed: np.ndarray              # (layers, f) units removed at each point
    values: np.ndarray               # (layers, f) the metric of the pruned copy
    metric: str                      # 'accuracy' or 'R²'
    before: float                    # the served model's metric
    params: dict = field(default_factory=dict)

    def __post_init__(self):
        for name in ("fractions", "removed", "values"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))


@contextlib.contextmanager
def reporting(fn):
    """Let the curve computed in this thread call fn({'done', 'total', 'layer'}) per point."""
    _local.fn = fn
    try:
        yield
    finally:
        _local.fn = None


def pruning_curve(ctx) -> PruningCurve:
    layers = prunable_layers(ctx.model)
    report = getattr(_local, "fn", None)
    hp = ctx.held_out()
    before = metric_of(hp, hp.predictions)
    removed = np.array([[int(round(f * pl.units)) for f in FRACTIONS] for pl in layers], dtype=np.int64)
    values = np.full(removed.shape, before)
    for i, pl in enumerate(layers):
        order = magnitude_order(ctx.model, pl.name)
        for j, k in enumerate(removed[i]):
            if k:
                values[i, j] = metric_of(hp, evaluate(ctx, pl.name, np.sort(order[:k]))[0])
            if report is not None:
                report({"done": i * len(FRACTIONS) + j + 1, "total": removed.size, "layer": pl.name})
    return PruningCurve(tuple(pl.name for pl in layers), tuple(pl.units for pl in layers), np.asarray(FRACTIONS),
                        removed, values, "R²" if hp.task == "regression" else "accuracy", before)


def cached(service, model_id: str) -> PruningCurve | None:
    """The curve if it is in the service's cache (None: not computed yet); never computes."""
    from ..cache import result_key
    from .run import context

    key = result_key(context(service, model_id).hash, "-", f"model:{NAME}", {})
    return service.cache.get(key)


NAME = "pruning_curve"
register(NAME, pruning_curve, title="Pruning curve")

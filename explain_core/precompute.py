"""Compute chosen methods for a whole data set ahead of time and put them in the service cache.

Gradient methods run ACROSS samples: `batch_size` samples at a time go through the
method's attribute_batch (IG: samples × steps rows per model call), and each sample's
result is stored with service.put under exactly the keys ExplanationService.explain()
uses for the default target (the model's prediction), so explain() then serves it
without computing.
Methods without a batched form are computed one sample at a time through explain().

Before storing anything, the first sample of each batched method's first batch is also
computed the way explain() computes it; a mismatch is a programming error and fails loudly
(the batch itself is computed once: its first result is what is compared).
"""
from __future__ import annotations

import sys
import time
import warnings
from typing import Callable

import numpy as np

from .methods.base import Attribution
from .methods.registry import RUNNERS, _baseline, method_spec, normalise_params

Progress = Callable[[int, int], None]
# Rows (samples × steps) per model call. On this kind of CPU a forward+backward costs
# about half as much per row at 256-512 rows as at 2,048: the activations stay in cache.
ROWS_PER_CALL = 512


# ---------------------------------------------------------------- batched result builders
def _ig(module, data, X, targets, p) -> list[Attribution]:
    from .methods.gradients import IntegratedGradients
    if p["n_steps"] == "auto":      # each sample to 1% completeness, steps spent only where needed
        from .methods.auto_ig import AutoIntegratedGradients
        return AutoIntegratedGradients(module, baseline=_baseline(data, p["baseline"]),
                                       batch_size=ROWS_PER_CALL).explain_batch(X, targets)

    ig = IntegratedGradients(module, n_steps=p["n_steps"], rule=p["rule"], baseline=_baseline(data, p["baseline"]),
                             batch_size=ROWS_PER_CALL)
    return ig.explain_batch(X, targets)


def _gradient(name: str):
    def build(module, data, X, targets, p) -> list[Attribution]:
        from .methods import gradients

        if name == "saliency":
            method = gradients.Saliency(module, abs=p["abs"], batch_size=ROWS_PER_CALL)
            params = {"abs": bool(p["abs"])}
        elif name == "gradient_x_input":
            method, params = gradients.GradientXInput(module, batch_size=ROWS_PER_CALL), {}
        else:
            scale = p.get("noise_scale", "sample")
            method = gradients.SmoothGrad(module, n_samples=p["n_samples"], noise_level=p["noise_level"],
                                          abs=p["abs"], seed=p["seed"], batch_size=ROWS_PER_CALL, noise_scale=scale)
            params = {"n_samples": int(p["n_samples"]), "noise_level": float(p["noise_level"]),
                      "abs": bool(p["abs"]), "seed": int(p["seed"])}
            if scale != "sample":       # as SmoothGrad.attribute reports it
                params["noise_scale"] = scale
        maps = method.attribute_batch(X, targets)
        return [Attribution(name, a, x, int(t), params) for x, a, t in zip(X, maps, targets)]
    return build


BATCHED: dict[str, Callable] = {
    "integrated_gradients": _ig,
    "saliency": _gradient("saliency"),
    "gradient_x_input": _gradient("gradient_x_input"),
    "smoothgrad": _gradient("smoothgrad"),
}


def _same(a: Attribution, b: Attribution) -> bool:
    close = np.allclose(a.attribution, b.attribution, rtol=1e-3, atol=1e-5 * max(1e-12, float(np.abs(b.attribution).max())))
    deltas = (a.delta is None) == (b.delta is None) and (a.delta is None or abs(a.delta - b.delta) <= 1e-3 + 1e-3 * abs(b.delta))
    return (a.method == b.method and a.target == b.target and a.params == b.params
            and set(a.extras) == set(b.extras) and close and deltas)


# ---------------------------------------------------------------------------- precompute
def precompute(service, model_id: str, methods=("integrated_gradients",), sample_ids=None,
               batch_size: int = 64, progress: Progress | None = None, params: dict | None = None,
               should_stop: Callable[[], bool] | None = None) -> dict:
    """Compute `methods` (default parameters, or params[method]) for `sample_ids` (default:
    every sample) of `model_id` for the default target and cache them where explain()
    looks (service.put). `should_stop` is asked between batches; when it says yes the run
    ends there, and what was computed stays cached. Returns counts:
    {'samples', 'computed', 'already_cached', 'batches', 'seconds', 'cancelled', 'per_method': {...}}."""
    data = service.dataset_for(model_id)
    module, view = service.torch_model(model_id), service.explained_model(model_id)   # view: scores per class
    ids = list(range(len(data.X))) if sample_ids is None else [int(i) for i in sample_ids]
    predictions = service.samples(model_id).targets
    batch_size = max(1, int(batch_size))
    total, done = len(ids) * len(methods), 0
    counts = {"samples": len(ids), "computed": 0, "already_cached": 0, "batches": 0, "cancelled": False,
              "per_method": {}}
    start = time.perf_counter()
    for method in methods:
        p = normalise_params(method, dict((params or {}).get(method, {})), data.kind, module, data.input_shape)
        todo = [i for i in ids if not service.cached(model_id, i, method, **p)]
        mine = {"computed": 0, "already_cached": len(ids) - len(todo), "batched": method in BATCHED}
        _warn_capacity(service.cache, len(todo) * (2 if method_spec(method).needs_target else 1))
        done += len(ids) - len(todo)
        if progress and len(todo) < len(ids):
            progress(done, total)
        step = batch_size if method in BATCHED else 1
        for lo in range(0, len(todo), step):
            if should_stop is not None and should_stop():
                counts["cancelled"] = True
                break
            chunk = todo[lo:lo + step]
            if method in BATCHED:
                with service._compute_lock(model_id):
                    results = BATCHED[method](view, data, data.X[chunk], predictions[chunk].astype(np.int64), p)
                if lo == 0:
                    _check_batched(service, model_id, method, p, chunk[0], int(predictions[chunk[0]]), results[0])
                for i, r in zip(chunk, results):
                    service.put(model_id, i, method, r, **p)
            else:
                service.explain(model_id, chunk[0], method, **p)
            mine["computed"] += len(chunk)
            counts["batches"] += 1
            done += len(chunk)
            if progress:
                progress(done, total)
        counts["computed"] += mine["computed"]
        counts["already_cached"] += mine["already_cached"]
        counts["per_method"][method] = mine
        if counts["cancelled"]:
            break
    counts["seconds"] = time.perf_counter() - start
    return counts


def _check_batched(service, model_id, method, p, i, target, batched: Attribution) -> None:
    data, module = service.dataset_for(model_id), service.explained_model(model_id)
    with service._compute_lock(model_id):
        single = RUNNERS[method](module, data, data.X[i], target, p)
    if not _same(batched, single):
        raise RuntimeError(f"precompute's batched {method} disagrees with explain() on sample {i}: "
                           f"params {batched.params} vs {single.params}, extras {sorted(batched.extras)} "
                           f"vs {sorted(single.extras)}")


def _warn_capacity(cache, adding: int) -> None:
    """A SimpleCache over its threshold drops every never-expiring entry at the next set()."""
    threshold = getattr(cache, "_threshold", None)
    held = len(getattr(cache, "_cache", ())) if hasattr(cache, "_cache") else 0
    if threshold and held + adding > threshold:
        warnings.warn(f"the result cache holds at most {threshold} entries; precomputing {adding} more "
                      f"(with {held} held) overflows it and evicts results: raise Settings.cache_threshold",
                      RuntimeWarning, stacklevel=3)


def check_request(service, model_id, methods, busy: bool = False) -> list[str]:
    """The methods of a precompute request from the page, or a GlimpseError that says
    what is wrong with it (shown to the user). busy: a job is running already."""
    from .errors import GlimpseError

    methods = [m for m in (methods or []) if m]
    if not model_id:
        raise GlimpseError("Choose a model first.")
    if not methods:
        raise GlimpseError("Choose at least one method to precompute.")
    known = {m for m, _, _ in service.precomputable(model_id)}
    bad = [m for m in methods if m not in known]
    if bad:
        raise GlimpseError(f"Cannot precompute {', '.join(map(str, bad))} for this model.")
    if busy:
        raise GlimpseError("A precompute job is already running; wait for it or cancel it.")
    return methods


# ------------------------------------------------------------------------------ CLI helper
def run_cli(service, model_id: str, methods, batch_size: int = 64, params: dict | None = None) -> dict:
    """`python -m explain_core precompute`: progress on stderr, a summary on stdout."""
    last = [0.0]

    def report(done, total):
        now = time.perf_counter()
        if now - last[0] > 1.0 or done == total:
            last[0] = now
            print(f"  {done}/{total}", file=sys.stderr)

    if service.settings.cache_type == "simple":
        print("note: the cache is in-process (GLIMPSE_CACHE_TYPE=simple); use filesystem or redis "
              "to keep precomputed results for the dashboard", file=sys.stderr)
    counts = precompute(service, model_id, tuple(methods), batch_size=batch_size, progress=report, params=params)
    rate = counts["computed"] / counts["seconds"] if counts["seconds"] > 0 else float("nan")
    print(f"{model_id}: {counts['computed']} results computed, {counts['already_cached']} already cached, "
          f"{counts['samples']} samples, {counts['seconds']:.1f} s ({rate:.0f} results/s)")
    return counts

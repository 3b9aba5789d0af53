"""`python -m bench precompute`: IG for every digit in cross-sample batches vs a per-sample Captum loop.

The precompute run is split into chunks; after each chunk the Captum loop (and our own
per-sample loop, which is what explain() does for one digit) run on their share of a
subset, so load from other processes hits all three alike. Captum's time is
extrapolated per sample to the whole data set. The targets (the model's predictions)
are computed once beforehand: both sides need them.
"""
from __future__ import annotations

import time

import numpy as np
import torch

from explain_core import ExplanationService
from explain_core.methods.gradients import IntegratedGradients, ig_rule
from explain_core.precompute import ROWS_PER_CALL, precompute

from . import agreement as ag
from .config import BenchConfig
from .context import make_service
from .machine import machine_info

TARGET_SPEEDUP = 10.0
METHOD = "integrated_gradients"


def _fresh_service(base: ExplanationService, n: int) -> ExplanationService:
    """Same stored models, an empty in-process cache big enough for every result."""
    return ExplanationService(base.settings.with_(cache_type="simple", cache_threshold=max(10_000, 4 * n)))


def _forward_calls(model, fn) -> int:
    """Calls into the model or any of its layers while fn runs (IG through an affine stem
    runs the layers without the model's own forward)."""
    calls = [0]
    handles = [m.register_forward_pre_hook(lambda *_: calls.__setitem__(0, calls[0] + 1)) for m in model.modules()]
    try:
        fn()
    finally:
        for h in handles:
            h.remove()
    return calls[0]


def run_precompute(cfg: BenchConfig, service=None, echo=print) -> dict:
    """One run per model in cfg.precompute_models (the CNN and the MLP by default)."""
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    base = make_service(service)
    runs = []
    for model_id in cfg.precompute_models:
        echo(f" {model_id}")
        runs.append(_run_model(cfg, base, model_id, echo))
    return {"kind": "precompute", "created": time.strftime("%Y-%m-%d %H:%M:%S"), "machine": machine_info(),
            "config": cfg.as_json(), "runs": runs}


def _run_model(cfg: BenchConfig, base: ExplanationService, model_id: str, echo) -> dict:
    svc = _fresh_service(base, 5000)
    data = svc.dataset_for(model_id)
    model = svc.torch_model(model_id).eval()
    n = len(data.X) if cfg.precompute_samples is None else min(cfg.precompute_samples, len(data.X))
    ids = np.arange(n)
    targets = svc.samples(model_id).predictions
    params = {METHOD: {"n_steps": cfg.n_steps}}
    subset = np.unique(np.linspace(0, n - 1, min(cfg.captum_subset, n)).astype(int))

    from captum.attr import IntegratedGradients as CaptumIG
    captum_ig = CaptumIG(model)
    ours = IntegratedGradients(model, n_steps=cfg.n_steps, rule="gausslegendre", baseline=0.0)
    X = torch.as_tensor(data.X)

    def captum_one(i):
        return captum_ig.attribute(X[i:i + 1], baselines=0.0, target=int(targets[i]), n_steps=cfg.n_steps,
                                   method="gausslegendre", return_convergence_delta=True)

    alphas = torch.as_tensor(ig_rule("gausslegendre", cfg.n_steps)[1], dtype=torch.float32).view(-1, 1, 1, 1)

    def floor(sub, rows_per_call):
        """Bare forward+backward over the subset's path points, nothing else."""
        rows = torch.cat([alphas * X[int(i)] for i in sub]) if len(sub) else X[:0]
        t = torch.as_tensor(np.repeat(targets[sub], cfg.n_steps))
        for lo in range(0, len(rows), rows_per_call):
            r = rows[lo:lo + rows_per_call].clone().requires_grad_(True)
            with torch.enable_grad():
                torch.autograd.grad(model(r).gather(1, t[lo:lo + rows_per_call, None]).sum(), r)

    # warm-up, not timed: one sample each way (on a digit outside the precomputed range when possible)
    w = min(n, len(data.X) - 1)
    captum_one(w), ours.attribute(data.X[w], int(targets[w])), ours.attribute_batch(data.X[[w]], targets[[w]])

    chunks = max(1, min(cfg.precompute_chunks, n))
    id_chunks, sub_chunks = np.array_split(ids, chunks), np.array_split(subset, chunks)
    t_pre = t_cap = t_loop = t_floor_b = t_floor_1 = 0.0
    captum_maps = {}
    for k, (part, sub) in enumerate(zip(id_chunks, sub_chunks)):
        t0 = time.perf_counter()
        precompute(svc, model_id, (METHOD,), sample_ids=part.tolist(), params=params)
        t1 = time.perf_counter()
        for i in sub:
            captum_maps[int(i)] = captum_one(int(i))[0][0].detach().numpy()
        t2 = time.perf_counter()
        for i in sub:
            ours.attribute(data.X[i], int(targets[i]))
        t3 = time.perf_counter()
        floor(sub, ROWS_PER_CALL)
        t4 = time.perf_counter()
        for i in sub:
            floor([i], cfg.n_steps)
        t5 = time.perf_counter()
        t_pre, t_cap, t_loop = t_pre + t1 - t0, t_cap + t2 - t1, t_loop + t3 - t2
        t_floor_b, t_floor_1 = t_floor_b + t4 - t3, t_floor_1 + t5 - t4
        echo(f"  chunk {k + 1}/{chunks}: precompute {len(part)} digits {t1 - t0:.1f} s, "
             f"Captum loop {len(sub)} digits {t2 - t1:.1f} s")

    checked = subset[:5]
    hits_before = svc.stats["hits"]
    results = {}
    calls = _forward_calls(model, lambda: results.update(
        {int(i): svc.explain(model_id, int(i), METHOD, n_steps=cfg.n_steps) for i in checked}))
    err = max(ag.max_rel_err(svc.explain(model_id, int(i), METHOD, n_steps=cfg.n_steps).attribution,
                             captum_maps[int(i)]) for i in subset)

    captum_ms = 1000 * t_cap / len(subset)
    captum_total = captum_ms / 1000 * n
    return {
        "created": time.strftime("%Y-%m-%d %H:%M:%S"), "model": model_id, "method": METHOD, "n_steps": cfg.n_steps,
        "samples": int(n), "precompute_s": t_pre, "precompute_ms_per_sample": 1000 * t_pre / n,
        "captum_subset": int(len(subset)), "captum_ms_per_sample": captum_ms, "captum_extrapolated_s": captum_total,
        "ours_loop_ms_per_sample": 1000 * t_loop / len(subset),
        "floor_batched_ms_per_sample": 1000 * t_floor_b / len(subset),
        "floor_single_ms_per_sample": 1000 * t_floor_1 / len(subset), "rows_per_call": ROWS_PER_CALL,
        "speedup_vs_captum": captum_total / t_pre, "target": TARGET_SPEEDUP,
        "target_ok": bool(captum_total / t_pre >= TARGET_SPEEDUP),
        "speedup_vs_ours_loop": (t_loop / len(subset) * n) / t_pre,
        "max_rel_err_vs_captum": err, "explain_checked": int(len(checked)), "explain_forward_calls": calls,
        "explain_hits": svc.stats["hits"] - hits_before,
    }

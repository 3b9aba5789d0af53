"""`python -m bench methods`: time and agreement of every case, one JSON row per (case, peer)."""
from __future__ import annotations

import time
import warnings

import numpy as np
import torch

from . import agreement as ag
from .cases import build_case
from .config import BenchConfig
from .context import held_out, make_service
from .contenders import Case
from .machine import machine_info
from .timing import interleaved, paired_ratio, summary

AGREEMENT_SLACK = 0.05
EXACT_TOLERANCE = 1e-3


def _library(label: str) -> str:
    return "captum" if label.startswith("captum") else label


def _rank_agreement(case: Case, outputs: dict, items: list[int], seeded: list[int]) -> dict:
    """Spearman and top-5 of ours vs each peer (seed 0), and every library's seed 0 vs seed 1.

    Both Captum rows draw the same perturbations, so Captum's seeds are compared once,
    with its batched (cheaper) contender."""
    by_library = {}
    for c in [case.ours] + case.peers:
        by_library[_library(c.label)] = c          # the last Captum row is the batched one
    self_rho, self_top = {}, {}
    for lib, c in by_library.items():
        again = {i: c.fn(i, 1) for i in seeded}
        first = outputs[c.label]
        self_rho[lib] = ag.mean(ag.spearman(again[i].values, first[i].values) for i in seeded)
        self_top[lib] = ag.mean(ag.top_k(again[i].values, first[i].values) for i in seeded)
    rows = {}
    for p in case.peers:
        lib = _library(p.label)
        rho = ag.mean(ag.spearman(outputs["glimpse"][i].values, outputs[p.label][i].values) for i in items)
        top = ag.mean(ag.top_k(outputs["glimpse"][i].values, outputs[p.label][i].values) for i in items)
        ok = (rho is not None and self_rho[lib] is not None
              and rho >= self_rho[lib] - AGREEMENT_SLACK and top >= self_top[lib] - AGREEMENT_SLACK)
        rows[p.label] = {"metric": "spearman", "value": rho, "top5": top,
                         "self_peer": self_rho[lib], "top5_self_peer": self_top[lib],
                         "self_ours": self_rho["glimpse"], "top5_self_ours": self_top["glimpse"], "ok": bool(ok)}
    return rows


def _exact_agreement(case: Case, outputs: dict, items: list[int]) -> dict:
    rows = {}
    for p in case.peers:
        err = max(ag.max_rel_err(outputs["glimpse"][i].values, outputs[p.label][i].values) for i in items)
        row = {"metric": "max_rel_err", "value": err, "ok": bool(err <= EXACT_TOLERANCE)}
        if case.method == "integrated_gradients":
            row["delta_ours"] = ag.mean(outputs["glimpse"][i].delta for i in items)
            row["delta_peer"] = ag.mean(outputs[p.label][i].delta for i in items)
        rows[p.label] = row
    return rows


def run_case(case: Case, n_items: int, reps: int, cfg: BenchConfig) -> list[dict]:
    items = list(range(n_items))
    calls = {"glimpse": case.ours.fn, **{p.label: p.fn for p in case.peers}}
    if case.floor is not None:
        calls[case.floor.label] = case.floor.fn
    t0 = time.perf_counter()
    times, outputs = interleaved(calls, items, reps, cfg.warmup)
    if case.agreement == "rank":
        agree = _rank_agreement(case, outputs, items, items[:max(1, cfg.agreement_samples)])
    else:
        agree = _exact_agreement(case, outputs, items)
    rows = []
    for p in case.peers:
        ratio = paired_ratio(times["glimpse"], times[p.label])
        rows.append({
            "case": case.name, "method": case.method, "data": case.data, "settings": case.settings,
            "peer": p.label, "peer_settings": p.settings, "samples": n_items, "reps": reps,
            "ours_ms": summary(times["glimpse"]), "peer_ms": summary(times[p.label]),
            "ratio": ratio, "ratio_of_medians": float(np.median(times["glimpse"]) / np.median(times[p.label])),
            "target": p.target, "time_ok": None if p.target is None else bool(ratio <= p.target),
            "agreement": agree[p.label], "seconds": time.perf_counter() - t0,
            "floor_ms": summary(times[case.floor.label]) if case.floor is not None else None,
            "ours_over_floor": paired_ratio(times["glimpse"], times[case.floor.label]) if case.floor else None,
            "peer_over_floor": paired_ratio(times[p.label], times[case.floor.label]) if case.floor else None,
        })
    return rows


def run_methods(cfg: BenchConfig, service=None, echo=print) -> dict:
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    svc = make_service(service)
    image = held_out(svc, cfg.image_model, cfg.image_samples)
    tabular = held_out(svc, cfg.tabular_model, cfg.tabular_samples)
    start = time.perf_counter()
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")      # Captum's and lime's chatter about defaults
        for name in cfg.cases:
            case = build_case(name, image, tabular, cfg)
            n = len(image.X if case.data == "image" else tabular.X)
            n = min(n, cfg.slow_samples) if case.slow else n
            new = run_case(case, n, cfg.slow_reps if case.slow else cfg.reps, cfg)
            for r in new:
                echo(f"  {r['case']:<30} vs {r['peer']:<16} ours {r['ours_ms']['median']:9.2f} ms  "
                     f"peer {r['peer_ms']['median']:9.2f} ms  ratio {r['ratio']:.3f}  ({r['seconds']:.0f} s)")
            rows += new
    return {"kind": "methods", "created": time.strftime("%Y-%m-%d %H:%M:%S"), "machine": machine_info(),
            "config": cfg.as_json(), "models": {"image": cfg.image_model, "tabular": cfg.tabular_model},
            "rows": rows, "wall_s": time.perf_counter() - start}

"""python -m bench dataset-ig: integrated gradients for every digit of the MNIST CNN, each
to a relative completeness error ≤ 1%, against Captum's per-sample loop at its defaults
(IntegratedGradients, n_steps=50, Gauss–Legendre, one digit per call).

Ours: explain_core.methods.auto_ig.adaptive_ig (per-digit step counts on a nested rule,
many digits per model call). The digits are split into chunks; after each chunk Captum
runs on its share of a subset (every --captum-every-th digit), so load from other
processes hits both alike. Time is CPU time of this process (time.process_time) with
torch's threads fixed (--threads, default 1), and wall time beside it. Captum's total is
its per-digit mean × the digits, EXTRAPOLATED unless --captum-every 1 (then measured).
Both report the completeness error of every digit they explain: error = |Σ attribution
− (f(x) − f(0))| / max(|f(x) − f(0)|, 0.1) on the predicted class. Agreement: for a few
digits, Captum's own IG loop run on our nested rule's points and weights at the step
count we used (its _attribute with step_sizes_and_alphas) against our map.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

TOLERANCE = 0.01
TARGET_SPEEDUP = 10.0


def _quantiles(v) -> dict:
    v = np.asarray(v, dtype=np.float64)
    return {"median": float(np.median(v)), "p90": float(np.quantile(v, 0.9)), "p99": float(np.quantile(v, 0.99)),
            "max": float(v.max()), "above_tolerance": int((v > TOLERANCE).sum()), "n": int(v.size)}


def measure(model, X: np.ndarray, chunks: int = 10, captum_every: int = 10, agreement: int = 5) -> dict:
    from captum.attr import IntegratedGradients as CaptumIG

    from explain_core.methods.auto_ig import adaptive_ig, fejer2

    X = torch.as_tensor(np.ascontiguousarray(X, dtype=np.float32))
    model.eval()
    with torch.no_grad():
        logits = torch.cat([model(X[i:i + 512]) for i in range(0, len(X), 512)]).double()
        f0 = model(torch.zeros_like(X[:1]))[0].double()
    targets = logits.argmax(1)
    od = (logits.gather(1, targets.view(-1, 1))[:, 0] - f0[targets]).numpy()
    captum = CaptumIG(model)
    subset = np.arange(0, len(X), max(1, captum_every))

    def captum_one(i):
        a, d = captum.attribute(X[i:i + 1], baselines=0.0, target=int(targets[i]), n_steps=50,
                                method="gausslegendre", return_convergence_delta=True)
        return abs(float(d)) / max(abs(float(od[i])), 0.1)

    adaptive_ig(model, X[-3:], targets[-3:]), captum_one(len(X) - 1)          # warm-up, not timed
    ours_cpu = ours_wall = cap_cpu = cap_wall = 0.0
    steps, errors, cap_err = [], [], []
    for part, sub in zip(np.array_split(np.arange(len(X)), chunks), np.array_split(subset, chunks)):
        c0, w0 = time.process_time(), time.perf_counter()
        r = adaptive_ig(model, X[part], targets[part], tolerance=TOLERANCE)
        c1, w1 = time.process_time(), time.perf_counter()
        cap_err += [captum_one(int(i)) for i in sub]
        c2, w2 = time.process_time(), time.perf_counter()
        ours_cpu, ours_wall, cap_cpu, cap_wall = ours_cpu + c1 - c0, ours_wall + w1 - w0, cap_cpu + c2 - c1, cap_wall + w2 - w1
        steps.append(r.steps)
        errors.append(r.error)
    steps, errors = np.concatenate(steps), np.concatenate(errors)
    n, m = len(X), len(subset)
    agree = []
    for i in subset[:agreement]:      # Captum's loop on our rule, at the steps we used for this digit
        r = adaptive_ig(model, X[i:i + 1], targets[i:i + 1])
        w, a = fejer2(int(r.steps[0]) + 1)
        ref = captum._attribute((X[i:i + 1],), baselines=(0.0,), target=int(targets[i]), n_steps=len(a),
                                step_sizes_and_alphas=(list(w), list(a)))[0][0].detach().numpy()
        agree.append(float(np.abs(r.maps[0] - ref).max() / max(np.abs(ref).max(), 1e-12)))
    counts = np.unique(steps, return_counts=True)
    return {
        "digits": int(n), "torch_threads": torch.get_num_threads(), "tolerance": TOLERANCE,
        "ours": {"cpu_s": ours_cpu, "wall_s": ours_wall, "cpu_ms_per_digit": 1000 * ours_cpu / n,
                 "wall_ms_per_digit": 1000 * ours_wall / n, "mean_steps": float(steps.mean()),
                 "steps_histogram": {str(int(k)): int(c) for k, c in zip(*counts)},
                 "error": _quantiles(errors)},
        "captum": {"digits_timed": int(m), "extrapolated": bool(m < n), "cpu_ms_per_digit": 1000 * cap_cpu / m,
                   "wall_ms_per_digit": 1000 * cap_wall / m, "cpu_s_all": cap_cpu / m * n,
                   "wall_s_all": cap_wall / m * n, "n_steps": 50, "rule": "gausslegendre",
                   "error": _quantiles(cap_err)},
        "speedup_cpu": (cap_cpu / m) / (ours_cpu / n), "speedup_wall": (cap_wall / m) / (ours_wall / n),
        "target_speedup": TARGET_SPEEDUP, "equal_quality": bool(errors.max() <= TOLERANCE),
        "agreement_max_rel_err": float(max(agree)) if agree else None, "agreement_digits": len(agree),
    }


def text(r: dict) -> str:
    o, c = r["ours"], r["captum"]
    how = f"extrapolated from {c['digits_timed']} digits" if c["extrapolated"] else "measured on every digit"
    return "\n".join([
        f"{r['digits']} digits, {r['torch_threads']} torch thread(s), tolerance {100 * r['tolerance']:g}%",
        f"ours:   {o['cpu_s']:.1f} s CPU ({o['cpu_ms_per_digit']:.2f} ms/digit), {o['wall_s']:.1f} s wall; "
        f"mean {o['mean_steps']:.1f} points; steps {o['steps_histogram']}; "
        f"error max {100 * o['error']['max']:.3f}%, {o['error']['above_tolerance']} above 1%",
        f"Captum: {c['cpu_s_all']:.1f} s CPU ({c['cpu_ms_per_digit']:.2f} ms/digit, {how}); "
        f"error median {100 * c['error']['median']:.3f}%, max {100 * c['error']['max']:.3f}%, "
        f"{c['error']['above_tolerance']} above 1%",
        f"speed-up: {r['speedup_cpu']:.1f}x CPU, {r['speedup_wall']:.1f}x wall (target ≥ {r['target_speedup']:g}x); "
        f"equal quality: {r['equal_quality']}; agreement with Captum on our rule: {r['agreement_max_rel_err']:.1e}",
    ])


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench dataset-ig", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--digits", type=int, default=None, help="the first N digits (default: all 5,000)")
    p.add_argument("--captum-every", type=int, default=10, help="Captum times every k-th digit (1: all)")
    p.add_argument("--chunks", type=int, default=10)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--model", default="mnist-cnn")
    p.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "dataset_ig.json")
    a = p.parse_args(argv)
    from explain_core import ExplanationService, Settings
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(a.threads)
    service = ExplanationService(Settings.from_env().with_(cache_type="null"))
    service.ensure_models(model_ids=[a.model])
    X = service.dataset_for(a.model).X
    X = X if a.digits is None else X[:a.digits]
    with threadpool_limits(1, "blas"):
        r = measure(service.torch_model(a.model), X, a.chunks, a.captum_every)
    r = {"kind": "dataset_ig", "created": time.strftime("%Y-%m-%d %H:%M:%S"), "model": a.model,
         "load_average": list(__import__("os").getloadavg()), **r}
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(r, indent=1))
    print(text(r))
    print(f"wrote {a.out}")
    return 0 if r["equal_quality"] else 1


if __name__ == "__main__":
    raise SystemExit(main())

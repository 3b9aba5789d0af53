"""python -m bench robustness: FGSM and PGD-20 per digit on the default CNN (mnist-cnn),
ours against Captum's captum.robust.FGSM / PGD on the same settings (interleaved), one digit
per call and a batch of digits per call; plus the minimal-ε search and the held-out
robustness curve. Targets (issue 10): FGSM ≤ 5 ms and PGD-20 ≤ 50 ms per digit.

    python -m bench robustness [--digits 20] [--reps 3] [--batch 100] [--threads N] [--out FILE]
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from explain_core import ExplanationService, Settings

from .timing import interleaved, paired_ratio, summary

EPS, STEP, STEPS = 0.1, 0.0125, 20


def _calls(atk, X, labels, batch: int):
    from captum.robust import FGSM, PGD

    from explain_core.robustness.attacks import fgsm, pgd

    model = atk.model
    ce = lambda out, t: F.cross_entropy(out, t, reduction="none")   # noqa: E731
    cfgsm = FGSM(model, loss_func=ce, lower_bound=0.0, upper_bound=1.0)
    cpgd = PGD(model, loss_func=ce, lower_bound=0.0, upper_bound=1.0)
    z, lo, hi = atk.start(X)
    y = torch.as_tensor(labels)

    def rows(i, n):
        s = slice(i, i + n)
        return z[s], lo[s], hi[s], y[s]

    def ours_fgsm(i, n=1):
        a, l, h, t = rows(i, n)
        return fgsm(model, a, atk.goal, t, EPS, l, h)

    def ours_pgd(i, n=1):
        a, l, h, t = rows(i, n)
        return pgd(model, a, atk.goal, t, EPS, STEP, STEPS, l, h)

    def captum_fgsm(i, n=1):
        a, _, _, t = rows(i, n)
        return cfgsm.perturb(a.clone(), EPS, t)

    def captum_pgd(i, n=1):
        a, _, _, t = rows(i, n)
        return cpgd.perturb(a.clone(), EPS, STEP, STEPS, t)
    return {"fgsm": (ours_fgsm, captum_fgsm), "pgd20": (ours_pgd, captum_pgd)}


def run(digits: int = 20, reps: int = 3, batch: int = 100, echo=print) -> dict:
    from explain_core.robustness.probe import Attacker
    from explain_core.robustness.space import AttackSpace, Goal

    svc = ExplanationService(Settings.from_env())
    tm = svc._model("mnist-cnn")
    ids = np.asarray(tm.data.test_idx[:max(digits, batch)])
    X = tm.data.X[ids]
    atk = Attacker(tm.explained, AttackSpace.for_data(tm.data), Goal("softmax"))
    labels = atk.labels(torch.as_tensor(X)).numpy()
    out = {"model": "mnist-cnn", "eps": EPS, "steps": STEPS, "torch_threads": torch.get_num_threads(), "attacks": {}}
    for name, (ours, captum) in _calls(atk, X, labels, batch).items():
        secs, outs = interleaved({"ours": ours, "captum": captum}, list(range(digits)), reps)
        same = max(float((outs["ours"][i] - outs["captum"][i]).abs().max()) for i in range(digits))
        t0 = time.perf_counter()
        ours(0, batch)
        per_digit_batched = (time.perf_counter() - t0) / batch
        t0 = time.perf_counter()
        captum(0, batch)
        captum_batched = (time.perf_counter() - t0) / batch
        out["attacks"][name] = {"ours_one_digit_ms": summary(secs["ours"]),
                                "captum_one_digit_ms": summary(secs["captum"]),
                                "ratio": paired_ratio(secs["ours"], secs["captum"]), "max_difference": same,
                                "ours_batched_ms_per_digit": 1000 * per_digit_batched,
                                "captum_batched_ms_per_digit": 1000 * captum_batched, "batch": batch}
        a = out["attacks"][name]
        one = a["ours_one_digit_ms"]
        echo(f"{name:6s} one digit: ours {one['median']:.2f} ms (p90 {one['p90']:.2f}),"
             f" Captum {a['captum_one_digit_ms']['median']:.2f} ms, ratio {a['ratio']:.2f}; batch of {batch}: ours "
             f"{a['ours_batched_ms_per_digit']:.2f} ms/digit, Captum {a['captum_batched_ms_per_digit']:.2f} ms/digit;"
             f" max |ours − Captum| = {same:.1e}")
    t0 = time.perf_counter()
    for i in ids[:5]:
        svc.robustness("mnist-cnn", "adversarial", int(i), attack="pgd", eps=EPS)
    out["minimal_eps_pgd20_s"] = (time.perf_counter() - t0) / 5
    t0 = time.perf_counter()
    curve = svc.model_view("mnist-cnn", "robustness")
    out["curve_fgsm_s"] = time.perf_counter() - t0
    out["curve_rows"] = curve.n_rows
    echo(f"minimal ε (PGD-20, bisection): {out['minimal_eps_pgd20_s']:.2f} s per digit; robustness curve (FGSM, "
         f"{curve.n_rows:,} held-out digits, {len(curve.epsilons)} ε): {out['curve_fgsm_s']:.2f} s")
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench robustness", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--digits", type=int, default=20)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--batch", type=int, default=100)
    p.add_argument("--threads", type=int)
    p.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "robustness.json")
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    result = run(args.digits, args.reps, args.batch)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1))
    print(f"wrote {args.out}")
    return 0

"""docs/PERFORMANCE.md's 'Whole-dataset integrated gradients' section, from bench/results/dataset_ig.json
(python -m bench dataset-ig)."""
from __future__ import annotations

import json
from pathlib import Path


def load(out_dir: Path) -> dict | None:
    path = Path(out_dir) / "dataset_ig.json"
    return json.loads(path.read_text()) if path.exists() else None


def _pct(q: dict) -> str:
    return (f"median {100 * q['median']:.3f}%, p99 {100 * q['p99']:.3f}%, max {100 * q['max']:.3f}%; "
            f"{q['above_tolerance']} of {q['n']} above 1%")


def dataset_ig_markdown(r: dict, md_table) -> list[str]:
    o, c = r["ours"], r["captum"]
    how = (f"timed on {c['digits_timed']} of the {r['digits']} digits (every {r['digits'] // c['digits_timed']}th) "
           f"and **extrapolated** per digit" if c["extrapolated"] else "timed on every digit")
    rows = [
        ["Glimpse: adaptive IG (nested Fejér rule, per-digit steps, batched)",
         f"{o['cpu_s']:.1f} s ({o['cpu_ms_per_digit']:.2f} ms/digit)", f"{o['wall_s']:.1f} s",
         f"mean {o['mean_steps']:.1f} points: " + ", ".join(f"{k}: {v}" for k, v in o["steps_histogram"].items()),
         _pct(o["error"])],
        ["Captum IntegratedGradients, n_steps=50, Gauss–Legendre, one digit per call",
         f"{c['cpu_s_all']:.1f} s ({c['cpu_ms_per_digit']:.2f} ms/digit)", f"{c['wall_s_all']:.1f} s", "50",
         _pct(c["error"])],
    ]
    return ["## Whole-dataset integrated gradients to 1%", "",
            f"Run {r['created']} on `{r['model']}`, {r['digits']} digits, {r['torch_threads']} torch thread(s), "
            f"load average {', '.join(f'{v:.1f}' for v in r.get('load_average', []))}. Every digit's completeness "
            f"error |Σ attribution − (f(x) − f(0))| / max(|f(x) − f(0)|, 0.1) on its predicted class. Captum's loop "
            f"was {how}; the two were interleaved chunk by chunk.", "",
            md_table(("", "CPU time", "wall time", "steps", "completeness error"), rows), "",
            f"**Speed-up at equal quality: {r['speedup_cpu']:.1f}× CPU, {r['speedup_wall']:.1f}× wall** "
            f"(target ≥ {r['target_speedup']:g}×; every digit of ours within 1%: {r['equal_quality']}). "
            f"Agreement: on {r['agreement_digits']} digits Captum's own IG loop, given our rule's points and weights "
            f"at the steps we used, differs from our maps by at most {r['agreement_max_rel_err']:.1e} of the "
            f"map's largest value.", ""]

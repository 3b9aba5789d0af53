"""python -m bench.quality_table: the "Which method to trust for this sample?" table for one
digit, in CPU seconds with one torch thread (wall time on a shared machine follows its
load), uncached; optionally side by side with an earlier tree of the code.

    python -m bench.quality_table [--model mnist-cnn] [--digits 3] [--rounds 2] [--before DIR [--same-methods]]

--before DIR: a copy of an earlier commit (`git archive <commit> | tar -x -C DIR`); each
round runs both trees in fresh processes, alternating which goes first, and the report
gives each tree's median CPU per digit and their ratio. Every process warms up on one
digit first (imports, first autograd call), which is not counted.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

CHILD = r"""
import json, sys, time
import torch
torch.set_num_threads(1)
from threadpoolctl import threadpool_limits
from explain_core import ExplanationService, Settings
model, digits, only = sys.argv[1], int(sys.argv[2]), [m for m in sys.argv[3].split(",") if m]
import explain_core.quality.requests as rq
if only and hasattr(rq, "rankable_methods"):      # the same methods as an earlier tree ranked
    ranked = rq.rankable_methods
    rq.rankable_methods = lambda *a: [(m, p) for m, p in ranked(*a) if m in only]
svc = ExplanationService(Settings.from_env().with_(cache_type="null"))
svc.ensure_models(model_ids=[model])
ids = [int(i) for i in svc.dataset_for(model).test_idx[:digits + 1]]
out = {"cpu": [], "methods": []}
with threadpool_limits(1, "blas"):
    svc.quality("table", model, ids[-1])              # warm-up: imports, first autograd call
    for i in ids[:digits]:
        c0 = time.process_time()
        table = svc.quality("table", model, i)
        out["cpu"].append(time.process_time() - c0)
        out["methods"] = [r.method for r in table.rows]
print("RESULT " + json.dumps(out))
"""


def _run(tree: Path, model: str, digits: int, only: str = "") -> dict:
    env = {**os.environ, "PYTHONPATH": str(tree), "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, "-c", CHILD, model, str(digits), only], cwd=tree, env=env, capture_output=True,
                          text=True, check=True)
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT "))
    return json.loads(line[len("RESULT "):])


def measure(model: str, digits: int, rounds: int, before: Path | None, same_methods: bool = False) -> dict:
    trees = {"now": Path(__file__).resolve().parent.parent}
    if before is not None:
        trees = {"before": before.resolve(), **trees}
    if same_methods and before is not None:
        trees["now, same methods as before"] = trees["now"]
    cpu = {name: [] for name in trees}
    methods = {}
    for r in range(rounds):
        names = list(trees)[::-1] if r % 2 else list(trees)
        for name in names:
            only = ",".join(methods.get("before", ())) if name.startswith("now, same") else ""
            if name.startswith("now, same") and not only:
                names.append(name)          # after the earlier tree has said its methods
                continue
            res = _run(trees[name], model, digits, only)
            cpu[name] += res["cpu"]
            methods[name] = res["methods"]
    out = {"model": model, "digits": digits, "rounds": rounds, "torch_threads": 1, "target_s": 3.0,
           "load_average": os.getloadavg()[0]}
    for name in trees:
        out[name] = {"cpu_s_median": float(np.median(cpu[name])), "cpu_s": cpu[name], "methods": methods[name]}
    if before is not None:
        out["now_over_before"] = out["now"]["cpu_s_median"] / out["before"]["cpu_s_median"]
    if "now, same methods as before" in out:
        out["same_methods_now_over_before"] = (out["now, same methods as before"]["cpu_s_median"]
                                               / out["before"]["cpu_s_median"])
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.quality_table", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="mnist-cnn")
    p.add_argument("--digits", type=int, default=3)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--before", type=Path)
    p.add_argument("--same-methods", action="store_true",
                   help="with --before: also time this tree ranking only the methods the earlier tree ranked")
    p.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "quality_table.json")
    a = p.parse_args(argv)
    result = measure(a.model, a.digits, a.rounds, a.before, a.same_methods)
    for name in ("before", "now, same methods as before", "now"):
        if name in result:
            r = result[name]
            print(f"{name:28s} {r['cpu_s_median']:.2f} s CPU per digit (median of {len(r['cpu_s'])}), "
                  f"{len(r['methods'])} methods: {', '.join(r['methods'])}")
    for key in ("same_methods_now_over_before", "now_over_before"):
        if key in result:
            print(f"{key}: {result[key]:.2f}")
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(result, indent=1))
    print(f"wrote {a.out} (load average {result['load_average']:.1f}; target {result['target_s']:g} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

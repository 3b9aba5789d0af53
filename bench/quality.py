"""python -m bench quality: the quality panel's cost on the default CNN, and Glimpse's
infidelity / max-sensitivity against Captum's on the same perturbations.

- panel: deletion + insertion at 2% steps, infidelity with 50 perturbations and
  max-sensitivity with 10 draws, for one digit and one method (IG, 50 steps), uncached;
- table: every method ranked for one digit (the "which method to trust" table), uncached;
- captum: captum.metrics.infidelity (50 perturbations) and sensitivity_max (10 draws, IG
  with 50 steps as the explanation) against ours on the same perturbations, interleaved
  (bench/timing.py), with the values compared.
Run under threadpool_limits(1, 'blas') (see RECIPES: a BLAS pool left spinning doubles
the next call's time on 2 shared cores).
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from explain_core import ExplanationService, Settings

from .timing import interleaved, paired_ratio, summary


def _captum_calls(model, data, ids):
    from captum.attr import IntegratedGradients as CaptumIG
    from captum.metrics import infidelity as c_inf
    from captum.metrics import sensitivity_max as c_sens

    from explain_core.methods.gradients import IntegratedGradients
    from explain_core.quality.fidelity import (gaussian_perturbations, infidelity, sensitivity_max,
                                               uniform_perturbations)

    prep = {}
    for i in ids:
        x = data.X[i]
        r = IntegratedGradients(model).attribute(x)
        prep[i] = (x, r, gaussian_perturbations(x.shape, 50, 0.1, i), uniform_perturbations(x.shape, 10, 0.02, i))
    ours_ig = IntegratedGradients(model, n_steps=50)
    captum_ig = CaptumIG(model)

    def ours(i):
        x, r, I, U = prep[i]
        return (infidelity(model, x, r.attribution, r.target, I),
                sensitivity_max(lambda X: ours_ig.attribute_batch(X, np.full(len(X), r.target)), x, r.attribution, U))

    def captum(i):
        x, r, I, U = prep[i]
        xt = torch.as_tensor(x)[None]
        It, Ut = torch.as_tensor(I), torch.as_tensor(U)
        inf = c_inf(model, lambda inp: (It, inp - It), xt, torch.as_tensor(np.array(r.attribution))[None], target=r.target,
                    n_perturb_samples=50)
        sens = c_sens(captum_ig.attribute, xt, perturb_func=lambda inp: inp + Ut, n_perturb_samples=10,
                      target=r.target, n_steps=50)
        return float(inf[0]), float(sens[0])
    return {"ours": ours, "captum": captum}


def measure(service, model_id: str = "mnist-cnn", n: int = 5, reps: int = 3, table_samples: int = 2) -> dict:
    from threadpoolctl import threadpool_limits

    data = service.dataset_for(model_id)
    ids = [int(i) for i in data.test_idx[:n]]
    out = {"model": model_id, "samples": ids, "reps": reps, "torch_threads": torch.get_num_threads()}
    with threadpool_limits(1, "blas"):
        service.quality("scores", model_id, ids[-1] + 1, "integrated_gradients")      # warm-up
        panel = []
        for i in ids:
            service.explain(model_id, i, "integrated_gradients")     # the map is already shown on the page
            t0 = time.perf_counter()
            service.quality("scores", model_id, i, "integrated_gradients")
            panel.append(time.perf_counter() - t0)
        out["panel_ms"] = summary(np.array(panel)) | {"target_ms": 500}
        tables = []
        for i in ids[:table_samples]:
            t0 = time.perf_counter()
            service.quality("table", model_id, i)
            tables.append(time.perf_counter() - t0)
        out["table_ms"] = summary(np.array(tables)) | {"target_ms": 3000}
        calls = _captum_calls(service.explained_model(model_id), data, ids)
        times, outputs = interleaved(calls, ids, reps)
    out["infidelity_plus_sensitivity_ms"] = {name: summary(t) for name, t in times.items()}
    out["ours_over_captum"] = paired_ratio(times["ours"], times["captum"])
    out["max_relative_difference"] = float(max(
        abs(a - b) / max(abs(b), 1e-12) for i in ids for a, b in zip(outputs["ours"][i], outputs["captum"][i])))
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench quality", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    for flag, default in (("--samples", 5), ("--reps", 3), ("--table-samples", 2)):
        p.add_argument(flag, type=int, default=default)
    p.add_argument("--model", default="mnist-cnn")
    p.add_argument("--model-store", default=None)
    p.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "quality.json")
    a = p.parse_args(argv)
    service = ExplanationService(Settings.from_env(model_store=a.model_store).with_(cache_type="null"))
    service.ensure_models(model_ids=[a.model])
    text = json.dumps(measure(service, a.model, a.samples, a.reps, a.table_samples), indent=1)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

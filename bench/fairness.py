"""Fair compute, in one process: how long an uncached integrated-gradients map takes alone
and while two clients keep LIME busy at its maximum (20,000 perturbed samples).

    python -m bench fairness [--lime-samples 20000] [--reps 8] [--model mnist-cnn]
                             [--model-store DIR] [--out bench/results/fairness.json]

Threads stand in for the request threads of a threaded server (gunicorn --threads,
`python app.py`); every call goes through ExplanationService.explain with a client key,
as the page's callbacks do. The result cache is off (cache type 'null'), so every map is
computed.
"""
from __future__ import annotations

import argparse
import json
import threading
import time
from pathlib import Path

import numpy as np

from explain_core import ExplanationService, Settings
from explain_core.errors import GlimpseError


def _ig_times(service, model_id: str, samples) -> list[float]:
    out = []
    for i in samples:
        t = time.perf_counter()
        service.explain(model_id, int(i), "integrated_gradients", client="reader")
        out.append(time.perf_counter() - t)
        time.sleep(0.05)
    return out


def _flood(service, model_id: str, client: str, n_samples: int, stop: threading.Event, counts: dict) -> None:
    i = 100
    while not stop.is_set():
        try:
            service.explain(model_id, i, "lime", n_samples=n_samples, client=client)
            counts["done"] += 1
        except GlimpseError:          # refused (busy): a page would show the message
            counts["refused"] += 1
            time.sleep(0.05)
        i += 1


def measure(service, model_id: str = "mnist-cnn", lime_samples: int = 20000, reps: int = 8) -> dict:
    service.explain(model_id, 0, "integrated_gradients")            # warm up
    service.explain(model_id, 1, "lime", n_samples=1000)
    alone = _ig_times(service, model_id, range(10, 10 + reps))
    stop, counts = threading.Event(), {"done": 0, "refused": 0}
    floods = [threading.Thread(target=_flood, args=(service, model_id, c, lime_samples, stop, counts), daemon=True)
              for c in ("flood-a", "flood-b")]
    for t in floods:
        t.start()
    time.sleep(0.5)                                                  # both LIMEs under way
    t0 = time.perf_counter()
    busy = _ig_times(service, model_id, range(200, 200 + reps))
    stop.set()
    for t in floods:
        t.join()
    p = {name: {"p50": float(np.median(v)), "max": float(np.max(v))} for name, v in (("alone", alone), ("flood", busy))}
    return {"model": model_id, "lime_samples": lime_samples, "reps": reps, "ig_alone_s": p["alone"],
            "ig_during_flood_s": p["flood"], "ratio_p50": p["flood"]["p50"] / p["alone"]["p50"],
            "lime_done": counts["done"], "lime_refused": counts["refused"],
            "flood_window_s": time.perf_counter() - t0}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench fairness", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--lime-samples", type=int, default=20000)
    p.add_argument("--reps", type=int, default=8)
    p.add_argument("--model", default="mnist-cnn")
    p.add_argument("--model-store", default=None)
    p.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "fairness.json")
    args = p.parse_args(argv)
    settings = Settings.from_env(model_store=args.model_store).with_(cache_type="null")
    service = ExplanationService(settings)
    service.ensure_models(model_ids=[args.model])
    result = measure(service, args.model, args.lime_samples, args.reps)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1))
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

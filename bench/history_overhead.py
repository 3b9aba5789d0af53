"""python -m bench.history_overhead [model ids]: what recording the training history costs.

Trains each zoo model twice in this process (without, then with the recorder; same seed,
so the same weights) and prints the training seconds of both, the recorder's own seconds
and whether the weights came out identical. The machine's load moves both numbers; the
recorder's own time (measured inside it) is the steadier figure.
"""
from __future__ import annotations

import sys
import time

import torch

from explain_core import ExplanationService, Settings
from explain_core.models.store import content_hash
from explain_core.models.zoo import DEFAULT_SPECS, fit_spec, recorder


def main(argv: list[str]) -> None:
    import tempfile
    svc = ExplanationService(Settings(model_store=tempfile.mkdtemp(), cache_type="simple"))
    wanted = argv or [s.model_id for s in DEFAULT_SPECS]
    total = {"plain": 0.0, "recorded": 0.0, "recorder": 0.0}
    print(f"{'model':<20}{'plain s':>9}{'recorded s':>12}{'recorder s':>12}{'overhead':>10}  same weights")
    for spec in DEFAULT_SPECS:
        if spec.model_id not in wanted:
            continue
        data = svc.dataset(spec.dataset)
        t0 = time.perf_counter()
        plain = content_hash(fit_spec(spec, data, 0))
        t1 = time.perf_counter()
        rec = recorder(spec, data)
        recorded = content_hash(fit_spec(spec, data, 0, on_epoch=rec))
        t2 = time.perf_counter()
        row = (t1 - t0, t2 - t1, rec.seconds)
        for k, v in zip(total, row):
            total[k] += v
        print(f"{spec.model_id:<20}{row[0]:>9.2f}{row[1]:>12.2f}{row[2]:>12.2f}{row[2] / row[0]:>10.1%}  "
              f"{plain == recorded}")
    print(f"{'all':<20}{total['plain']:>9.2f}{total['recorded']:>12.2f}{total['recorder']:>12.2f}"
          f"{total['recorder'] / total['plain']:>10.1%}   (torch threads: {torch.get_num_threads()})")


if __name__ == "__main__":
    main(sys.argv[1:])

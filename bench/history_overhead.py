"""python -m bench.history_overhead [model ids]: what recording the training history costs.

Trains each zoo model three times in this process (once to warm up, then without and with
the recorder; same seed, so the same weights) on one torch thread, and prints the CPU
seconds of both runs (process time: on a machine shared with other work, wall-clock
seconds mostly measure the others), the recorder's own wall seconds and whether the
weights came out identical.
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
    torch.set_num_threads(1)
    print(f"{'model':<20}{'plain CPU s':>12}{'recorded CPU s':>15}{'recorder s':>12}{'overhead':>10}  same weights")
    for spec in DEFAULT_SPECS:
        if spec.model_id not in wanted:
            continue
        data = svc.dataset(spec.dataset)
        fit_spec(spec, data, 0)     # warm-up: the first run in a process pays for kernel set-up
        t0 = time.process_time()
        plain = content_hash(fit_spec(spec, data, 0))
        t1 = time.process_time()
        rec = recorder(spec, data)
        recorded = content_hash(fit_spec(spec, data, 0, on_epoch=rec))
        t2 = time.process_time()
        row = (t1 - t0, t2 - t1, rec.seconds)
        for k, v in zip(total, row):
            total[k] += v
        print(f"{spec.model_id:<20}{row[0]:>12.2f}{row[1]:>15.2f}{row[2]:>12.2f}{row[1] / row[0] - 1:>10.1%}  "
              f"{plain == recorded}")
    print(f"{'all':<20}{total['plain']:>12.2f}{total['recorded']:>15.2f}{total['recorder']:>12.2f}"
          f"{total['recorded'] / total['plain'] - 1:>10.1%}   (torch threads: {torch.get_num_threads()})")


if __name__ == "__main__":
    main(sys.argv[1:])

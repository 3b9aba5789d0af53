"""How long one pruning what-if setting takes on the MNIST CNN (issue 9: ≤ 1 s per setting,
evaluating the 1,000 held-out digits).

    python -m bench.pruning_whatif [--model-store DIR] [--reps 3]

Each setting is a new cache key, so each is computed, not served from the cache: the
pruned copy's batched forward over the held-out digits, the metrics, and the page's per-unit
scores (service.model_view(..., "pruning", ...)), then the selected sample's before/after
integrated gradients ("pruning_sample"). The shared held-out pass and the private copy are
made once per model first (warm-up, reported apart, with a first IG map: autograd's lazy
imports cost seconds once per process). Prints one line per setting and the
median and worst; the machine's load average is printed too (a shared machine is slower).
"""
from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path


def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.pruning_whatif")
    p.add_argument("--model-store", type=Path, default=Path(".glimpse/models"))
    p.add_argument("--model", default="mnist-cnn")
    p.add_argument("--reps", type=int, default=3, help="settings per (layer, rule)")
    args = p.parse_args(argv)

    from threadpoolctl import threadpool_limits

    from explain_core import ExplanationService, Settings

    store = args.model_store
    service = ExplanationService(Settings(model_store=store, cache_dir=store.parent / "cache", cache_type="simple"))
    mid = args.model
    t = time.perf_counter()
    first = service.model_view(mid, "pruning_layers")[0].name
    service.model_view(mid, "pruning", layer=first, how="activity", k=0)
    service.model_view(mid, "pruning_sample", layer=first, how="activity", k=0, sample=0, target=None)
    print(f"warm-up (model load, held-out pass with activations, private copy): {time.perf_counter() - t:.2f} s")
    layers = service.model_view(mid, "pruning_layers")
    times, sample_times, cpu, sample_cpu = [], [], [], []
    with threadpool_limits(1, "blas"):
        for pl in layers:
            for how in ("magnitude", "activity"):
                for rep in range(args.reps):
                    k = 1 + (rep + 1) * pl.units // (args.reps + 2)
                    t, c = time.perf_counter(), time.process_time()
                    r = service.model_view(mid, "pruning", layer=pl.name, how=how, k=k)
                    times.append(time.perf_counter() - t)
                    cpu.append(time.process_time() - c)
                    t, c = time.perf_counter(), time.process_time()
                    service.model_view(mid, "pruning_sample", layer=pl.name, how=how, k=k, sample=rep, target=None)
                    sample_times.append(time.perf_counter() - t)
                    sample_cpu.append(time.process_time() - c)
                    print(f"{pl.name:>8} {how:>9} k={k:<3} {r.metric} {r.before:.3f} -> {r.after:.3f}  "
                          f"held-out {times[-1]:.3f} s (CPU {cpu[-1]:.3f} s; forward {r.seconds:.3f} s, {r.n_rows} rows)  "
                          f"sample before/after IG {sample_times[-1]:.3f} s (CPU {sample_cpu[-1]:.3f} s)")
    print(f"per setting, held-out evaluation: median {statistics.median(times):.3f} s, worst {max(times):.3f} s "
          f"(CPU time of all threads: median {statistics.median(cpu):.3f} s); "
          f"with the sample's two IG maps: median {statistics.median(t + s for t, s in zip(times, sample_times)):.3f} s "
          f"(CPU {statistics.median(c + s for c, s in zip(cpu, sample_cpu)):.3f} s)")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()

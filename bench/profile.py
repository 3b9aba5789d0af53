"""`python -m bench profile --case lime`: where one case's time goes, ours and each peer (cProfile)."""
from __future__ import annotations

import cProfile
import io
import pstats
import warnings

from .cases import build_case
from .config import BenchConfig
from .context import held_out, make_service


def profile_case(cfg: BenchConfig, case_name: str, samples: int = 3, top: int = 15, service=None) -> str:
    svc = make_service(service)
    image = held_out(svc, cfg.image_model, samples)
    tabular = held_out(svc, cfg.tabular_model, samples)
    case = build_case(case_name, image, tabular, cfg)
    out = io.StringIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for c in [case.ours] + case.peers:
            c.fn(0, 0)                         # warm-up
            prof = cProfile.Profile()
            prof.enable()
            for i in range(samples):
                c.fn(i, 0)
            prof.disable()
            out.write(f"\n=== {case_name}: {c.label} ({samples} samples), by own time ===\n")
            pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(top)
    return out.getvalue()

"""How closely two attributions agree.

max_rel_err: max |a - b| / max |b| (scale-free; element-wise relative error blows up
             where b is near zero).
spearman:    rank correlation of the signed values (per feature / per segment).
top_k:       share of the k largest |values| of b that are also among the k largest of a.
"""
from __future__ import annotations

import numpy as np
from scipy.stats import spearmanr


def max_rel_err(a, b) -> float:
    a, b = np.asarray(a, np.float64).ravel(), np.asarray(b, np.float64).ravel()
    scale = np.abs(b).max()
    return float(np.abs(a - b).max() / scale) if scale > 0 else float(np.abs(a - b).max())


def spearman(a, b) -> float:
    a, b = np.asarray(a, np.float64).ravel(), np.asarray(b, np.float64).ravel()
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return float(np.array_equal(a, b))
    return float(spearmanr(a, b).statistic)


def top_k(a, b, k: int = 5) -> float:
    a, b = np.abs(np.asarray(a, np.float64).ravel()), np.abs(np.asarray(b, np.float64).ravel())
    k = min(k, a.size)
    ta = set(np.argsort(-a, kind="stable")[:k])
    tb = set(np.argsort(-b, kind="stable")[:k])
    return len(ta & tb) / k


def mean(values) -> float | None:
    values = [v for v in values if v is not None and np.isfinite(v)]
    return float(np.mean(values)) if values else None

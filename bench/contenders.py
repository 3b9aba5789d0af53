"""What a benchmark row compares: a contender is a callable (sample row, seed) -> Out."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np


@dataclass(frozen=True)
class Out:
    """values: what agreement is measured on (a map, or weights per feature/segment);
    delta: relative IG completeness error |Σattr - (f(x) - f(x'))| / |f(x) - f(x')|."""

    values: np.ndarray
    delta: float | None = None


@dataclass
class Contender:
    label: str
    fn: Callable[[int, int], Out]
    target: float | None = None          # ours / this contender must be <= target
    stochastic: bool = False             # seed-to-seed agreement is measured
    settings: str = ""


@dataclass
class Case:
    name: str                            # row name, e.g. 'lime' or 'tabular_lime'
    method: str                          # our method
    data: str                            # 'image' or 'tabular'
    settings: str
    ours: Contender
    peers: list[Contender] = field(default_factory=list)
    agreement: str = "exact"             # 'exact': max relative error; 'rank': Spearman + top-5
    slow: bool = False                   # timed on cfg.slow_samples with cfg.slow_reps
    floor: Contender | None = None       # the bare model call(s) the method cannot avoid, timed alongside

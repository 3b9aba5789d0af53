"""Stability of a stochastic method: the same sample explained with k seeds.

Shown: each feature's (or pixel's) mean, standard deviation and range over the seeds, and
the seed-to-seed Spearman rank correlation of the maps (1: every seed ranks the features
alike). LIME's local fit (weighted R²) per seed says how well its linear surrogate
describes the model near the sample at all.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..methods.registry import METHODS
from .sanity import spearman


def stochastic() -> tuple[str, ...]:
    """The methods whose map depends on a seed (a 'seed' parameter in the registry: LIME,
    SmoothGrad, KernelSHAP, GradientSHAP, and any registered later)."""
    return tuple(n for n, spec in METHODS.items() if any(p.name == "seed" for p in spec.params))
LOW_FIT = 0.5      # a LIME surrogate with a weighted R² below this is flagged


@dataclass(frozen=True)
class Stability:
    method: str
    target: int
    seeds: tuple[int, ...]
    maps: np.ndarray          # (k, *shape)
    mean: np.ndarray
    std: np.ndarray
    low: np.ndarray
    high: np.ndarray
    pairwise: np.ndarray      # (k, k) Spearman between seeds' maps
    r2: tuple[float, ...] = ()    # LIME: each seed's weighted R²

    @property
    def agreement(self) -> float:
        """Mean Spearman over distinct pairs of seeds."""
        k = len(self.seeds)
        if k < 2:
            return 1.0
        return float(self.pairwise[~np.eye(k, dtype=bool)].mean())

    @property
    def low_fit(self) -> bool:
        return bool(self.r2) and float(np.mean(self.r2)) < LOW_FIT


def stability_of(method: str, target: int, seeds, results) -> Stability:
    """From one result per seed (Attributions of the same sample and target)."""
    maps = np.stack([np.asarray(r.attribution, dtype=np.float64) for r in results])
    k = len(maps)
    pair = np.ones((k, k))
    for i in range(k):
        for j in range(i + 1, k):
            pair[i, j] = pair[j, i] = spearman(maps[i], maps[j])
    r2 = tuple(float(r.extras["score"]) for r in results if "score" in r.extras)
    f = np.float32
    return Stability(method, int(target), tuple(int(s) for s in seeds), maps.astype(f), maps.mean(0).astype(f),
                     maps.std(0).astype(f), maps.min(0).astype(f), maps.max(0).astype(f), pair, r2)


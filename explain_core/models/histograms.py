"""Histograms of a layer's values: exact ones (one tensor, its own range) and ones that
share fixed bin edges across training epochs.

While a model trains, the range its values will take later is not known yet. Each epoch
therefore keeps a fine histogram (FINE bins over that epoch's own min..max); when
training ends, one set of BINS edges is fixed for every epoch (a robust range: the
widest 0.5%..99.5% quantile range over the epochs) and each fine bin is counted in the
coarse bin holding its centre. Every value is counted exactly once (values beyond the
robust range fall in the end bins), and a value's bin is off by at most one fine bin
width (1/FINE of that epoch's range).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

BINS = 40
FINE = 1024
ROBUST = (0.005, 0.995)
SMALL = 100_000          # values up to which uniform_counts bins inline


@dataclass(frozen=True)
class FineHistogram:
    """One epoch's values of one layer: FINE counts over [lo, hi] (lo == hi: all equal)."""
    counts: np.ndarray      # (FINE,) int64
    lo: float
    hi: float

    @property
    def n(self) -> int:
        return int(self.counts.sum())

    def centres(self) -> np.ndarray:
        if self.hi <= self.lo:
            return np.full(len(self.counts), self.lo)
        w = (self.hi - self.lo) / len(self.counts)
        return self.lo + w * (np.arange(len(self.counts)) + 0.5)

    def quantile(self, q: float) -> float:
        """The centre of the fine bin holding the q-quantile."""
        cum = np.cumsum(self.counts)
        i = int(np.searchsorted(cum, q * cum[-1], side="left")) if cum[-1] else 0
        return float(self.centres()[min(i, len(cum) - 1)])


def values(t) -> np.ndarray:
    """A tensor's (or array's) values as one float32 vector, NaN and infinities left out."""
    v = t.detach().cpu().reshape(-1).float().numpy() if isinstance(t, torch.Tensor) else \
        np.asarray(t, np.float32).reshape(-1)
    finite = np.isfinite(v)
    return v if finite.all() else v[finite]


def uniform_counts(v: np.ndarray, bins: int, lo: float, hi: float) -> np.ndarray:
    """Counts of v (every value within [lo, hi]) over `bins` equal bins, as numpy's histogram
    counts them. Small arrays (a layer's weights every epoch) take numpy's own algorithm
    inline, without its ~0.1 ms of checks per call; large ones numpy's histogram (faster
    than torch.histc here, which waits on its thread pool when the machine is busy)."""
    if v.size > SMALL:
        return np.histogram(v, bins=bins, range=(lo, hi))[0].astype(np.int64)
    x = v                                                     # float32, as numpy bins float32 values
    edges = np.linspace(lo, hi, bins + 1, dtype=x.dtype)
    idx = (((x - lo) / (hi - lo)) * bins).astype(np.int64)
    np.clip(idx, 0, bins - 1, out=idx)
    idx[x < edges[idx]] -= 1                                  # numpy's correction at the edges
    idx[(x >= edges[idx + 1]) & (idx != bins - 1)] += 1
    return np.bincount(idx, minlength=bins).astype(np.int64)


def fine_histogram(t: torch.Tensor, bins: int = FINE) -> FineHistogram:
    v = values(t)
    if v.size == 0:
        return FineHistogram(np.zeros(bins, np.int64), 0.0, 0.0)
    lo, hi = float(v.min()), float(v.max())
    if hi <= lo:
        counts = np.zeros(bins, np.int64)
        counts[0] = v.size
        return FineHistogram(counts, lo, lo)
    return FineHistogram(uniform_counts(v, bins, lo, hi), lo, hi)


def robust_edges(fines: list[FineHistogram], bins: int = BINS) -> np.ndarray:
    """BINS + 1 edges over the widest robust range of the epochs' values."""
    kept = [f for f in fines if f.n]
    if not kept:
        return np.linspace(-1.0, 1.0, bins + 1)
    lo = min(f.quantile(ROBUST[0]) if f.hi > f.lo else f.lo for f in kept)
    hi = max(f.quantile(ROBUST[1]) if f.hi > f.lo else f.hi for f in kept)
    if hi <= lo:    # constant values (a layer of zeros): a small range around them
        pad = max(abs(lo) * 0.05, 1e-6)
        lo, hi = lo - pad, hi + pad
    return np.linspace(lo, hi, bins + 1)


def rebin(fine: FineHistogram, edges: np.ndarray) -> tuple[np.ndarray, int]:
    """The fine counts on the coarse `edges` (every value counted once; those beyond the
    edges in the end bins), and how many values lay beyond them."""
    bins = len(edges) - 1
    centres = fine.centres()
    idx = np.clip(np.searchsorted(edges, centres, side="right") - 1, 0, bins - 1)
    out = np.zeros(bins, np.int64)
    np.add.at(out, idx, fine.counts)
    beyond = int(fine.counts[(centres < edges[0]) | (centres > edges[-1])].sum())
    return out, beyond


def shared_histograms(fines: list[FineHistogram], bins: int = BINS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(edges (bins+1,), counts (epochs, bins), beyond (epochs,)) on one set of edges."""
    edges = robust_edges(fines, bins)
    pairs = [rebin(f, edges) for f in fines]
    return edges, np.stack([c for c, _ in pairs]), np.array([b for _, b in pairs], np.int64)


def exact_histogram(a, bins: int = BINS) -> tuple[np.ndarray, np.ndarray]:
    """(edges, counts) of every finite value of `a` over its own min..max (numpy's rule:
    the last bin includes the maximum)."""
    v = values(a)
    if v.size == 0:
        return np.linspace(-1.0, 1.0, bins + 1), np.zeros(bins, np.int64)
    lo, hi = float(v.min()), float(v.max())
    if hi <= lo:
        pad = max(abs(lo) * 0.05, 1e-6)
        lo, hi = lo - pad, hi + pad
    return np.linspace(lo, hi, bins + 1), uniform_counts(v, bins, lo, hi)

"""KernelSHAP (Lundberg & Lee 2017): Shapley values of the target logit from a weighted
linear fit over coalitions of features (tabular) or patches (images).

A coalition z ∈ {0,1}^M keeps the features where z = 1 and sets the others to the
baseline. The Shapley values are the coefficients of the linear model
g(z) = f(baseline) + Σ φ_j z_j fitted with the Shapley kernel weight
(M - 1) / (C(M, |z|) |z| (M - |z|)), subject to Σ φ = f(x) - f(baseline)
(efficiency), which is enforced exactly by eliminating the last coefficient.

Coalitions are chosen as in the `shap` package's KernelExplainer: subset sizes whose
every coalition fits in the budget are enumerated in full (smallest and largest sizes
first, a coalition together with its complement), the rest are drawn at random in
complementary pairs with sizes from the kernel's size distribution, repeats adding to
a coalition's weight. When 2^M - 2 <= n_samples every coalition is enumerated and the
values are exact. All coalitions go through the model in batches of `batch_size`.
"""
from __future__ import annotations

import itertools
import math

import numpy as np
import torch
from torch import nn

from ..errors import ParameterError
from .base import Attribution, check_param, check_target, forward_rows
from .gradients import _target_index
from .segmentation import make_segments

IMAGE_ROWS = 256     # coalitions per model call for images
TABLE_ROWS = 4096    # table rows are small: the default 1,000 coalitions in one call


def _size_weights(m: int) -> tuple[np.ndarray, int, int]:
    """Kernel mass of subset sizes 1..ceil((M-1)/2), a size and its complement counted together."""
    n_sizes = math.ceil((m - 1) / 2)
    n_paired = (m - 1) // 2
    w = np.array([(m - 1) / (k * (m - k)) for k in range(1, n_sizes + 1)], dtype=np.float64)
    w[:n_paired] *= 2
    return w / w.sum(), n_sizes, n_paired


def _full_size(m: int, size: int, paired: bool) -> np.ndarray:
    combos = np.array(list(itertools.combinations(range(m), size)), dtype=np.int64)
    masks = np.zeros((len(combos), m), dtype=bool)
    masks[np.arange(len(combos))[:, None], combos] = True
    if not paired:
        return masks
    both = np.empty((2 * len(masks), m), dtype=bool)
    both[0::2], both[1::2] = masks, ~masks
    return both


def _random_pairs(m: int, sizes: np.ndarray, n_paired: int, rng: np.random.Generator) -> np.ndarray:
    """One random coalition per size, followed by its complement when the size is paired."""
    masks = rng.random((len(sizes), m)).argsort(axis=1) < sizes[:, None]
    paired = sizes <= n_paired
    starts = np.cumsum(1 + paired) - (1 + paired)
    rows = np.empty((int(len(sizes) + paired.sum()), m), dtype=bool)
    rows[starts] = masks
    rows[starts[paired] + 1] = ~masks[paired]
    return rows


def _distinct_prefix(rows: np.ndarray, need: int) -> tuple[np.ndarray, np.ndarray] | None:
    """The first `need` distinct rows (in order of appearance) and how often each occurs
    up to the appearance of the last of them; None when there are fewer."""
    keys = np.packbits(rows, axis=1)
    keys = np.ascontiguousarray(keys).view(np.dtype((np.void, keys.shape[1]))).ravel()
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    if len(first) < need:
        return None
    order = np.argsort(first, kind="stable")[:need]
    cutoff = first[order[-1]]
    counts = np.bincount(inverse[:cutoff + 1], minlength=len(first))
    return rows[first[order]], counts[order].astype(np.float64)


def shapley_coalitions(m: int, n_samples: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(coalitions (n, M) bool, weights (n,)) with every coalition neither empty nor full."""
    if m < 2:
        return np.zeros((0, m), dtype=bool), np.zeros(0)
    n_samples = min(n_samples, 2 ** m - 2) if m <= 30 else n_samples
    size_w, n_sizes, n_paired = _size_weights(m)
    left, remaining, full = n_samples, size_w.copy(), 0
    blocks, weights = [], []
    for size in range(1, n_sizes + 1):
        paired = size <= n_paired
        n_subsets = math.comb(m, size) * (2 if paired else 1)
        if left * remaining[size - 1] / n_subsets < 1.0 - 1e-8:
            break
        full += 1
        left -= n_subsets
        if remaining[size - 1] < 1.0:
            remaining /= 1.0 - remaining[size - 1]
        blocks.append(_full_size(m, size, paired))
        weights.append(np.full(n_subsets, size_w[size - 1] / n_subsets))
    if full < n_sizes and left > 0:
        p = size_w.copy()
        p[:n_paired] /= 2           # each draw of a paired size gives two coalitions
        p = p[full:] / p[full:].sum()
        draws = left
        while True:
            sizes = full + 1 + rng.choice(len(p), size=draws, p=p)
            picked = _distinct_prefix(_random_pairs(m, sizes, n_paired, rng), left)
            if picked is not None:
                break
            draws *= 2
        masks, counts = picked
        blocks.append(masks)
        weights.append(counts * size_w[full:].sum() / counts.sum())
    return np.concatenate(blocks), np.concatenate(weights)


def constrained_shapley_fit(Z: np.ndarray, y: np.ndarray, w: np.ndarray, total: float) -> np.ndarray:
    """Weighted least squares of y on Z with Σ φ = total (the last coefficient eliminated).

    Solved through the (M-1)² normal equations, as shap does. The Gram matrix is built
    with einsum rather than a BLAS product: a multi-threaded BLAS call of this small size
    costs ~100x more on a machine whose cores are busy, and buys nothing here."""
    m = Z.shape[1]
    if m == 1 or len(Z) == 0:
        return np.full(m, total / max(m, 1))
    Z = Z.astype(np.float64)
    A = Z[:, :-1] - Z[:, -1:]
    b = y - Z[:, -1] * total
    Aw = A * w[:, None]
    gram, rhs = np.einsum("ni,nj->ij", Aw, A), np.einsum("ni,n->i", Aw, b)
    try:
        rest = np.linalg.solve(gram, rhs)
    except np.linalg.LinAlgError:       # a feature never varied independently: minimum-norm answer
        rest = np.linalg.lstsq(gram, rhs, rcond=None)[0]
    return np.append(rest, total - rest.sum())


class KernelShap:
    """KernelSHAP for one sample: images over patch (or SLIC) segments, tabular rows over features.

    attribution has the input's shape; each pixel carries its segment's Shapley value
    (like Captum's KernelShap with a feature mask). delta = Σ φ - (f(x) - f(baseline)) on
    the target logit, zero up to rounding because efficiency is enforced.
    """

    name = "kernel_shap"

    def __init__(self, model: nn.Module, n_samples: int = 1000, seed: int = 0, baseline=0.0,
                 segmentation: str = "grid", patch: int = 4, batch_size: int | None = None):
        self.model = model
        self.n_samples = n_samples
        self.seed = seed
        self.baseline = baseline
        self.segmentation = segmentation
        self.patch = patch
        self.batch_size = batch_size

    def _baseline(self, shape) -> np.ndarray:
        b = np.asarray(self.baseline, dtype=np.float32)
        if b.ndim == 0:
            return np.full(shape, float(b), dtype=np.float32)
        if b.shape != tuple(shape):
            raise ParameterError(f"baseline has shape {b.shape} but the sample has shape {tuple(shape)}")
        return b

    def _groups(self, x: np.ndarray) -> np.ndarray | None:
        """Segment id per pixel (H, W) for images; None for tabular rows (one feature each)."""
        if x.ndim != 3:
            return None
        return make_segments(x, self.segmentation, int(check_param("patch", self.patch, 1, None, int)))

    def _logits(self, x: np.ndarray, base: np.ndarray, Z: np.ndarray, groups) -> torch.Tensor:
        """Every logit for every coalition, batch_size coalitions per model call."""
        size = self.batch_size if self.batch_size is not None else (IMAGE_ROWS if groups is not None else TABLE_ROWS)
        rows = int(check_param("batch_size", size, 1, None, int))
        xt, bt = torch.as_tensor(x), torch.as_tensor(base)
        out = []
        with torch.no_grad():
            for i in range(0, len(Z), rows):
                keep = torch.as_tensor(Z[i:i + rows])
                if groups is not None:
                    keep = keep[:, torch.as_tensor(groups)].unsqueeze(1)   # (b, 1, H, W)
                inputs = torch.where(keep, xt, bt)
                out.append(forward_rows(self.model, inputs).double())
        return torch.cat(out)

    def attribute(self, x, target: int | None = None) -> Attribution:
        self.model.eval()
        n = check_param("n_samples", self.n_samples, 2, None, int)
        x = np.asarray(x, dtype=np.float32)
        if x.ndim == 2:                       # (H, W) image: add the channel axis
            x = x[None]
        base = self._baseline(x.shape)
        groups = self._groups(x)
        m = int(groups.max()) + 1 if groups is not None else x.size
        if target is not None:
            _target_index(target)         # its type and sign before any model call; its range on the logits

        Z, w = shapley_coalitions(m, n, np.random.default_rng(self.seed))
        # the sample and the baseline ride with the coalitions: f(x), f(baseline) and the prediction, no extra call
        logits = self._logits(x, base, np.concatenate([np.ones((1, m), bool), np.zeros((1, m), bool), Z]), groups)
        target = int(logits[0].argmax()) if target is None else check_target(target, int(logits.shape[1]))
        scores = logits[:, target].numpy()
        fx, fb = float(scores[0]), float(scores[1])
        y = scores[2:] - fb
        phi = constrained_shapley_fit(Z, y, w, fx - fb)

        attribution = np.broadcast_to(phi[groups], x.shape) if groups is not None else phi.reshape(x.shape)
        b = np.asarray(self.baseline)
        params = {"n_samples": n, "seed": int(self.seed), "baseline": float(b) if b.ndim == 0 else "array"}
        extras = {"weights": phi, "base_value": fb, "output_difference": fx - fb, "n_coalitions": int(len(Z))}
        if groups is not None:
            params.update(segmentation=self.segmentation, patch=int(self.patch))
            extras.update(segments=groups, n_segments=m)
        for v in extras.values():
            if isinstance(v, np.ndarray):
                v.setflags(write=False)
        return Attribution(self.name, attribution.astype(np.float32), x, target, params,
                           delta=float(phi.sum() - (fx - fb)), extras=extras)

"""Integrated gradients to a stated accuracy, for one sample or a whole data set at once.

Each sample gets as many path points as it needs for its completeness error
|Σ attribution − (f(x) − f(x'))| to be within `tolerance` of |f(x) − f(x')| (1% by
default), and no more. The points follow Fejér's second rule (the interior Chebyshev
points of [0, 1]): it is *nested* — doubling the intervals keeps every point already
evaluated and adds one new point between each pair — and converges about as fast as
Gauss–Legendre on smooth stretches. So a sample that misses the tolerance at 7 points
costs 8 more points for the next try (15), not 15; its earlier gradients are kept and
re-weighted. Many samples share each model call: at every level only the samples still
above the tolerance get new rows.

Through a model's affine stem (see AffineStem) the stored per-point gradients are the
head's, taken after the first max-pool where the baseline allows it (the op order the
fixed-step IG path uses), and go back through the stem once per sample per try.
Where |f(x) − f(x')| is tiny (a class far from the sample) the error is measured
against SCORE_FLOOR instead, and the result says so ('floored').
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .base import Attribution, as_batch, channels_last_ok, check_param, check_target, to_numpy
from .gradients import (DEFAULT_ROWS, _path_points, _pool_args, _target_index, _windows_constant, affine_stem,
                        head_call, one_sample)

TOLERANCE = 0.01
START_STEPS = 3         # points of the first try: 3, 7, 15, 31, ... (2^k − 1)
MAX_STEPS = 1023
SCORE_FLOOR = 0.1       # errors are measured against max(|f(x) − f(x')|, this)
RULE = "fejer2"


def fejer2(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Fejér's second rule with n intervals on [0, 1]: (weights, alphas) of its n − 1
    interior points α_k = (1 + cos(kπ/n)) / 2, k = 1 … n − 1. Exact for polynomials of
    degree n − 2 (checked in tests); the points of n intervals are among those of 2n."""
    k = np.arange(1, n)
    theta = k * np.pi / n
    j = np.arange(1, n // 2 + 1)
    s = (np.sin(np.outer(theta, 2 * j - 1)) / (2 * j - 1)).sum(1)
    return 2.0 * np.sin(theta) / n * s, 0.5 * (1 + np.cos(theta))


def _intervals(steps: int) -> int:
    """Points -> intervals of the nested rule: the smallest 2^k with 2^k − 1 ≥ steps."""
    n = 2
    while n - 1 < steps:
        n *= 2
    return n


@dataclass(frozen=True)
class AutoIG:
    """What adaptive_ig computes for N samples."""
    maps: np.ndarray            # (N, *shape) float32
    targets: np.ndarray         # (N,) int
    ends: np.ndarray            # (N, 2) float64: target logit at x and at the baseline
    steps: np.ndarray           # (N,) int: path points used
    tried: list                 # per sample, the point counts tried
    error: np.ndarray           # (N,) relative completeness error (against the floor where floored)
    reached: np.ndarray         # (N,) bool


class _Identity:
    """A stem for models without one: the head is the model, z is the input."""
    pool = None

    def __init__(self, model):
        self.affine, self.head = (lambda x: x), model


def _prepare(model, base):
    stem = affine_stem(model) or _Identity(model)
    with torch.no_grad():
        u = stem.affine(base[None].float())
    pool = getattr(stem, "pool", None)
    if pool is not None and getattr(stem, "pooled_head", None) is not None and _windows_constant(u, pool):
        return stem, stem.pooled_head, pool, F.max_pool2d(u, **_pool_args(pool))
    return stem, stem.head, None, u


def _z(stem, pool, X: torch.Tensor, grad: bool):
    """The head's input at α = 1 for the rows X (and the max-pool's winners)."""
    with torch.set_grad_enabled(grad):
        v = stem.affine(X)
    if pool is None:
        return v, v.detach(), None
    vd, idx = F.max_pool2d(v.detach(), **_pool_args(pool), return_indices=True)
    return v, vd, idx


def _row_grads(model, head, u, vd, t, alphas: torch.Tensor, rows: int) -> torch.Tensor:
    """d head(lerp(u, z_s, α_k))[t_s] / dz for every sample s of vd and every α_k,
    at most `rows` rows per model call -> (S, K, *zshape), channels-last images stored
    as they come back (a permuted view: no copy to the usual order)."""
    S, K = len(vd), len(alphas)
    image = vd.dim() == 4
    shape = (vd.shape[2], vd.shape[3], vd.shape[1]) if image else tuple(vd.shape[1:])
    out = torch.empty((S, K) + shape)
    per_call_k = min(K, rows)
    per_call_s = max(1, rows // per_call_k)
    for s0 in range(0, S, per_call_s):
        s = slice(s0, min(S, s0 + per_call_s))
        for k0 in range(0, K, per_call_k):
            a = alphas[k0:k0 + per_call_k]
            g, kk = s.stop - s.start, len(a)
            logits, leaf, _ = head_call(model, head, lambda cl: _path_points(u, a, vd[s], cl),
                                        channels_last_ok(model, torch.empty((g * kk,) + (1,) * (vd.dim() - 1))))
            with torch.enable_grad():
                picked = logits.gather(1, t[s].repeat_interleave(kk).view(-1, 1))
                (grad,) = torch.autograd.grad(picked.sum(), leaf)
            if image:
                grad = grad.permute(0, 2, 3, 1)
            out[s, k0:k0 + kk] = grad.reshape((g, kk) + shape)
    return out.permute(0, 1, 4, 2, 3) if image else out


class _Transpose:
    """The stem's vector-Jacobian product for the rows X, from one forward kept for every
    try (the stem is affine: its transpose is the same at every point): summed head
    gradients (S, *zshape) of some rows -> gradients wrt those rows' input."""

    def __init__(self, stem, pool, X: torch.Tensor):
        self.identity = isinstance(stem, _Identity)
        if not self.identity:
            self.X = X.clone().requires_grad_(True)
            self.v, self.vd, self.idx = _z(stem, pool, self.X, True)
        else:
            self.vd = X

    def __call__(self, which: torch.Tensor, G: torch.Tensor) -> torch.Tensor:
        if self.identity:
            return G
        full = torch.zeros((len(self.vd),) + tuple(G.shape[1:]))
        full[which] = G
        v, idx = self.v, self.idx
        Gz = full if idx is None else torch.zeros_like(v).flatten(2).scatter_add_(
            2, idx.flatten(2), full.flatten(2)).view_as(v)
        (gx,) = torch.autograd.grad(v, self.X, grad_outputs=Gz, retain_graph=True)
        return gx.detach()[which]


def adaptive_ig(model: nn.Module, X, targets=None, baseline=0.0, tolerance: float = TOLERANCE,
                start_steps: int = START_STEPS, max_steps: int = MAX_STEPS, rows: int = DEFAULT_ROWS,
                group: int = 128) -> AutoIG:
    """IG for every sample of X (targets None: each one's prediction), each to `tolerance`.
    Samples go `group` at a time; within a group the rows of every sample still above
    the tolerance share each model call (at most `rows` rows)."""
    model.eval()
    tol = check_param("tolerance", tolerance, 1e-6, 1.0, float)
    cap = _intervals(check_param("max_steps", max_steps, 1, 100_000, int))
    n0 = min(_intervals(check_param("start_steps", start_steps, 1, 100_000, int)), cap)
    X = as_batch(X)
    b = torch.as_tensor(np.asarray(baseline, dtype=np.float32))
    base = b.expand(X.shape[1:]).clone() if b.dim() == 0 else b
    if tuple(base.shape) != tuple(X.shape[1:]):
        raise ValueError(f"baseline has shape {tuple(base.shape)} but inputs have shape {tuple(X.shape[1:])}")
    stem, head, pool, u = _prepare(model, base)
    with torch.no_grad():
        f_base = head(u)[0].double()
    maps, tg, ends, steps, tried, errors, reached = [], [], [], [], [], [], []
    for lo in range(0, len(X), group):
        Xg = X[lo:lo + group]
        r = _group(model, stem, head, pool, u, f_base, Xg, None if targets is None else targets[lo:lo + group],
                   base, tol, n0, cap, rows)
        for acc, part in zip((maps, tg, ends, steps, tried, errors, reached), r):
            acc.extend(part) if isinstance(part, list) else acc.append(part)
    if not len(X):
        return AutoIG(np.zeros(tuple(X.shape), np.float32), np.zeros(0, int), np.zeros((0, 2)), np.zeros(0, int),
                      [], np.zeros(0), np.zeros(0, bool))
    return AutoIG(np.concatenate(maps), np.concatenate(tg), np.concatenate(ends), np.concatenate(steps), tried,
                  np.concatenate(errors), np.concatenate(reached))


def _group(model, stem, head, pool, u, f_base, X, targets, base, tol, n0, cap, rows):
    g = len(X)
    transpose = _Transpose(stem, pool, X)
    vd = transpose.vd
    with torch.no_grad():
        f_x = head(vd).double()         # the α = 1 row: f(x), and the prediction
    classes = f_x.shape[1]
    if targets is None:
        t = f_x.argmax(1)
    else:
        t = torch.as_tensor(np.asarray(targets)).long().view(-1)
        check_target(int(t.min()), classes), check_target(int(t.max()), classes)
    od = (f_x.gather(1, t.view(-1, 1))[:, 0] - f_base[t]).numpy()
    scale = np.maximum(np.abs(od), SCORE_FLOOR)
    diff = X - base
    # Σ attribution = <(x − x'), stemᵀ G> = <z_x − z_x', G>: the check needs no map (u is flat on the windows)
    dz = (vd - u).double().reshape(g, -1)
    maps = np.zeros(tuple(X.shape), np.float32)
    steps, errors = np.zeros(g, int), np.zeros(g)
    tried = [[] for _ in range(g)]
    active = torch.arange(g)
    blocks = []            # (sample positions, gradients (S, K, *z), node numbers at the finest level)
    n, new_k = n0, np.arange(1, n0)
    while True:
        alphas = torch.as_tensor(0.5 * (1 + np.cos(new_k * np.pi / n)), dtype=torch.float32)
        blocks.append((active, _row_grads(model, head, u, vd[active], t[active], alphas, rows), new_k * (cap // n)))
        G = _weighted(blocks, active, g, vd.shape[1:], torch.as_tensor(fejer2(n)[0], dtype=torch.float32), cap // n)
        a = active.numpy()
        for s in a:
            tried[s].append(n - 1)
        err_z = np.abs((G.double().reshape(len(a), -1) * dz[active]).sum(1).numpy() - od[a]) / scale[a]
        done = (err_z <= tol) | (n >= cap)
        if done.any():          # maps for those done, and their error measured on the map itself
            d = torch.as_tensor(done)
            attr = (transpose(active[d], G[d]) * diff[active[d]]).numpy()
            err = np.abs(attr.astype(np.float64).reshape(len(attr), -1).sum(1) - od[a[done]]) / scale[a[done]]
            ok = (err <= tol) | (n >= cap)
            fin = a[done][ok]
            maps[fin], steps[fin], errors[fin] = attr[ok], n - 1, err[ok]
            done[np.flatnonzero(done)[~ok]] = False
        if done.all():
            break
        active = active[torch.as_tensor(~done)]
        n, new_k = 2 * n, np.arange(1, 2 * n, 2)
    e = np.stack([f_x.gather(1, t.view(-1, 1))[:, 0].numpy(), f_base[t].numpy()], 1)
    return [maps], [t.numpy()], [e], [steps], tried, [errors], [errors <= tol]


def _weighted(blocks, active, g: int, zshape, w: torch.Tensor, stride: int) -> torch.Tensor:
    """Σ_k w_k ∇_k for the active samples over every point evaluated so far."""
    where = torch.full((g,), -1, dtype=torch.long)
    where[active] = torch.arange(len(active))
    G = torch.zeros((len(active),) + tuple(zshape))
    for who, grads, k in blocks:
        pos = where[who]
        keep = pos >= 0
        G[pos[keep]] += torch.einsum("sk...,k->s...", grads[keep], w[torch.as_tensor(k // stride - 1)])
    return G


class AutoIntegratedGradients:
    """Integrated gradients with the steps chosen per sample: n_steps 'auto' in a request."""

    name = "integrated_gradients"

    def __init__(self, model: nn.Module, tolerance: float = TOLERANCE, max_steps: int = MAX_STEPS,
                 baseline=0.0, batch_size: int | None = None, start_steps: int = START_STEPS):
        self.model = model
        self.tolerance = tolerance
        self.max_steps = max_steps
        self.baseline = baseline
        self.batch_size = batch_size
        self.start_steps = start_steps

    def explain_batch(self, X, targets=None) -> list[Attribution]:
        X = as_batch(X)
        r = adaptive_ig(self.model, X, targets, self.baseline, self.tolerance, self.start_steps, self.max_steps,
                        DEFAULT_ROWS if self.batch_size is None else int(self.batch_size))
        b = np.asarray(self.baseline)
        params = {"n_steps": "auto", "rule": RULE, "baseline": float(b) if b.ndim == 0 else "array",
                  "tolerance": float(self.tolerance), "max_steps": int(_intervals(self.max_steps) - 1)}
        out = []
        for i, x in enumerate(to_numpy(X)):
            od = float(r.ends[i, 0] - r.ends[i, 1])
            extras = {"output_difference": od, "steps_used": int(r.steps[i]), "steps_tried": tuple(r.tried[i]),
                      "tolerance": float(self.tolerance), "reached": bool(r.reached[i]),
                      "relative_error": float(r.error[i]), "floored": abs(od) < SCORE_FLOOR}
            delta = float(r.maps[i].astype(np.float64).sum() - od)
            out.append(Attribution(self.name, r.maps[i], x, int(r.targets[i]), params, delta=delta, extras=extras))
        return out

    def attribute_batch(self, X, targets=None) -> np.ndarray:
        """(N, *shape) maps only (the quality scores' batched explainer)."""
        return adaptive_ig(self.model, as_batch(X), targets, self.baseline, self.tolerance, self.start_steps,
                           self.max_steps, DEFAULT_ROWS if self.batch_size is None else int(self.batch_size)).maps

    def attribute(self, x, target: int | None = None) -> Attribution:
        xb = one_sample(x)
        t0 = None if target is None else np.array([_target_index(target)])
        return self.explain_batch(xb, t0)[0]

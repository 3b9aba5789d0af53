"""Path and noise gradients through a model's affine stem (models/architectures.AffineStem):
the stem runs once per sample, the points along IG's path (or SmoothGrad's noisy copies)
are built on the head's input, after the first max-pool where the baseline allows it, and
the summed head gradients go back through the stem once. Used by integrated.py,
gradients.SmoothGrad and auto_ig.py."""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..models.architectures import AffineStem
from .base import _CHANNELS_LAST_FAILS, batched_forward, channels_last_ok, check_target


def _stem_narrows(stem: AffineStem, X: torch.Tensor) -> bool:
    """Is the stem's output per sample no larger than the input (an MLP's first layer)?"""
    with torch.no_grad():
        return stem.affine(X[:1]).numel() <= X[:1].numel()


def _pool_args(pool: nn.MaxPool2d) -> dict:
    return dict(kernel_size=pool.kernel_size, stride=pool.stride, padding=pool.padding,
                dilation=pool.dilation, ceil_mode=pool.ceil_mode)


def _windows_constant(u: torch.Tensor, pool: nn.MaxPool2d) -> bool:
    """Is u the same value across each pooling window (and do the windows cover only u)?"""
    args = _pool_args(pool)
    if u.dim() != 4 or args["padding"] not in (0, (0, 0)) or args["ceil_mode"]:
        return False
    return bool(torch.equal(F.max_pool2d(u, **args), -F.max_pool2d(-u, **args)))


def _path_points(u: torch.Tensor, a: torch.Tensor, zx: torch.Tensor, channels_last: bool) -> torch.Tensor:
    """Rows lerp(u, zx_s, a_k) for every sample s and every α a_k, sample-major, built
    in the memory order the model will read (no copy to channels-last afterwards).
    lerp is exact at both ends: the α = 1 row is zx itself and the α = 0 row is u, so
    exact ties there (max-pool windows over a blank background) break as in the model."""
    if channels_last:      # NHWC copies (one row per sample): lerp then writes NHWC rows, not NCHW ones
        perm = lambda t: t.permute(0, 2, 3, 1).contiguous()     # noqa: E731
        z = torch.lerp(perm(u)[:, None], perm(zx)[:, None], a.view(1, -1, 1, 1, 1))
        return z.reshape((-1,) + z.shape[2:]).permute(0, 3, 1, 2)
    z = torch.lerp(u[:, None], zx[:, None], a.view((1, -1) + (1,) * (zx.dim() - 1)))
    return z.reshape((-1,) + tuple(zx.shape[1:]))


def _noise_points(zx: torch.Tensor, sigma: torch.Tensor, L: torch.Tensor, channels_last: bool) -> torch.Tensor:
    """Rows zx_s + σ_s L_j for every sample s and every noise draw j, sample-major."""
    if channels_last:
        perm = lambda t: t.permute(0, 2, 3, 1)     # noqa: E731
        z = perm(zx)[:, None] + sigma.view(-1, 1, 1, 1, 1) * perm(L)[None]
        return z.reshape((-1,) + z.shape[2:]).permute(0, 3, 1, 2)
    z = zx[:, None] + sigma.view((-1, 1) + (1,) * (zx.dim() - 1)) * L[None]
    return z.reshape((-1,) + tuple(zx.shape[1:]))


def head_call(model, head, build, cl: bool):
    """head(leaf) for a fresh leaf = build(cl), with grad; a model that cannot take
    channels-last rows is remembered and run in the usual order. -> (out, leaf, cl)."""
    while True:
        leaf = build(cl).requires_grad_(True)
        try:
            with torch.enable_grad():
                return head(leaf), leaf, cl
        except RuntimeError:
            if not cl:
                raise
            _CHANNELS_LAST_FAILS[model], cl = True, False


def _head_sums(model, head, points, g: int, zshape, per: int, rows: int, t, w: torch.Tensor, probe: int,
               keep=()):
    """Run `head` over the rows of g samples × `per` rows each (points(k, channels_last)
    builds the rows k of every sample), at most `rows` rows per call, and sum each
    sample's gradients wrt the head's input, row j weighted by w[j].
    t: the samples' targets, or None to read each one's prediction at its row `probe`
    (then all rows of a sample must fit in one call).
    -> (sums (g, *zshape), targets (g,), {row: target logits (g,) float64 for rows in keep})."""
    steps = per if per <= rows else rows
    G = torch.zeros((g,) + tuple(zshape))
    kept = {}
    for k0 in range(0, per, steps):
        k = slice(k0, min(per, k0 + steps))
        K = k.stop - k0
        out, leaf, cl = head_call(model, head, lambda cl: points(k, cl),
                                  channels_last_ok(model, torch.empty((g * K,) + (1,) * len(zshape))))
        with torch.enable_grad():
            if t is None:
                t = out.detach().view(g, K, -1)[:, probe - k0].argmax(1)
            check_target(int(t.min()), int(out.shape[1])), check_target(int(t.max()), int(out.shape[1]))
            picked = out.gather(1, t.repeat_interleave(K).view(-1, 1)).view(g, K)
            (grad,) = torch.autograd.grad((picked * w[k]).sum(), leaf)
        if cl:
            G += grad.permute(0, 2, 3, 1).reshape((g, K) + tuple(grad.shape[2:]) + (grad.shape[1],)).sum(1) \
                .permute(0, 3, 1, 2)
        else:
            G += grad.view((g, K) + tuple(grad.shape[1:])).sum(1)
        for row in keep:
            if k0 <= row < k.stop:
                kept[row] = picked.detach()[:, row - k0].double()
    return G, t, kept


def stem_path_gradients(model: nn.Module, stem: AffineStem, X: torch.Tensor, base: torch.Tensor,
                        targets, alphas: np.ndarray, weights: np.ndarray, rows: int):
    """Σₖ wₖ ∇f(base + αₖ (x − base)) for every x in X, through the model's affine stem.

    With z = affine(input): z along the path is u + αₖ (zₓ − u), u = affine(base) and
    zₓ = affine(x), so only the head runs per step; its gradients wrt z are summed with
    the weights and sent back through the stem's transpose (the same at every point)
    once per sample. Two extra rows per sample, α = 1 and α = 0 with weight 0, give
    f(x) and f(base) (IG's completeness check) and, when targets is None, the target:
    the prediction at x, read in the same forward.
    -> (sums (N, *shape) float32, targets (N,) long, logits (N, 2) float64 at x and base)."""
    n, S = len(X), len(alphas)
    a = torch.as_tensor(np.append(alphas, [1.0, 0.0]), dtype=torch.float32)
    w = torch.as_tensor(np.append(weights, [0.0, 0.0]), dtype=torch.float32)
    per = S + 2
    if targets is None and per > rows:      # the steps of one sample span several calls
        targets = batched_forward(model, X).argmax(1)
    with torch.no_grad():
        u = stem.affine(base[None].float())
    pool = stem.pool if (stem.pool is not None and stem.pooled_head is not None and float(alphas.min()) > 0
                         and _windows_constant(u, stem.pool)) else None
    head = stem.pooled_head if pool is not None else stem.head
    if pool is not None:
        u = F.max_pool2d(u, **_pool_args(pool))
    sums, out_t, ends = [], [], []
    group = max(1, rows // per)
    for lo in range(0, n, group):
        Xl = X[lo:lo + group].clone().requires_grad_(True)
        with torch.enable_grad():
            v = stem.affine(Xl)
        vd, idx = v.detach(), None
        if pool is not None:    # zₓ's window winners win at every α > 0 (u is flat on each window)
            vd, idx = F.max_pool2d(vd, **_pool_args(pool), return_indices=True)
        t = None if targets is None else torch.as_tensor(targets[lo:lo + group]).long().view(-1)
        G, t, kept = _head_sums(model, head, lambda k, cl: _path_points(u, a[k], vd, cl), len(vd), vd.shape[1:],
                                per, rows, t, w, probe=S, keep=(S, S + 1))
        if idx is not None:        # each window's gradient goes to its winner, the same at every step
            Gz = torch.zeros_like(v).flatten(2).scatter_add_(2, idx.flatten(2), G.flatten(2)).view_as(v)
        else:
            Gz = G
        (gx,) = torch.autograd.grad(v, Xl, grad_outputs=Gz)
        sums.append(gx.detach())
        out_t.append(t)
        ends.append(torch.stack([kept[S], kept[S + 1]], 1))
    return torch.cat(sums), torch.cat(out_t), torch.cat(ends)


def stem_noise_gradients(model: nn.Module, stem: AffineStem, X: torch.Tensor, sigma: torch.Tensor,
                         noise: torch.Tensor, targets, rows: int):
    """Σⱼ ∇f(x + σₓ nⱼ) for every x in X, through the model's affine stem (SmoothGrad).

    affine(x + σ n) = affine(x) + σ (affine(n) − affine(0)): the stem runs once per sample
    and once per draw instead of once per noisy copy, and each sample's summed gradients
    go back through it once. With targets None one more row per sample, the sample
    itself (weight 0), names its prediction.
    -> (sums (N, *shape) float32, targets (N,) long)."""
    n = len(noise)
    if targets is None and n + 1 > rows:
        targets = batched_forward(model, X).argmax(1)
    with torch.no_grad():
        L = stem.affine(noise) - stem.affine(torch.zeros_like(noise[:1]))
    if targets is None:
        L = torch.cat([L, torch.zeros_like(L[:1])])
    per = len(L)
    w = (torch.arange(per) < n).float()
    sums, out_t = [], []
    group = max(1, rows // per)
    for lo in range(0, len(X), group):
        Xl = X[lo:lo + group].clone().requires_grad_(True)
        with torch.enable_grad():
            zx = stem.affine(Xl)
        zd, sg = zx.detach(), sigma[lo:lo + group].float()
        t = None if targets is None else torch.as_tensor(targets[lo:lo + group]).long().view(-1)
        G, t, _ = _head_sums(model, stem.head, lambda k, cl: _noise_points(zd, sg, L[k], cl), len(zd),
                             zd.shape[1:], per, rows, t, w, probe=n)
        (gx,) = torch.autograd.grad(zx, Xl, grad_outputs=G)
        sums.append(gx.detach())
        out_t.append(t)
    return torch.cat(sums), torch.cat(out_t)

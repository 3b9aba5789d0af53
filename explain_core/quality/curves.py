"""Deletion and insertion curves (pixel flipping; Samek et al. 2017, Petsiuk et al. 2018).

Features are taken in the order of their attribution, most positive first (MoRF). The
deletion curve replaces the first k of them by a replacement (a fill value, a blurred copy
of the image, or for tables the training mean) and records the explained class's
probability (a regression's predicted value) as k grows; the insertion curve starts from
the replacement and puts them back. A faithful map makes deletion fall fast (small area
under the curve) and insertion rise fast (large area). Every row of both curves goes
through the model in one call.

For images a feature is a pixel (all its channels together, ordered by the sum of their
attributions); for tables a feature is a column.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..methods.base import forward_rows


@dataclass(frozen=True)
class Curves:
    """fractions: share of the features removed (deletion) or put back (insertion), 0..1.
    deletion, insertion: the explained quantity at each fraction; *_auc: areas under them
    (trapezoid over the fraction). quantity: 'probability' or 'value' (a regression)."""

    fractions: np.ndarray
    deletion: np.ndarray
    insertion: np.ndarray
    deletion_auc: float
    insertion_auc: float
    quantity: str
    replacement: str
    n_features: int


def link_scores(scores: torch.Tensor, target: int, link: str) -> np.ndarray:
    """What the curves record from the model's scores: softmax or sigmoid probability of the
    target, or the score itself (a model that outputs a probability or a value)."""
    if link == "softmax":
        out = torch.softmax(scores.double(), dim=1)[:, target]
    elif link == "sigmoid":
        out = torch.sigmoid(scores[:, target].double())
    else:
        out = scores[:, target].double()
    return out.cpu().numpy()


def feature_scores(attribution: np.ndarray, image: bool) -> np.ndarray:
    """One score per feature: per pixel the sum over channels for images, else the values."""
    a = np.asarray(attribution, dtype=np.float64)
    return a.sum(axis=0).reshape(-1) if image else a.reshape(-1)


def step_counts(n_features: int, step: float) -> np.ndarray:
    """0, k1, ..., n_features: how many features are removed at each point, in steps of
    `step` (a fraction of the input), at least one feature per step."""
    n_steps = max(1, min(n_features, int(np.ceil(1.0 / step - 1e-9))))
    return np.unique(np.round(np.linspace(0, n_features, n_steps + 1)).astype(np.int64))


def gaussian_blur(x: np.ndarray, sigma: float) -> np.ndarray:
    """An image (C, H, W) blurred with a Gaussian of `sigma` pixels (edges replicated)."""
    radius = max(1, int(np.ceil(3 * sigma)))
    g = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    g = torch.as_tensor(g / g.sum(), dtype=torch.float32)
    t = torch.as_tensor(np.asarray(x, dtype=np.float32))[:, None]           # (C, 1, H, W)
    t = F.pad(t, (radius, radius, radius, radius), mode="replicate")
    t = F.conv2d(t, g.view(1, 1, 1, -1))
    t = F.conv2d(t, g.view(1, 1, -1, 1))
    return t[:, 0].numpy()


def replacement_for(x: np.ndarray, image: bool, fill: float = 0.0, blur: float = 0.0,
                    train_mean: np.ndarray | None = None) -> tuple[np.ndarray, str]:
    """(what removed features become, its name): images a constant fill or a blurred copy;
    tables the training mean of each feature."""
    if not image:
        return np.asarray(train_mean, dtype=np.float32).reshape(x.shape), "training mean"
    if blur > 0:
        return gaussian_blur(x, blur), f"blurred (σ = {blur:g} px)"
    return np.full_like(x, fill, dtype=np.float32), f"value {fill:g}"


def deletion_insertion(model: nn.Module, x: np.ndarray, attribution: np.ndarray, target: int,
                       replacement: np.ndarray, link: str = "softmax", step: float = 0.02,
                       image: bool = True, replacement_name: str = "", quantity: str = "probability") -> Curves:
    """Both curves for one sample and map, all rows in one model call. quantity: what the
    linked scores are ('probability', or 'value' for a regression)."""
    x = np.asarray(x, dtype=np.float32)
    scores = feature_scores(attribution, image)
    n = scores.size
    order = np.argsort(-scores, kind="stable")
    rank = np.empty(n, np.int64)
    rank[order] = np.arange(n)
    ks = step_counts(n, step)
    removed = (rank[None, :] < ks[:, None])                         # (S, n): feature removed at step s
    mask = removed.reshape((len(ks),) + ((1,) + x.shape[1:] if image else x.shape)).astype(np.float32)
    r = np.asarray(replacement, dtype=np.float32)
    deleted = x[None] * (1 - mask) + r[None] * mask
    inserted = r[None] * (1 - mask) + x[None] * mask
    rows = torch.as_tensor(np.concatenate([deleted, inserted]))
    model.eval()
    with torch.no_grad():
        y = link_scores(forward_rows(model, rows), target, link)
    S = len(ks)
    fr = ks / n
    d, i = y[:S], y[S:]
    return Curves(fr, d, i, float(np.trapezoid(d, fr)), float(np.trapezoid(i, fr)), quantity, replacement_name, n)

"""LIME: fit a weighted linear model to the network's answers near one sample.

Same recipe as the `lime` package (Ribeiro et al. 2016), so the two can be compared:

- the regression target is the network's probability of the target class
  (softmax of its logits; `link` 'sigmoid' for a one-logit binary model's scores,
  'identity' for a model that outputs the probability itself or for regression, whose
  predicted value is what the surrogate fits);
- each perturbed sample is weighted by the exponential kernel
  sqrt(exp(-d² / width²)) of its distance d to the sample being explained;
- the local model is ridge regression with alpha=1 and those sample weights
  (sklearn's Ridge(alpha=1), solved directly); its weighted R² is reported as `score`;
- the first perturbation is the sample itself;
- every perturbation goes through the model in batches of `batch_size`.

LimeTabular follows LimeTabularExplainer(discretize_continuous=False,
sample_around_instance=True, feature_selection='none'): perturbations are
x + N(0, 1) · std_train, the regression runs on standardised features
z = (x - mean_train) / std_train and distances are Euclidean in z. So a weight is
"change of probability per training standard deviation of that feature"; divide by
extras['feature_scale'] for a weight per raw unit. Sampling around the instance
(not lime's default, around the training mean) keeps the neighbourhood local.

LimeImage follows LimeImageExplainer(hide_color=0): segments are switched on/off at
random (first sample all on), switched-off pixels become 0, the regression runs on
the binary on/off masks, distances are cosine distances of the mask to all-ones,
and the default kernel width is 0.25.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import torch
from torch import nn

from .base import Attribution, check_param, check_target, forward_rows
from .segmentation import make_segments

RIDGE_ALPHA = 1.0


def exponential_kernel(distances: np.ndarray, width: float) -> np.ndarray:
    """lime's default kernel: sqrt(exp(-d² / width²))."""
    return np.sqrt(np.exp(-(np.asarray(distances, dtype=np.float64) ** 2) / width ** 2))


def fit_local_model(Z: np.ndarray, y: np.ndarray, sample_weight: np.ndarray, alpha: float = RIDGE_ALPHA):
    """Weighted ridge regression -> (coefficients, intercept, weighted R², prediction at row 0).

    The same estimate as sklearn's Ridge(alpha, fit_intercept=True).fit(Z, y, sample_weight)
    and its weighted score (weighted centring, then (Zcᵀ W Zc + αI) β = Zcᵀ W yc), solved
    directly: sklearn's input validation costs more than the solve at these sizes, and
    the products use einsum rather than a multi-threaded BLAS call, which on a machine
    whose cores are busy costs ~100x more for a (1000 × 50) problem.
    """
    Z = np.asarray(Z, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    w = np.asarray(sample_weight, dtype=np.float64)
    z_mean = np.einsum("n,nj->j", w, Z) / w.sum()
    y_mean = float(np.einsum("n,n->", w, y) / w.sum())
    Zc, yc = Z - z_mean, y - y_mean
    Zw = Zc * w[:, None]
    gram = np.einsum("ni,nj->ij", Zw, Zc) + alpha * np.eye(Z.shape[1])
    coef = np.linalg.solve(gram, np.einsum("ni,n->i", Zw, yc))
    intercept = y_mean - float(np.einsum("j,j->", z_mean, coef))
    residual = yc - np.einsum("nj,j->n", Zc, coef)
    ss_res, ss_tot = float(np.einsum("n,n,n->", w, residual, residual)), float(np.einsum("n,n,n->", w, yc, yc))
    if ss_tot > 0:
        score = 1.0 - ss_res / ss_tot
    else:                       # sklearn's r2_score convention for a constant target
        score = 1.0 if ss_res == 0 else 0.0
    local = float(np.einsum("j,j->", Z[0], coef) + intercept)
    return coef, intercept, score, local


def _width(kernel_width) -> float:
    """The proximity kernel's width: a positive finite number (NaN would weigh every
    perturbation NaN and fit nothing)."""
    return check_param("kernel_width", kernel_width, 1e-6, None, float)


def _check_target(target, n_classes: int, first_logits: torch.Tensor) -> int:
    if target is None:
        return int(first_logits.argmax())
    return check_target(target, n_classes)


LINKS = ("softmax", "sigmoid", "identity")


def _linked(scores: torch.Tensor, target: int, link: str) -> np.ndarray:
    if link == "softmax":
        return torch.softmax(scores, dim=1)[:, target].cpu().numpy()
    if link == "sigmoid":
        return torch.sigmoid(scores[:, target]).cpu().numpy()
    if link == "identity":
        return scores[:, target].cpu().numpy()
    raise ValueError(f"link must be one of {', '.join(LINKS)}; got {link!r}")


def target_probabilities(model: nn.Module, make_batch: Callable[[int, int], np.ndarray], n: int,
                         target, batch_size: int, link: str = "softmax") -> tuple[np.ndarray, int]:
    """Probability of the target class (see `link`) for perturbations 0..n-1, built and run
    a batch at a time.

    make_batch(start, stop) returns the float32 inputs for those rows; row 0 must be the
    sample itself (its prediction is the default target). The target is checked after the
    first batch, so a bad one fails before the rest is computed. ceil(n / batch_size)
    model calls in all.
    """
    probs = []
    with torch.no_grad():
        for start in range(0, n, batch_size):
            batch = torch.as_tensor(make_batch(start, min(n, start + batch_size)))
            logits = forward_rows(model, batch).double()
            if start == 0:
                target = _check_target(target, int(logits.shape[1]), logits[0])
            probs.append(_linked(logits, target, link))
    return np.concatenate(probs), int(target)


def _frozen_extras(extras: dict) -> dict:
    for v in extras.values():
        if isinstance(v, np.ndarray):
            v.setflags(write=False)
    return extras


def _top(weights: np.ndarray, labels, k: int) -> tuple:
    order = np.argsort(-np.abs(weights), kind="stable")[:k]
    return tuple((labels[i], float(weights[i])) for i in order)


class LimeTabular:
    """LIME for one row of a table. attribution[j] is feature j's local weight."""

    def __init__(self, model: nn.Module, X_train, feature_names=(), n_samples: int = 1000,
                 kernel_width: float | None = None, top_k: int = 10, seed: int = 0, batch_size: int = 4096,
                 link: str = "softmax"):
        # a table row is small: all default 1,000 perturbations go through the model in one call
        self.model = model
        self.X_train = X_train
        self.feature_names = tuple(feature_names)
        self.n_samples = n_samples
        self.kernel_width = kernel_width
        self.top_k = top_k
        self.seed = seed
        self.batch_size = batch_size
        self.link = link

    def _training_stats(self, n_features: int) -> tuple[np.ndarray, np.ndarray]:
        X = np.asarray(self.X_train, dtype=np.float64).reshape(len(self.X_train), -1)
        if X.shape[1] != n_features:
            raise ValueError(f"X_train has {X.shape[1]} features, the sample has {n_features}")
        scale = X.std(axis=0)
        scale[scale < 1e-12] = 1.0   # constant columns: like sklearn's StandardScaler
        return X.mean(axis=0), scale

    def attribute(self, x, target: int | None = None) -> Attribution:
        n = check_param("n_samples", self.n_samples, 2, None, int)
        x = np.asarray(x, dtype=np.float32).reshape(-1)
        n_features = x.size
        mean, scale = self._training_stats(n_features)
        width = 0.75 * np.sqrt(n_features) if self.kernel_width is None else _width(self.kernel_width)

        rng = np.random.default_rng(self.seed)
        noise = rng.standard_normal((n, n_features))
        noise[0] = 0.0
        samples = (x + noise * scale).astype(np.float32)
        Z = (samples.astype(np.float64) - mean) / scale
        weights = exponential_kernel(np.linalg.norm(Z - Z[0], axis=1), width)

        p, target = target_probabilities(self.model, lambda i, j: samples[i:j], n, target, self.batch_size,
                                         self.link)
        coef, intercept, score, local = fit_local_model(Z, p, weights)
        names = self.feature_names if len(self.feature_names) == n_features else tuple(
            f"feature {i}" for i in range(n_features))
        extras = {
            "weights": coef, "intercept": intercept, "score": score,
            "top_features": _top(coef, names, int(self.top_k)), "kernel_width": width,
            "prediction_local": local, "prediction_model": float(p[0]),
            "feature_scale": scale, "feature_names": names,
        }
        params = {"n_samples": n, "kernel_width": width, "top_k": int(self.top_k), "seed": int(self.seed),
                  "sampling": "around_instance"}
        return Attribution("lime", coef.astype(np.float32), x, target, params, extras=_frozen_extras(extras))


class LimeImage:
    """LIME for one image: which segments (patches or superpixels) hold up the target."""

    def __init__(self, model: nn.Module, n_samples: int = 1000, kernel_width: float | None = None,
                 segmentation: str = "grid", patch: int = 4, top_k: int = 10, seed: int = 0,
                 batch_size: int = 256, link: str = "softmax"):
        self.model = model
        self.n_samples = n_samples
        self.kernel_width = kernel_width
        self.segmentation = segmentation
        self.patch = patch
        self.top_k = top_k
        self.seed = seed
        self.batch_size = batch_size
        self.link = link

    def attribute(self, x, target: int | None = None) -> Attribution:
        n = check_param("n_samples", self.n_samples, 2, None, int)
        x = np.asarray(x, dtype=np.float32)
        image = x if x.ndim == 3 else x.reshape(1, *x.shape[-2:])
        segments = make_segments(image, self.segmentation, int(self.patch))
        n_segments = int(segments.max()) + 1
        width = 0.25 if self.kernel_width is None else _width(self.kernel_width)

        rng = np.random.default_rng(self.seed)
        masks = rng.integers(0, 2, size=(n, n_segments))
        masks[0] = 1
        on = masks.sum(axis=1)
        distances = 1.0 - np.sqrt(on / n_segments)   # cosine distance to all-ones; all-off -> 1

        def make_batch(i, j):   # hide_color=0: switched-off pixels become 0
            return image[None] * masks[i:j][:, segments][:, None].astype(np.float32)

        p, target = target_probabilities(self.model, make_batch, n, target, self.batch_size, self.link)
        coef, intercept, score, local = fit_local_model(masks.astype(np.float64), p,
                                                        exponential_kernel(distances, width))
        attribution = np.broadcast_to(coef[segments], image.shape).reshape(x.shape)
        extras = {
            "segments": segments, "weights": coef, "intercept": intercept, "score": score,
            "top_features": _top(coef, list(range(n_segments)), int(self.top_k)), "kernel_width": width,
            "prediction_local": local, "prediction_model": float(p[0]), "n_segments": n_segments,
        }
        params = {"n_samples": n, "kernel_width": width, "top_k": int(self.top_k), "seed": int(self.seed),
                  "segmentation": self.segmentation, "patch": int(self.patch)}
        return Attribution("lime", attribution.astype(np.float32), x, target, params, extras=_frozen_extras(extras))

"""GradientSHAP / expected gradients (Lundberg & Lee 2017; Erion et al. 2021): SHAP values
of the target logit estimated as E[(x̃ − b) ⊙ ∇f(b + α (x̃ − b))], the expectation over a
baseline b drawn from a background of training samples, a point α ~ U(0, 1) on the path
and, optionally, gaussian noise: x̃ = x + ε, ε ~ N(0, σ²).

It is integrated gradients averaged over baselines from the data, with the path integral
estimated by one random point per draw (Captum's GradientShap draws the same way). Its
completeness holds on average: Σφ ≈ f(x) − E_b[f(b)]; the result reports the gap for
the baselines it drew. Every draw is one row: all rows of a sample go through the model
in batches of `batch_size` (one forward+backward each).
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..errors import ParameterError
from .base import Attribution, batched_forward, check_param, resolve_target, to_numpy
from .gradients import _rows_param, fused_gradients, input_gradients, one_sample


def draws(n_baselines: int, n_samples: int, shape: tuple[int, ...], stdev: float, seed: int):
    """(baseline ids (n,), alphas (n,) float32, noise (n, *shape) float32) from one seeded
    numpy Generator, in that order: a result depends only on its seed."""
    rng = np.random.default_rng(int(seed))
    ids = rng.integers(0, n_baselines, size=n_samples)
    alphas = rng.uniform(0.0, 1.0, size=n_samples).astype(np.float32)
    noise = (rng.standard_normal((n_samples,) + tuple(shape)) * stdev).astype(np.float32) if stdev > 0 \
        else np.zeros((n_samples,) + tuple(shape), np.float32)
    return ids, alphas, noise


def expected_gradients(model: nn.Module, x: torch.Tensor, baselines: torch.Tensor, alphas: torch.Tensor,
                       noise: torch.Tensor, target, rows: int):
    """The estimator for given draws: x (1, *shape); baselines, noise (n, *shape) (row j's
    baseline and noise); alphas (n,). -> (attribution (*shape) float32 numpy, target,
    target logits (f(x), mean_j f(b_j)) float64).

    When everything fits in one model call the path points, x and the baselines share one
    forward (the target, by default the prediction at x, is read there)."""
    n = len(alphas)
    noisy = x + noise                                       # x̃_j
    diff = noisy - baselines
    view = (-1,) + (1,) * (x.dim() - 1)
    points = baselines + alphas.view(view) * diff
    if 2 * n + 1 <= rows:
        grads, out, t = fused_gradients(model, torch.cat([points, x, baselines]), n, n, target)
        ends = out[n:, t].double()
    else:
        t = resolve_target(model, x, target)
        ts = torch.full((n,), t, dtype=torch.long)
        grads = torch.cat([input_gradients(model, points[i:i + rows], ts[i:i + rows]) for i in range(0, n, rows)])
        ends = batched_forward(model, torch.cat([x, baselines]), rows)[:, t].double()
    attr = (grads.double() * diff.double()).mean(0)
    return to_numpy(attr.float()), int(t), (float(ends[0]), float(ends[1:].mean()))


class GradientShap:
    """Expected gradients over `baselines` (B, *input_shape): typically training samples.

    n_samples draws per sample; stdev: the gaussian noise's standard deviation in input
    units (0: none); seed: the draws (see `draws`). delta = Σφ − (f(x) − mean f(b_j)) over
    the drawn baselines: zero only in expectation (it shrinks as n_samples grows)."""

    name = "gradient_shap"

    def __init__(self, model: nn.Module, baselines, n_samples: int = 50, stdev: float = 0.0, seed: int = 0,
                 batch_size: int | None = None):
        self.model = model
        self.baselines = baselines
        self.n_samples = n_samples
        self.stdev = stdev
        self.seed = seed
        self.batch_size = batch_size

    def _background(self, shape) -> np.ndarray:
        b = np.asarray(self.baselines, dtype=np.float32)
        if b.shape == tuple(shape):
            b = b[None]
        if b.ndim != len(shape) + 1 or b.shape[1:] != tuple(shape) or len(b) == 0:
            raise ParameterError(f"baselines must be samples of shape {tuple(shape)} (at least one); "
                                 f"got an array of shape {b.shape}")
        return b

    def attribute(self, x, target: int | None = None) -> Attribution:
        self.model.eval()
        n = check_param("n_samples", self.n_samples, 1, None, int)
        stdev = check_param("stdev", self.stdev, 0.0, None, float)
        seed = check_param("seed", self.seed, 0, 2**63 - 1, int)
        xb = one_sample(x)
        background = self._background(tuple(xb.shape[1:]))
        ids, alphas, noise = draws(len(background), n, tuple(xb.shape[1:]), stdev, seed)
        attr, t, (fx, fb) = expected_gradients(self.model, xb, torch.as_tensor(background[ids]),
                                               torch.as_tensor(alphas), torch.as_tensor(noise), target,
                                               _rows_param(self.batch_size))
        diff = fx - fb
        params = {"n_samples": n, "stdev": stdev, "seed": seed, "n_background": int(len(background))}
        return Attribution(self.name, attr, to_numpy(xb[0]), t, params,
                           delta=float(attr.astype(np.float64).sum() - diff),
                           extras={"output_difference": diff, "base_value": fb, "output": fx})

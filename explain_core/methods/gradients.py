"""Gradient attributions: saliency, gradient × input, integrated gradients, SmoothGrad.

All gradients are taken with ``torch.autograd.grad`` with respect to the input only, so
nothing accumulates in parameter ``.grad`` (the model is shared between threads) and the
parameters' ``requires_grad`` flags are left alone. Every model call is batched: IG's
steps and SmoothGrad's noise draws are expanded into rows (sample × step) and pushed
through the model ``batch_size`` rows at a time.

The helpers live in gradient_core.py (batches, input gradients, targets, rows) and
stem_paths.py (paths through an affine stem), integrated gradients in integrated.py;
every name stays importable from here.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..errors import ParameterError
from .base import (_CHANNELS_LAST_FAILS, Attribution, as_batch, batched_forward,  # noqa: F401
                   channels_last_ok, check_param, check_target, resolve_target, to_numpy)
from .gradient_core import (DEFAULT_ROWS, IG_RULES, _batch_and_targets, _channels_last, _forward,  # noqa: F401
                            _leaf, _rows, _rows_param, _target_index, affine_stem, fused_gradients,
                            input_gradients, one_sample)
from .integrated import IntegratedGradients, ig_rule  # noqa: F401
from .stem_paths import (_head_sums, _noise_points, _path_points, _pool_args, _stem_narrows,  # noqa: F401
                         _windows_constant, head_call, stem_noise_gradients, stem_path_gradients)


class Saliency:
    """|d logit_target / d x| (or the signed gradient with abs=False)."""

    name = "saliency"

    def __init__(self, model: nn.Module, abs: bool = True, batch_size: int | None = None):
        self.model = model
        self.abs = abs
        self.batch_size = batch_size

    def _map(self, X, grads):
        return grads.abs() if self.abs else grads

    def _params(self) -> dict:
        return {"abs": bool(self.abs)}

    def attribute_batch(self, X, targets=None) -> np.ndarray:
        """(N, *input_shape) inputs and N targets -> (N, *input_shape) maps, chunked."""
        self.model.eval()
        rows = _rows_param(self.batch_size)
        X, targets = _batch_and_targets(self.model, X, targets, rows)
        out = [self._map(X[i:i + rows], input_gradients(self.model, X[i:i + rows], targets[i:i + rows]))
               for i in range(0, len(X), rows)]
        return to_numpy(torch.cat(out)) if out else np.zeros(tuple(X.shape), np.float32)

    def attribute(self, x, target: int | None = None) -> Attribution:
        self.model.eval()
        xb = one_sample(x)
        grads, _, t = fused_gradients(self.model, xb, 1, 0, target)
        attr = to_numpy(self._map(xb, grads))[0]
        return Attribution(self.name, attr, to_numpy(xb[0]), t, self._params())


class GradientXInput(Saliency):
    """gradient ⊙ input: the first-order Taylor term of the logit around a zero input."""

    name = "gradient_x_input"

    def __init__(self, model: nn.Module, batch_size: int | None = None):
        super().__init__(model, abs=False, batch_size=batch_size)

    def _map(self, X, grads):
        return grads * X

    def _params(self) -> dict:
        return {}


NOISE_SCALES = ("sample", "channel")


def noise_sigma(X: torch.Tensor, level: float, scale: str = "sample") -> torch.Tensor:
    """SmoothGrad's σ for each sample of a batch, shaped to broadcast over it: level × the
    sample's value range (N, 1, …), or with scale 'channel' level × each channel's own
    range (N, C, 1, …), for images whose channels span different ranges."""
    if scale not in NOISE_SCALES:
        raise ParameterError(f"noise_scale must be one of {', '.join(NOISE_SCALES)}; got {scale!r}")
    if scale == "channel":
        if X.dim() < 3:
            raise ParameterError("noise_scale 'channel' needs images (channels × height × width)")
        flat = X.reshape(X.shape[0], X.shape[1], -1)
        span = flat.max(2).values - flat.min(2).values
        return (level * span).view(X.shape[:2] + (1,) * (X.dim() - 2))
    flat = X.reshape(len(X), -1)
    return (level * (flat.max(1).values - flat.min(1).values)).view((-1,) + (1,) * (X.dim() - 1))


class SmoothGrad:
    """Mean gradient over n_samples noisy copies x + N(0, σ²), σ = noise_level·(max x − min x).

    As in the SmoothGrad paper (Smilkov et al. 2017) the noise scale is relative to the
    sample's own value range, for images and tabular rows alike (noise_scale 'channel':
    relative to each image channel's range, see noise_sigma). The raw gradients are
    averaged and |·| is taken afterwards when abs=True. The standard-normal draws come
    from a torch.Generator seeded with `seed`, so a result is reproducible and does not
    depend on which other samples share its batch.
    """

    name = "smoothgrad"

    def __init__(self, model: nn.Module, n_samples: int = 25, noise_level: float = 0.15, abs: bool = True,
                 seed: int = 0, batch_size: int | None = None, noise_scale: str = "sample"):
        self.model = model
        self.n_samples = n_samples
        self.noise_level = noise_level
        self.abs = abs
        self.seed = seed
        self.batch_size = batch_size
        self.noise_scale = noise_scale

    def attribute_batch(self, X, targets=None) -> np.ndarray:
        self.model.eval()
        n = check_param("n_samples", self.n_samples, 1, None, int)
        level = check_param("noise_level", self.noise_level, 0.0, None, float)
        rows = _rows_param(self.batch_size)
        X = as_batch(X)
        stem = affine_stem(self.model) if self.noise_scale == "sample" else None   # one σ per sample only
        if stem is not None and len(X) and not _stem_narrows(stem, X):
            stem = None     # measured: through a wider stem output (conv1's 16x28x28) SmoothGrad is no faster
        X, targets = _batch_and_targets(self.model, X, targets, rows, resolve=stem is None)
        gen = torch.Generator().manual_seed(int(self.seed))
        noise = torch.randn((n,) + tuple(X.shape[1:]), generator=gen)
        sigma = noise_sigma(X, level, self.noise_scale)
        if stem is not None and len(X):
            sums, _ = stem_noise_gradients(self.model, stem, X, sigma.view(-1), noise, targets, rows)
            mean = sums.double() / n
            return to_numpy((mean.abs() if self.abs else mean).float())
        total = torch.zeros(X.shape, dtype=torch.float64)
        for s, k in _rows(len(X), n, rows):
            noisy = X[s] + sigma[s] * noise[k]
            total.index_add_(0, s, input_gradients(self.model, noisy, targets[s]).double())
        mean = total / n
        return to_numpy((mean.abs() if self.abs else mean).float())

    def attribute(self, x, target: int | None = None) -> Attribution:
        self.model.eval()
        xb = one_sample(x)
        n = check_param("n_samples", self.n_samples, 1, None, int)
        stem = affine_stem(self.model) if self.noise_scale == "sample" else None
        if stem is not None and _stem_narrows(stem, xb):
            level = check_param("noise_level", self.noise_level, 0.0, None, float)
            noise = torch.randn((n,) + tuple(xb.shape[1:]), generator=torch.Generator().manual_seed(int(self.seed)))
            sigma = level * (xb.max() - xb.min()).view(1)
            t0 = None if target is None else np.array([_target_index(target)])
            sums, tt = stem_noise_gradients(self.model, stem, xb, sigma, noise, t0, _rows_param(self.batch_size))
            mean = sums[0].double() / n
            attr, t = to_numpy((mean.abs() if self.abs else mean).float()), int(tt[0])
        elif n + 1 <= _rows_param(self.batch_size):    # noisy copies and the sample in one model call
            level = check_param("noise_level", self.noise_level, 0.0, None, float)
            noise = torch.randn((n,) + tuple(xb.shape[1:]), generator=torch.Generator().manual_seed(int(self.seed)))
            rows = xb + noise_sigma(xb, level, self.noise_scale)[0] * noise
            if target is None:      # the sample itself rides along to name the predicted class
                rows = torch.cat([rows, xb])
            grads, _, t = fused_gradients(self.model, rows, n, n, target)
            mean = grads.double().sum(0) / n
            attr = to_numpy((mean.abs() if self.abs else mean).float())
        else:
            t = resolve_target(self.model, xb, target)
            attr = self.attribute_batch(xb, np.array([t]))[0]
        params = {"n_samples": int(self.n_samples), "noise_level": float(self.noise_level),
                  "abs": bool(self.abs), "seed": int(self.seed)}
        if self.noise_scale != "sample":
            params["noise_scale"] = self.noise_scale
        return Attribution(self.name, attr, to_numpy(xb[0]), t, params)

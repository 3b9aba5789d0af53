"""Integrated gradients with a fixed number of steps on Captum's quadrature rules (ig_rule);
steps 'auto' (each sample to a stated accuracy) is methods/auto_ig.py."""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..errors import ParameterError
from .base import Attribution, as_batch, batched_forward, check_param, resolve_target, to_numpy
from .gradient_core import (IG_RULES, _batch_and_targets, _rows, _rows_param, _target_index, affine_stem,
                            fused_gradients, input_gradients, one_sample)
from .stem_paths import stem_path_gradients


def ig_rule(rule: str, n_steps: int) -> tuple[np.ndarray, np.ndarray]:
    """(step sizes, alphas) exactly as Captum's approximation_methods builds them."""
    if rule == "gausslegendre":
        nodes, weights = np.polynomial.legendre.leggauss(n_steps)
        return 0.5 * weights, 0.5 * (1 + nodes)
    if rule not in IG_RULES:
        raise ParameterError(f"rule must be one of {', '.join(IG_RULES)}; got {rule!r}")
    if n_steps < 2:
        raise ParameterError(f"The {rule} rule needs at least 2 steps; got {n_steps}")
    n = n_steps
    sizes = np.full(n, 1.0 / n)
    kind = rule.split("_")[1]
    if kind == "trapezoid":
        sizes[0] /= 2
        sizes[-1] /= 2
    lo, hi = {"trapezoid": (0, 1), "left": (0, 1 - 1 / n), "middle": (1 / (2 * n), 1 - 1 / (2 * n)),
              "right": (1 / n, 1)}[kind]
    return sizes, torch.linspace(lo, hi, n).double().numpy()


class IntegratedGradients:
    """(x - x') ⊙ ∫₀¹ ∇f(x' + α(x - x')) dα, with Captum's quadrature rules.

    delta = sum(attribution) - (f(x) - f(x')) on the target logit: the completeness
    check. The baseline x' is a scalar or an array of the input's shape.
    """

    name = "integrated_gradients"

    def __init__(self, model: nn.Module, n_steps: int = 50, rule: str = "gausslegendre",
                 baseline=0.0, batch_size: int | None = None):
        self.model = model
        self.n_steps = n_steps
        self.rule = rule
        self.baseline = baseline
        self.batch_size = batch_size

    def _baseline(self, shape) -> torch.Tensor:
        b = torch.as_tensor(np.asarray(self.baseline, dtype=np.float32))
        if b.dim() == 0:
            return b.expand(shape).clone()
        if tuple(b.shape) != tuple(shape):
            raise ParameterError(f"baseline has shape {tuple(b.shape)} but inputs have shape {tuple(shape)}")
        return b

    def attribute_batch(self, X, targets=None, return_ends: bool = False):
        """IG for N samples: all N × n_steps rows go through the model in chunks.
        -> (N, *shape) maps; with return_ends=True, (maps, targets (N,), target logits at
        x and at the baseline (N, 2) float64) — what the completeness check needs."""
        self.model.eval()
        n_steps = check_param("n_steps", self.n_steps, 1, None, int)
        sizes, alphas = ig_rule(self.rule, n_steps)
        rows = _rows_param(self.batch_size)
        stem = affine_stem(self.model)
        X, targets = _batch_and_targets(self.model, X, targets, rows, resolve=stem is None)
        base = self._baseline(X.shape[1:])
        diff = X - base
        if stem is not None and len(X):
            sums, targets, ends = stem_path_gradients(self.model, stem, X, base, targets, alphas, sizes, rows)
            maps = to_numpy(sums * diff)
            return (maps, targets.numpy(), ends.numpy()) if return_ends else maps
        sizes_t = torch.as_tensor(sizes, dtype=torch.float32)
        alphas_t = torch.as_tensor(alphas, dtype=torch.float32)
        total = torch.zeros(X.shape, dtype=torch.float64)
        view = (-1,) + (1,) * (X.dim() - 1)
        for s, k in _rows(len(X), n_steps, rows):
            scaled = base + alphas_t[k].view(view) * diff[s]
            grads = input_gradients(self.model, scaled, targets[s])
            total.index_add_(0, s, (grads * sizes_t[k].view(view)).double())
        maps = to_numpy(total.float() * diff)
        if not return_ends:
            return maps
        logits = batched_forward(self.model, torch.cat([X, base.expand_as(X[:1])]), rows).double()
        ends = torch.stack([logits[:-1].gather(1, targets.view(-1, 1))[:, 0],
                            logits[-1][targets]], 1) if len(X) else torch.zeros(0, 2, dtype=torch.float64)
        return maps, targets.numpy(), ends.numpy()

    def _fused(self, xb: torch.Tensor, target) -> tuple[np.ndarray, int, torch.Tensor]:
        """All steps plus the sample and the baseline in one forward/backward:
        -> (attribution, target, target logits at (x, baseline))."""
        n_steps = check_param("n_steps", self.n_steps, 1, None, int)
        sizes, alphas = ig_rule(self.rule, n_steps)
        base = self._baseline(xb.shape[1:])
        diff = xb[0] - base
        view = (-1,) + (1,) * (xb.dim() - 1)
        path = base + torch.as_tensor(alphas, dtype=torch.float32).view(view) * diff
        grads, out, t = fused_gradients(self.model, torch.cat([path, xb, base[None]]), n_steps, n_steps, target)
        total = (grads * torch.as_tensor(sizes, dtype=torch.float32).view(view)).double().sum(0)
        return to_numpy(total.float() * diff), t, out[n_steps:, t].double()

    def attribute(self, x, target: int | None = None) -> Attribution:
        self.model.eval()
        xb = one_sample(x)
        if affine_stem(self.model) is not None:
            t0 = None if target is None else np.array([_target_index(target)])   # range: checked on the logits
            return self.explain_batch(xb, t0)[0]
        if check_param("n_steps", self.n_steps, 1, None, int) + 2 <= _rows_param(self.batch_size):
            attr, t, ends = self._fused(xb, target)
        else:   # more steps than one model call may take: prediction, chunked gradients, ends
            t = resolve_target(self.model, xb, target)
            attr = self.attribute_batch(xb, np.array([t]))[0]
            base = self._baseline(xb.shape[1:])
            ends = batched_forward(self.model, torch.stack([xb[0], base]))[:, t].double()
        return self._result(to_numpy(xb[0]), attr, t, ends)

    def explain_batch(self, X, targets=None) -> list[Attribution]:
        """attribute() for N samples at once (rows batched across samples): one
        Attribution each, with its completeness delta."""
        X = as_batch(X)
        maps, targets, ends = self.attribute_batch(X, targets, return_ends=True)
        return [self._result(x, m, int(t), e) for x, m, t, e in zip(to_numpy(X), maps, targets, ends)]

    def _result(self, x: np.ndarray, attr: np.ndarray, t: int, ends) -> Attribution:
        output_difference = float(ends[0] - ends[1])
        delta = float(attr.astype(np.float64).sum() - output_difference)
        b = np.asarray(self.baseline)
        params = {"n_steps": int(self.n_steps), "rule": self.rule,
                  "baseline": float(b) if b.ndim == 0 else "array"}
        return Attribution(self.name, attr, x, t, params, delta=delta,
                           extras={"output_difference": output_difference})

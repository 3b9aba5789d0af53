"""FGSM and PGD (L∞ and L2), batched, in an AttackSpace.

Like Captum's captum.robust.FGSM / PGD: a step follows the sign of the gradient of the
goal's objective (L∞; gradients below ZERO_THRESH leave their element alone, as
Captum's zero_thresh does), is clipped to the data's bounds, projected back into the ε-ball
around the input and clipped again. L2 steps follow the gradient divided by its L2 norm
(Captum's L2 PGD takes sign steps and only projects onto the L2 ball; a normalised-
gradient step is the usual L2 PGD of Madry et al.). ε may differ per sample, so one batch
can try several ε for the same input (minimal_epsilon).
"""
from __future__ import annotations

import torch
from torch import nn

from .space import Goal

NORMS = ("linf", "l2")
ZERO_THRESH = 1e-6


class ZSpaceModel(nn.Module):
    """model(shift + scale * z): the model seen from the attack's standardised space."""

    def __init__(self, model: nn.Module, shift, scale):
        super().__init__()
        self.model = model
        self.shift = torch.as_tensor(shift)
        self.scale = torch.as_tensor(scale)
        self.identity = bool((self.shift == 0).all() and (self.scale == 1).all())

    def forward(self, z):
        return self.model(z if self.identity else self.shift + self.scale * z)


def _per_sample(v, like: torch.Tensor) -> torch.Tensor:
    """A scalar or one value per sample, shaped to broadcast over `like`'s elements."""
    t = torch.as_tensor(v, dtype=like.dtype)
    return t.reshape((-1,) + (1,) * (like.dim() - 1)) if t.dim() else t


def _grad_of(model, z, objective) -> torch.Tensor:
    z = z.detach().requires_grad_(True)
    with torch.enable_grad():
        (g,) = torch.autograd.grad(objective(model(z)).sum(), z)
    return g


def _gradient(model, z, goal: Goal, labels) -> torch.Tensor:
    """The objective's gradient (cross-entropy, as Captum's). A sample on which it vanishes
    (a saturated softmax: Captum's attack stalls there) follows the gradient of the
    log-probability margin instead, scaled to a largest element of 1."""
    g = _grad_of(model, z, lambda s: goal.objective(s, labels))
    if goal.regression:
        return g
    stalled = g.flatten(1).abs().amax(1) <= ZERO_THRESH
    if stalled.any():
        m = _grad_of(model, z[stalled], lambda s: -goal.margin(s, labels[stalled] if labels.dim() else labels))
        top = m.flatten(1).abs().amax(1).clamp_min(1e-30)
        g = g.clone()
        g[stalled] = m / _per_sample(top, m)
    return g


def _direction(g: torch.Tensor, norm: str) -> torch.Tensor:
    if norm == "linf":
        return torch.where(g.abs() > ZERO_THRESH, g.sign(), torch.zeros_like(g))
    n = g.flatten(1).norm(dim=1).clamp_min(1e-12)
    return g / _per_sample(n, g)


def _project(z0, z, eps, norm: str) -> torch.Tensor:
    """eps: L∞, already shaped per sample (_per_sample); L2, a number or one per sample."""
    diff = z - z0
    if norm == "linf":
        return z0 + torch.maximum(torch.minimum(diff, eps), -eps)
    n = diff.flatten(1).norm(dim=1)
    factor = torch.where(n > 0, (torch.as_tensor(eps, dtype=z.dtype) / n.clamp_min(1e-12)).clamp(max=1.0),
                         torch.ones_like(n))
    return z0 + diff * _per_sample(factor, diff)


def _step(model, z, goal, labels, size: torch.Tensor, norm, lo, hi, mask):
    """size: per sample, shaped by _per_sample. clamp(v, lo, hi) is max(min(v, hi), lo) as lo ≤ hi."""
    d = _direction(_gradient(model, z, goal, labels), norm)
    if mask is not None:
        d = d * mask
    return torch.clamp(z + size * d, lo, hi)


@torch.no_grad()
def fgsm(model, z0: torch.Tensor, goal: Goal, labels: torch.Tensor, eps, lo, hi, norm: str = "linf",
         mask=None) -> torch.Tensor:
    """One step of size ε (the fast gradient sign method; L2: the fast gradient method)."""
    return _step(model, z0, goal, labels, _per_sample(eps, z0), norm, lo, hi, mask)


@torch.no_grad()
def pgd(model, z0: torch.Tensor, goal: Goal, labels: torch.Tensor, eps, step, steps: int, lo, hi,
        norm: str = "linf", random_start: bool = False, seed: int = 0, mask=None) -> torch.Tensor:
    """`steps` steps of size `step`, each projected back into the ε-ball and the bounds.
    The per-sample step and ε are shaped once, not per step. The projection keeps Captum's
    arithmetic (z0 + clamp(z − z0, −ε, ε)): a one-ulp difference at a ReLU's kink can turn
    a later gradient's sign and the attacks apart."""
    z = z0
    if random_start:
        z = torch.clamp(_random_point(z0, eps, norm, seed, mask), lo, hi)
    size = _per_sample(step, z0)
    e = _per_sample(eps, z0) if norm == "linf" else eps
    for _ in range(int(steps)):
        z = _step(model, z, goal, labels, size, norm, lo, hi, mask)
        z = torch.clamp(_project(z0, z, e, norm), lo, hi)
    return z


def _random_point(z0, eps, norm, seed, mask):
    gen = torch.Generator().manual_seed(int(seed))
    e = _per_sample(eps, z0)
    if norm == "linf":
        x = (torch.rand(z0.shape, generator=gen) * 2 - 1) * e
    else:
        u = torch.randn(z0.shape, generator=gen)
        u = u / _per_sample(u.flatten(1).norm(dim=1).clamp_min(1e-12), u)
        r = torch.rand(len(z0), generator=gen) ** (1.0 / z0[0].numel())
        x = u * _per_sample(r, u) * e
    return z0 + (x if mask is None else x * mask)


@torch.no_grad()
def scores_of(model, z: torch.Tensor, batch: int = 1000) -> torch.Tensor:
    return torch.cat([model(z[i:i + batch]) for i in range(0, len(z), batch)]) if len(z) else z.new_zeros((0, 1))

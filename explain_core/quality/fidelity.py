"""Infidelity and max-sensitivity (Yeh et al. 2019), as captum.metrics computes them.

infidelity: E_I[(aᵀI − (f(x) − f(x − I)))²] over perturbations I (here Gaussian noise):
how far the map's linear prediction of the output change misses the real change. With
normalize=True the map is first rescaled by the least-squares β (Captum's `normalize`),
so maps on different scales (|gradient|, IG) are compared on how well they predict, not
on their units. Lower is better.

max-sensitivity: max_j ‖φ(x + U_j) − φ(x)‖ / ‖φ(x)‖ over small uniform perturbations
U_j ∈ [−r, r]: how much the map changes when the input barely does. Lower is better.

Each is one batched model call (infidelity: the sample and every perturbation in one
forward) or one batched explanation of every perturbed copy (sensitivity).
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import torch
from torch import nn

from ..methods.base import forward_rows


def gaussian_perturbations(shape: tuple[int, ...], n: int, scale, seed: int) -> np.ndarray:
    """n draws of N(0, scale²) noise of `shape` (scale: a number or an array broadcasting
    over shape), from a torch generator seeded with `seed`."""
    g = torch.Generator().manual_seed(int(seed))
    z = torch.randn((n,) + tuple(shape), generator=g, dtype=torch.float32)
    return (z * torch.as_tensor(np.asarray(scale, dtype=np.float32))).numpy()


def uniform_perturbations(shape: tuple[int, ...], n: int, radius, seed: int) -> np.ndarray:
    """n draws uniform in [−radius, radius] (Captum's default perturbation for sensitivity_max)."""
    g = torch.Generator().manual_seed(int(seed))
    u = torch.rand((n,) + tuple(shape), generator=g, dtype=torch.float32) * 2 - 1
    return (u * torch.as_tensor(np.asarray(radius, dtype=np.float32))).numpy()


def infidelity_terms(model: nn.Module, x: np.ndarray, attribution: np.ndarray, target: int,
                     perturbations: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(aᵀI_j, f(x) − f(x − I_j)) for every perturbation: one forward over the sample and
    every perturbed copy."""
    x = np.asarray(x, dtype=np.float32)
    I = np.asarray(perturbations, dtype=np.float32)
    rows = torch.as_tensor(np.concatenate([x[None], x[None] - I]))
    model.eval()
    with torch.no_grad():
        f = forward_rows(model, rows)[:, target].double().numpy()
    a_dot = I.reshape(len(I), -1).astype(np.float64) @ np.asarray(attribution, np.float64).reshape(-1)
    return a_dot, f[0] - f[1:]


def infidelity_from(a_dot: np.ndarray, fdiff: np.ndarray, normalize: bool) -> float:
    if normalize:
        s0, s1, s2 = float(a_dot @ a_dot), float(a_dot @ fdiff), float(fdiff @ fdiff)
        beta = s1 / s0 if s0 != 0 else 0.0
        return (beta * beta * s0 - 2 * beta * s1 + s2) / len(a_dot)
    return float(np.mean((a_dot - fdiff) ** 2))


def infidelity(model: nn.Module, x: np.ndarray, attribution: np.ndarray, target: int,
               perturbations: np.ndarray, normalize: bool = False) -> float:
    """Captum's infidelity(model, perturb_func, x, attribution, target=target,
    n_perturb_samples=len(perturbations), normalize=normalize) for a perturb_func returning
    (I, x − I)."""
    return infidelity_from(*infidelity_terms(model, x, attribution, target, perturbations), normalize)


def sensitivity_max(explain_many: Callable[[np.ndarray], np.ndarray], x: np.ndarray, map_x: np.ndarray,
                    perturbations: np.ndarray) -> float:
    """Captum's sensitivity_max(explanation_func, x, perturb_func, n_perturb_samples=n) with
    the Frobenius norm, for a perturb_func adding `perturbations` to x: explain_many maps
    every perturbed copy (n, *shape) in one batched call."""
    x = np.asarray(x, dtype=np.float32)
    maps = np.asarray(explain_many(x[None] + np.asarray(perturbations, dtype=np.float32)), dtype=np.float32)
    base = np.asarray(map_x, dtype=np.float32).reshape(-1)
    diffs = maps.reshape(len(maps), -1) - base[None]
    norm = float(np.linalg.norm(base))
    return float(np.linalg.norm(diffs, axis=1).max() / (norm if norm != 0 else 1.0))

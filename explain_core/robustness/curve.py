"""The dataset-level robustness curve: held-out accuracy against ε (a model-level view).

Every held-out row (up to `samples`, a seeded subset beyond) is attacked away from its
true class at each ε, in batches; ε = 0 leaves the rows as they are, so the curve starts at
the held-out accuracy. FGSM needs one gradient per row for the whole curve (its step is
the same direction at every ε); PGD runs its steps at each ε.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..methods.base import _frozen
from .attacks import _direction, _gradient, scores_of
from .probe import Attacker
from .space import AttackSpace, Goal

BATCH = 250


@dataclass(frozen=True)
class RobustnessCurve:
    epsilons: np.ndarray        # (k,) in the attack's units
    accuracy: np.ndarray        # (k,) held-out accuracy under the attack at each ε
    flipped: np.ndarray         # (k,) share of rows the model had right that the attack turned wrong
    attack: str
    norm: str
    steps: int
    units: str
    n_rows: int
    subset: bool                # a seeded sample of the held-out rows, not all of them
    params: dict

    def __post_init__(self):
        for name in ("epsilons", "accuracy", "flipped"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))


def robustness_curve(explained, data, head, X: np.ndarray, labels: np.ndarray, attack: str = "fgsm",
                     norm: str = "linf", eps_max: float = 0.3, points: int = 7, steps: int = 10,
                     subset: bool = False, progress=None, should_stop=None) -> RobustnessCurve:
    eps = np.linspace(0.0, eps_max, points)
    goal = Goal(head.link)
    atk = Attacker(explained, AttackSpace.for_data(data), goal)
    correct = np.zeros((points, len(X)), bool)
    p = {"norm": norm, "steps": steps, "step_size": None}
    for i in range(0, len(X), BATCH):
        if should_stop is not None and should_stop():
            break
        z0, lo, hi = atk.start(X[i:i + BATCH])
        y = torch.as_tensor(np.array(labels[i:i + BATCH], np.int64))
        d = _direction(_gradient(atk.model, z0, goal, y), norm) if attack == "fgsm" else None
        for k, e in enumerate(eps):
            if e == 0:
                z = z0
            elif d is not None:
                z = torch.maximum(torch.minimum(z0 + float(e) * d, hi), lo)
            else:
                z = atk.run(z0, y, lo, hi, "pgd", float(e), p)
            correct[k, i:i + BATCH] = scores_of(atk.model, z).argmax(1).numpy() == y.numpy()
        if progress is not None:
            progress({"done": min(i + BATCH, len(X)), "total": len(X)})
    right = correct[0]
    flipped = (right[None] & ~correct).sum(1) / max(int(right.sum()), 1)
    return RobustnessCurve(eps, correct.mean(1), flipped, attack, norm, steps if attack == "pgd" else 1,
                           atk.space.units, len(X), subset,
                           {"attack": attack, "norm": norm, "eps_max": eps_max, "points": points, "steps": steps})

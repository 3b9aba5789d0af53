"""One sample's adversarial probe: the attack's example and the minimal ε that flips it."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from ..methods.base import _frozen
from .attacks import ZSpaceModel, fgsm, pgd, scores_of
from .space import AttackSpace, Goal


@dataclass(frozen=True)
class MinimalEpsilon:
    """The smallest ε (in the attack's units) at which the attack reached its goal, found
    by bisection: reached at `epsilon`, not at `lower` (epsilon − lower ≤ tolerance).
    found False: not reached even at `epsilon` (the widest ε tried)."""

    epsilon: float
    lower: float
    tolerance: float
    found: bool
    attack: str
    steps: int
    trials: int            # attacks run in all


@dataclass(frozen=True)
class AdversarialExample:
    """inputs / adversarial in the data's own units (input_shape); perturbation in the
    attack's units (pixel values or standard deviations) with its L∞ and L2 norms.
    scores_*: the explained model's scores; probabilities_* through the head's link
    (regression: the predicted value)."""

    attack: str                      # 'fgsm' or 'pgd'
    params: dict
    inputs: np.ndarray
    adversarial: np.ndarray
    perturbation: np.ndarray
    linf: float
    l2: float
    units: str
    label: int                       # the class left (untargeted) or the class aimed at; 0 for regression
    prediction_before: float
    prediction_after: float
    probabilities_before: np.ndarray
    probabilities_after: np.ndarray
    reached: bool                    # the goal was reached (the prediction flipped)
    minimal: MinimalEpsilon | None = None
    task: str = "classification"
    extras: dict = field(default_factory=dict)

    def __post_init__(self):
        for name in ("inputs", "adversarial", "perturbation", "probabilities_before", "probabilities_after"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))


def answers(scores: torch.Tensor, goal: Goal) -> tuple[np.ndarray, np.ndarray]:
    """(predictions, probabilities) from explained scores."""
    s = scores.detach().double()
    if goal.regression:
        return s[:, 0].numpy(), s.numpy()
    if goal.link == "softmax":
        p = torch.softmax(s, 1)
    elif goal.link == "sigmoid":
        p = torch.sigmoid(s)
    else:
        p = s
    return s.argmax(1).numpy().astype(np.int64), p.numpy()


class Attacker:
    """An explained model in an AttackSpace: attacks a batch of inputs (data units)."""

    def __init__(self, explained, space: AttackSpace, goal: Goal):
        self.space, self.goal = space, goal
        self.model = ZSpaceModel(explained, space.shift, space.scale).eval()

    def start(self, X: np.ndarray):
        z0 = torch.as_tensor(self.space.to_z(X))
        lo, hi = self.space.bounds(z0)
        return z0, lo, hi

    def labels(self, z0: torch.Tensor) -> torch.Tensor:
        """What an untargeted attack leaves: the current prediction (regression: value)."""
        pred, _ = answers(scores_of(self.model, z0), self.goal)
        return torch.as_tensor(pred)

    def run(self, z0, labels, lo, hi, attack: str, eps, p: dict, mask=None) -> torch.Tensor:
        if attack == "fgsm":
            return fgsm(self.model, z0, self.goal, labels, eps, lo, hi, p["norm"], mask=mask)
        step = p["step_size"] if p.get("step_size") else 2.5 * torch.as_tensor(eps, dtype=torch.float32) / p["steps"]
        return pgd(self.model, z0, self.goal, labels, eps, step, p["steps"], lo, hi, p["norm"],
                   p.get("random_start", False), p.get("seed", 0), mask=mask)

    def minimal_epsilon(self, z0, labels, lo, hi, attack: str, p: dict, widest: float, tolerance: float,
                        points: int = 16) -> MinimalEpsilon:
        """Bisection, `points` ε per round in one batch (the interval shrinks (points+1)-fold a
        round). A step size, when given, scales with ε (as it stands to the user's ε)."""
        rel = None if not p.get("step_size") else p["step_size"] / max(p["eps"], 1e-12)
        q = dict(p, step_size=None)
        trials = 0

        def reached(eps: np.ndarray) -> np.ndarray:
            nonlocal trials
            trials += len(eps)
            n = len(eps)
            e = torch.as_tensor(eps, dtype=torch.float32)
            if rel is not None:
                q["step_size"] = rel * e
            z = self.run(z0.expand(n, *z0.shape[1:]), labels.expand(n), lo.expand(n, *lo.shape[1:]),
                         hi.expand(n, *hi.shape[1:]), attack, e, q)
            return self.goal.reached(scores_of(self.model, z), labels.expand(n)).numpy()

        a, b = 0.0, float(widest)
        if not reached(np.array([b]))[0]:
            return MinimalEpsilon(b, b, tolerance, False, attack, p.get("steps", 1), trials)
        while b - a > tolerance:
            grid = np.linspace(a, b, points + 2)[1:-1]
            ok = np.flatnonzero(reached(grid))
            if len(ok):
                i = int(ok[0])
                a, b = (float(grid[i - 1]) if i else a), float(grid[i])
            else:
                a = float(grid[-1])
        return MinimalEpsilon(b, a, tolerance, True, attack, p.get("steps", 1), trials)


def probe(explained, data, x: np.ndarray, goal: Goal, attack: str, p: dict, minimal: bool = True,
          tolerance: float | None = None) -> AdversarialExample:
    """Attack one sample x (input_shape, data units) with p = {eps, norm, steps, step_size,
    random_start, seed}; minimal: also search the smallest ε that reaches the goal."""
    space = AttackSpace.for_data(data)
    atk = Attacker(explained, space, goal)
    z0, lo, hi = atk.start(np.asarray(x)[None])
    s0 = scores_of(atk.model, z0)
    pred0, prob0 = answers(s0, goal)
    labels = torch.as_tensor(pred0)
    z = atk.run(z0, labels, lo, hi, attack, float(p["eps"]), p)
    s1 = scores_of(atk.model, z)
    pred1, prob1 = answers(s1, goal)
    d = (z - z0)[0].numpy()
    found = None
    if minimal:
        widest = space.widest(tuple(z0.shape[1:]), p["norm"])
        found = atk.minimal_epsilon(z0, labels, lo, hi, attack, p, widest,
                                    tolerance if tolerance is not None else widest / 1000)
    target = goal.towards if goal.towards is not None else (0 if goal.regression else int(pred0[0]))
    return AdversarialExample(
        attack, dict(p), np.asarray(x, np.float32), space.to_x(z[0].numpy()), d,
        float(np.abs(d).max()), float(np.sqrt((d.astype(np.float64) ** 2).sum())), space.units, int(target),
        float(pred0[0]), float(pred1[0]), prob0[0], prob1[0], bool(goal.reached(s1, labels)[0]), found, goal.task)

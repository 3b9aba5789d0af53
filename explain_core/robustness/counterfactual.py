"""Counterfactuals for table rows: the smallest, sparsest change that flips the decision.

A greedy search in the features' observed values: each round tries every free feature at
each of its training quantiles (one batch through the model) and keeps the change that
moves the decision furthest towards the goal, until the goal is reached (at most
`max_features` features). Then every change is shrunk back towards the row's own value as
far as the goal allows (bisection on a grid, one batch per feature), and any change the
goal no longer needs is dropped. Alternatives: the search restarted with the first feature
of each earlier answer excluded as well, so each suggests a different route. Features the
user fixes are never changed; every value stays within the feature's training range.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..methods.base import _frozen
from .attacks import scores_of
from .probe import answers
from .space import Goal

QUANTILES = np.linspace(0.0, 1.0, 21)
SHRINK_POINTS = 33


@dataclass(frozen=True)
class Counterfactual:
    features: tuple[int, ...]          # the changed features, largest change (in std units) first
    before: tuple[float, ...]          # their values in the row
    after: tuple[float, ...]           # and in the counterfactual
    row: np.ndarray                    # the whole counterfactual row (data units)
    prediction: float                  # class (or value) the model gives it
    probabilities: np.ndarray
    distance: float                    # L1 of the change in standard deviations

    def __post_init__(self):
        object.__setattr__(self, "row", _frozen(self.row))
        object.__setattr__(self, "probabilities", _frozen(self.probabilities))


@dataclass(frozen=True)
class Counterfactuals:
    inputs: np.ndarray
    prediction: float
    probabilities: np.ndarray
    goal: str                          # in words: 'not benign', 'malignant', 'a prediction of 180 or more'
    alternatives: tuple[Counterfactual, ...]
    fixed: tuple[int, ...]
    feature_names: tuple[str, ...]
    class_names: tuple[str, ...]
    task: str = "classification"
    params: dict | None = None

    def __post_init__(self):
        object.__setattr__(self, "inputs", _frozen(self.inputs))
        object.__setattr__(self, "probabilities", _frozen(self.probabilities))

    def outcome(self, cf: Counterfactual) -> str:
        if self.task == "regression":
            return f"the model would predict {number(cf.prediction)} instead of {number(self.prediction)}"
        return f"the model would say {self.class_names[int(cf.prediction)]}"

    def sentence(self, cf: Counterfactual) -> str:
        parts = [f"{self.feature_names[f]} were {number(a)} instead of {number(b)}"
                 for f, b, a in zip(cf.features, cf.before, cf.after)]
        joined = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
        return f"If {joined}, {self.outcome(cf)}."


def number(v: float) -> str:
    """Three significant digits, no exponent for everyday sizes: 14.1, 0.0712, 1250."""
    v = float(v)
    if v == 0:
        return "0"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    text = f"{v:.3g}"
    return text if "e" not in text else f"{v:.4f}"


class Search:
    """The model and the goal seen from rows in data units, with per-feature candidate values."""

    def __init__(self, explained, goal: Goal, X_train: np.ndarray, x: np.ndarray, label):
        self.model, self.goal = explained, goal
        Xd = np.asarray(X_train, np.float64)
        self.std = np.where(Xd.std(0) > 0, Xd.std(0), 1.0)
        self.candidates = np.quantile(Xd, QUANTILES, axis=0).T.astype(np.float32)   # (features, q)
        self.x = np.asarray(x, np.float32)
        self.label = torch.as_tensor(np.asarray([label]))
        self.calls = 0

    def margins(self, rows: np.ndarray) -> np.ndarray:
        self.calls += 1
        s = scores_of(self.model, torch.as_tensor(np.asarray(rows, np.float32)))
        return self.goal.margin(s, self.label.expand(len(rows))).double().numpy()

    def reached(self, m: np.ndarray) -> np.ndarray:
        return m <= 0 if self.goal.regression else m < 0

    def greedy(self, free: np.ndarray, max_features: int) -> np.ndarray | None:
        row, used = self.x.copy(), []
        for _ in range(max_features):
            feats = [f for f in np.flatnonzero(free) if f not in used]
            if not feats:
                return None
            tries = np.repeat(row[None], len(feats) * self.candidates.shape[1], 0)
            which = np.repeat(feats, self.candidates.shape[1])
            tries[np.arange(len(tries)), which] = self.candidates[feats].reshape(-1)
            m = self.margins(tries)
            cost = np.abs(tries[np.arange(len(tries)), which] - self.x[which]) / self.std[which]
            done = self.reached(m)
            # reached: the cheapest change that does it; else the furthest move towards it
            best = int(np.flatnonzero(done)[np.argmin(cost[done])]) if done.any() else int(np.argmin(m + 1e-6 * cost))
            row, used = tries[best], used + [int(which[best])]
            if done.any():
                return row
        return None

    def shrink(self, row: np.ndarray) -> np.ndarray:
        """Each change moved back towards the row's own value as far as the goal allows."""
        row = row.copy()
        for f in np.argsort(-np.abs(row - self.x) / self.std):
            if row[f] == self.x[f]:
                continue
            t = np.linspace(0.0, 1.0, SHRINK_POINTS)
            tries = np.repeat(row[None], len(t), 0)
            tries[:, f] = self.x[f] + t * (row[f] - self.x[f])
            ok = np.flatnonzero(self.reached(self.margins(tries)))
            lo_t = 0.0 if ok[0] == 0 else t[ok[0] - 1]
            hi_t = t[ok[0]]
            for _ in range(3):      # refine between the last failing and first reaching point
                fine = np.linspace(lo_t, hi_t, 9)[1:]
                tries = np.repeat(row[None], len(fine), 0)
                tries[:, f] = self.x[f] + fine * (row[f] - self.x[f])
                k = np.flatnonzero(self.reached(self.margins(tries)))
                if not len(k):
                    break
                lo_t, hi_t = (fine[k[0] - 1] if k[0] else lo_t), fine[k[0]]
            ends = sorted((float(self.x[f]), float(row[f])))     # float rounding must not leave the segment
            row[f] = np.clip(self.x[f] + hi_t * (row[f] - self.x[f]), *ends)
        return row


def counterfactuals(explained, data, x: np.ndarray, goal: Goal, label, fixed=(), n_alternatives: int = 4,
                    max_features: int = 5, goal_words: str = "") -> Counterfactuals:
    """x: one row (data units); label: the prediction to leave (untargeted) or the original
    prediction (regression). fixed: feature indices never changed."""
    search = Search(explained, goal, data.X_train, x, label)
    free = np.ones(len(search.x), bool)
    free[list(fixed)] = False
    excluded, found, seen = [], [], set()
    for _ in range(n_alternatives):
        allowed = free.copy()
        allowed[excluded] = False
        row = search.greedy(allowed, max_features)
        if row is None:
            break
        row = search.shrink(row)
        changed = np.flatnonzero(row != search.x)
        key = tuple(changed)
        order = changed[np.argsort(-np.abs(row - search.x)[changed] / search.std[changed])]
        if order.size:
            excluded.append(int(order[0]))
        if key in seen or not order.size:
            continue
        seen.add(key)
        s = scores_of(explained, torch.as_tensor(row[None]))
        pred, prob = answers(s, goal)
        found.append(Counterfactual(tuple(int(f) for f in order), tuple(float(search.x[f]) for f in order),
                                    tuple(float(row[f]) for f in order), row, float(pred[0]), prob[0],
                                    float((np.abs(row - search.x) / search.std).sum())))
    s0 = scores_of(explained, torch.as_tensor(search.x[None]))
    pred0, prob0 = answers(s0, goal)
    found.sort(key=lambda c: (len(c.features), c.distance))
    return Counterfactuals(search.x, float(pred0[0]), prob0[0], goal_words, tuple(found),
                           tuple(int(f) for f in fixed), tuple(data.feature_names), tuple(data.class_names),
                           goal.task, {"n_alternatives": n_alternatives, "max_features": max_features,
                                       "calls": search.calls})

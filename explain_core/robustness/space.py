"""Where an attack moves an input, and what it tries to reach.

AttackSpace: images are attacked in their own values, clipped to the data's value range;
tabular rows in standardised units (z = (x − mean) / std of the training rows), each
feature kept within its observed training range (widened to include the row itself, so
ε = 0 never moves a row). ε, step sizes and norms are all measured in this space.

Goal: what success means, as a margin that is negative once reached, and an objective a
gradient step ascends: leave the label (untargeted), reach a class (targeted) or move a
regression's prediction by a stated amount. Scores are the explained model's (one per
class, models/heads.py); the head's link turns them into log-probabilities, so a binary
single-logit model ([−z, z], sigmoid) works like any other.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class AttackSpace:
    shift: np.ndarray      # input_shape (or broadcastable): x = shift + scale * z
    scale: np.ndarray
    lo: np.ndarray         # bounds in z, broadcastable to input_shape
    hi: np.ndarray
    units: str             # 'pixel values' or 'standard deviations'

    @classmethod
    def for_data(cls, data) -> "AttackSpace":
        X = data.X_train if len(data.train_idx) else data.X
        if data.kind == "image":
            from ..inputs import observed_range    # computed once per data set
            lo, hi = (float(v) for v in observed_range(data))
            one = np.zeros(1, np.float32)
            return cls(one, one + 1, np.float32([lo]), np.float32([hi]), "pixel values")
        Xd = np.asarray(X, np.float64)
        mean, std = Xd.mean(0), Xd.std(0)
        std = np.where(std > 0, std, 1.0)
        lo, hi = (Xd.min(0) - mean) / std, (Xd.max(0) - mean) / std
        f = np.float32
        return cls(mean.astype(f), std.astype(f), lo.astype(f), hi.astype(f), "standard deviations")

    @property
    def image(self) -> bool:
        return self.units == "pixel values"

    def to_z(self, x: np.ndarray) -> np.ndarray:
        return ((np.asarray(x, np.float32) - self.shift) / self.scale).astype(np.float32)

    def to_x(self, z: np.ndarray) -> np.ndarray:
        return (self.shift + self.scale * np.asarray(z, np.float32)).astype(np.float32)

    def bounds(self, z0: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-sample bounds (z0's shape): the space's, widened to include z0 itself."""
        lo = torch.as_tensor(self.lo).expand_as(z0[0])
        hi = torch.as_tensor(self.hi).expand_as(z0[0])
        return torch.minimum(lo, z0), torch.maximum(hi, z0)

    def widest(self, shape: tuple[int, ...], norm: str) -> float:
        """The largest useful ε: the whole box (L∞: its widest side; L2: its diagonal)."""
        side = np.broadcast_to(self.hi - self.lo, shape).astype(np.float64)
        return float(side.max() if norm == "linf" else np.sqrt((side ** 2).sum()))


def log_probs(scores: torch.Tensor, link: str) -> torch.Tensor:
    if link == "softmax":
        return F.log_softmax(scores, 1)
    if link == "sigmoid":
        return F.logsigmoid(scores)
    return torch.log(scores.clamp_min(1e-12))      # a model that outputs probabilities itself


@dataclass(frozen=True)
class Goal:
    """towards: a class to reach (None: leave `labels`); delta: regression, the change of
    the prediction wanted (signed), from `labels` (then the original predictions)."""

    link: str
    task: str = "classification"
    towards: int | None = None
    delta: float | None = None

    @property
    def regression(self) -> bool:
        return self.task == "regression"

    def objective(self, scores: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Per sample, what an attack step ascends."""
        if self.regression:
            return float(np.sign(self.delta)) * scores[:, 0]
        lp = log_probs(scores, self.link)
        if self.towards is not None:
            return lp[:, self.towards]
        return -lp.gather(1, labels.long().view(-1, 1))[:, 0]

    def margin(self, scores: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Per sample; < 0 once the goal is reached (≤ 0 for a regression)."""
        if self.regression:
            s = float(np.sign(self.delta))
            return s * (labels.float() + self.delta - scores[:, 0])
        lp = log_probs(scores, self.link)
        keep = self.towards if self.towards is not None else labels.long()
        keep = torch.as_tensor(keep).expand(len(lp)).view(-1, 1)
        own = lp.gather(1, keep)[:, 0]
        others = lp.scatter(1, keep, float("-inf")).max(1).values
        return others - own if self.towards is not None else own - others

    def reached(self, scores: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        m = self.margin(scores, labels)
        return m <= 0 if self.regression else m < 0

"""Model-randomisation sanity check (Adebayo et al. 2018).

The model's layers with weights are re-initialised cascading from the top (the output
layer first, then the one below, ...) on copies; the sample is explained on each copy and
the map compared with the original by Spearman rank correlation of |map| (over the features
where either map is non-zero: a pixel that is 0 in both, such as the blank background under
gradient × input, is 0 by construction whatever the model, and thousands of such ties would
make any two maps look alike). A map that
explains the model must change once the model is random: a method whose map still
correlates strongly with the original after every layer is random (e.g. one that mostly
draws the input) is flagged.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
from torch import nn

from ..errors import ParameterError

FLAG_AT = 0.5     # Spearman with the fully randomised model's map at or above this: flagged


@dataclass(frozen=True)
class Randomisation:
    """layers: re-initialised at each step (cumulative, top first); maps: (steps, *shape);
    spearman: rank correlation of each step's |map| with the original's; flagged: the map
    barely changed once every layer was random (spearman[-1] >= FLAG_AT)."""

    method: str
    target: int
    layers: tuple[str, ...]
    original: np.ndarray
    maps: np.ndarray
    spearman: np.ndarray
    flagged: bool

    @property
    def final(self) -> float:
        return float(self.spearman[-1])


def rankdata(a: np.ndarray) -> np.ndarray:
    """Ranks 1..n with ties given their average rank (scipy.stats.rankdata's 'average'),
    in numpy: importing scipy.stats costs ~2 s on the first quality request of a process."""
    a = np.ravel(a)
    order = np.argsort(a, kind="mergesort")
    inverse = np.empty(a.size, np.intp)
    inverse[order] = np.arange(a.size)
    s = a[order]
    first = np.r_[True, s[1:] != s[:-1]]
    dense = np.cumsum(first)[inverse]
    bounds = np.r_[np.nonzero(first)[0], a.size]
    return 0.5 * (bounds[dense] + bounds[dense - 1] + 1)


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman rank correlation of two arrays (average ranks for ties); 1.0 when both are
    constant and equal, 0.0 when one is constant."""
    ra, rb = rankdata(a), rankdata(b)
    sa, sb = ra.std(), rb.std()
    if sa == 0 or sb == 0:
        return 1.0 if (sa == sb and np.array_equal(np.ravel(a), np.ravel(b))) else 0.0
    return float(np.mean((ra - ra.mean()) * (rb - rb.mean())) / (sa * sb))


def map_correlation(original: np.ndarray, other: np.ndarray) -> float:
    """Spearman of |original| and |other| over the features where either is non-zero."""
    a, b = np.abs(np.ravel(original)), np.abs(np.ravel(other))
    keep = (a != 0) | (b != 0)
    return spearman(a[keep], b[keep]) if keep.sum() >= 3 else spearman(a, b)


def weighted_layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """Layers holding their own parameters, in registration (forward) order."""
    return [(n, m) for n, m in model.named_modules() if n and any(True for _ in m.parameters(recurse=False))]


def _reinit(m: nn.Module) -> None:
    if hasattr(m, "reset_parameters"):
        m.reset_parameters()
        return
    for p in m.parameters(recurse=False):
        nn.init.normal_(p, std=0.05)


def cascading_copies(model: nn.Module, seed: int = 0):
    """(names re-initialised so far, a copy of the model with those layers random), top first."""
    layers = weighted_layers(model)
    if not layers:
        raise ParameterError("The randomisation check needs a model with layers that hold weights")
    try:
        current = copy.deepcopy(model)
    except Exception as e:     # a compiled or exported model that cannot be copied
        raise ParameterError(f"The randomisation check cannot copy this model ({type(e).__name__})") from None
    named = dict(current.named_modules())
    done = []
    with torch.random.fork_rng():
        torch.manual_seed(int(seed))
        for name, _ in reversed(layers):
            with torch.no_grad():
                _reinit(named[name])
            done.append(name)
            yield tuple(done), current


def randomised_copy(model: nn.Module, seed: int = 0) -> nn.Module:
    """A copy with every layer re-initialised: the last step of cascading_copies (the same
    weights for the same seed), made once and shared by every method of a table."""
    for _, current in cascading_copies(model, seed):
        pass
    return current.eval()


def randomisation(model: nn.Module, x: np.ndarray, target: int, explain: Callable[[nn.Module], np.ndarray],
                  method: str, original: np.ndarray | None = None, seed: int = 0, full_only: bool = False
                  ) -> Randomisation:
    """explain(model) -> the sample's map for `target` on that model. full_only: only the
    last step (every layer random), for the which-method table."""
    original = np.asarray(explain(model) if original is None else original, dtype=np.float32)
    maps, rhos, names = [], [], []
    n_layers = len(weighted_layers(model))
    for done, m in cascading_copies(model, seed):     # one copy, one more layer random each step
        if full_only and len(done) < n_layers:
            continue
        m.eval()
        a = np.asarray(explain(m), dtype=np.float32)
        maps.append(a)
        rhos.append(map_correlation(original, a))
        names.append("all layers" if full_only else done[-1])
    rho = np.asarray(rhos, dtype=np.float64)
    return Randomisation(method, int(target), tuple(names), original, np.stack(maps), rho, bool(rho[-1] >= FLAG_AT))

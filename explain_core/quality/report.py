"""One method's quality scores for one sample, and every method ranked on them.

Settings (QUALITY_PARAMS) are normalised like a method's parameters, so equal requests
share a cache key. Images are perturbed on the scale of the sample's value range,
tables on each feature's training standard deviation (their units differ by orders of
magnitude: breast-cancer areas in the thousands beside smoothness near 0.1).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ..errors import ParameterError
from ..methods.registry import Param
from .curves import Curves, deletion_insertion, replacement_for
from .explainers import explain_many
from .fidelity import (gaussian_perturbations, infidelity_from, infidelity_terms, sensitivity_max,
                       uniform_perturbations)

QUALITY_PARAMS = (
    Param("step", float, 0.02, 0.01, 0.05),        # share of the input removed per curve step
    Param("fill", float, 0.0, -1e6, 1e6),          # images: what removed pixels become
    Param("blur", float, 0.0, 0.0, 10.0),          # images: > 0 replaces by a blurred copy instead (σ, px)
    Param("n_perturb", int, 50, 1, 1000),          # infidelity's noise draws
    Param("noise", float, 0.1, 0.0, 1.0),          # their σ, relative to the input's scale
    Param("n_draws", int, 10, 1, 100),             # max-sensitivity's draws
    Param("radius", float, 0.02, 0.0, 1.0),        # their half-width, relative to the input's scale
    Param("seed", int, 0, 0, 2**31 - 1),
)
SCALE_ROWS = 10_000


def quality_params(q: dict | None) -> dict:
    q = dict(q or {})
    known = {p.name for p in QUALITY_PARAMS}
    unknown = set(q) - known
    if unknown:
        raise ParameterError(f"Unknown quality setting(s): {', '.join(sorted(map(str, unknown)))}; "
                             f"known: {', '.join(sorted(known))}")
    return {p.name: p.normalise(q.get(p.name), False) for p in QUALITY_PARAMS}


@dataclass(frozen=True)
class QualityReport:
    """infidelity: Captum's normalised infidelity (the map rescaled by its best factor
    first: scale-free); infidelity_raw: without the rescaling, in squared output units."""

    method: str
    target: int
    params: dict
    quality: dict
    curves: Curves
    infidelity: float
    infidelity_raw: float
    sensitivity: float
    seconds: dict = field(default_factory=dict)


def input_scale(data, x: np.ndarray) -> np.ndarray | float:
    """The unit perturbations are measured in: the image's value range, or each table
    column's training standard deviation (1 where a column is constant)."""
    if data.kind == "image":
        span = float(np.max(x) - np.min(x))
        return span if span > 0 else 1.0
    rows = data.X[data.subsample("train", SCALE_ROWS)]
    sd = rows.astype(np.float64).std(axis=0)
    return np.where(sd > 0, sd, 1.0).astype(np.float32)


def quality_report(module, data, link: str, quantity: str, x: np.ndarray, attribution: np.ndarray, target: int,
                   method: str, params: dict, q: dict, runner=None) -> QualityReport:
    """Deletion/insertion curves, infidelity and max-sensitivity of one map (q: quality_params)."""
    x = np.asarray(x, dtype=np.float32)
    image = data.kind == "image"
    t0 = time.perf_counter()
    repl, name = replacement_for(x, image, q["fill"], q["blur"], None if image else data.train_mean)
    curves = deletion_insertion(module, x, attribution, target, repl, link, q["step"], image, name, quantity)
    t1 = time.perf_counter()
    scale = input_scale(data, x)
    I = gaussian_perturbations(x.shape, q["n_perturb"], np.asarray(scale) * q["noise"], q["seed"])
    a_dot, fdiff = infidelity_terms(module, x, attribution, target, I)
    t2 = time.perf_counter()
    U = uniform_perturbations(x.shape, q["n_draws"], np.asarray(scale) * q["radius"], q["seed"] + 1)
    sens = sensitivity_max(lambda X: explain_many(module, data, method, params, X, target, runner), x,
                           attribution, U)
    t3 = time.perf_counter()
    return QualityReport(method, int(target), dict(params), dict(q), curves, infidelity_from(a_dot, fdiff, True),
                         infidelity_from(a_dot, fdiff, False), sens,
                         {"curves": t1 - t0, "infidelity": t2 - t1, "sensitivity": t3 - t2})


# columns of the which-method table: (key, title, better: 'low' or 'high')
COLUMNS = (("deletion_auc", "Deletion AUC", "low"), ("insertion_auc", "Insertion AUC", "high"),
           ("infidelity", "Infidelity", "low"), ("sensitivity", "Max-sensitivity", "low"),
           ("randomisation", "Randomisation ρ", "low"))


@dataclass(frozen=True)
class MethodScores:
    method: str
    deletion_auc: float
    insertion_auc: float
    infidelity: float
    sensitivity: float
    randomisation: float        # Spearman with the fully randomised model's map (low: good)
    flagged: bool
    draws: int = 0              # max-sensitivity's draws (the table takes fewer for costly maps)


@dataclass(frozen=True)
class MethodTable:
    """Every method's scores for one sample; best: column key -> the best method."""

    target: int
    quantity: str
    rows: tuple[MethodScores, ...]
    best: dict
    seconds: float

    def ranks(self) -> dict:
        """method -> its mean rank over the columns (1 = best everywhere)."""
        out = {r.method: [] for r in self.rows}
        for key, _, better in COLUMNS:
            vals = np.array([getattr(r, key) for r in self.rows], dtype=np.float64)
            order = np.argsort(vals if better == "low" else -vals, kind="stable")
            for rank, k in enumerate(order, 1):
                out[self.rows[k].method].append(rank)
        return {m: float(np.mean(v)) for m, v in out.items()}


def best_of(rows) -> dict:
    best = {}
    for key, _, better in COLUMNS:
        vals = [getattr(r, key) for r in rows]
        finite = [(v, r.method) for v, r in zip(vals, rows) if np.isfinite(v)]
        if finite:
            best[key] = (min if better == "low" else max)(finite)[1]
    return best

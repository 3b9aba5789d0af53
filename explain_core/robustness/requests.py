"""The service's side of robustness: check a request, name its cache key, compute once.

service.robustness(model_id, what, sample_id, **params) delegates here (explain_core/service.py
stays a façade). Parameters are normalised so equal requests share one cache key; bad ones are
ParameterErrors naming what is allowed.
"""
from __future__ import annotations

import numpy as np
import torch

from ..cache import result_key
from ..errors import ParameterError
from ..methods.base import check_param, check_target, shown
from ..methods.registry import _as_bool
from .attacks import NORMS
from .space import Goal

ATTACKS = ("fgsm", "pgd")
DEFAULT_EPS = {("image", "linf"): 0.1, ("image", "l2"): 2.0, ("tabular", "linf"): 0.5, ("tabular", "l2"): 1.0}
ATTACK_KEYS = ("attack", "norm", "eps", "steps", "step_size", "towards", "delta", "random_start", "seed", "minimal",
               "tolerance")
COUNTERFACTUAL_KEYS = ("fixed", "towards", "delta", "n_alternatives", "max_features")
WHAT = ("adversarial", "counterfactuals")


def _unknown(raw: dict, known, what: str) -> None:
    bad = sorted(set(raw) - set(known))
    if bad:
        raise ParameterError(f"Unknown setting(s) for {what}: {', '.join(map(str, bad))}; "
                             f"known: {', '.join(known)}")


def _choice(name: str, value, choices, default):
    value = default if value is None else value
    if not isinstance(value, str) or value not in choices:
        raise ParameterError(f"{name} must be one of {', '.join(choices)}; got {shown(value)}")
    return value


def _goal_params(raw: dict, tm) -> dict:
    """towards (a class, classification) or delta (the change of a regression's prediction)."""
    if tm.head.task == "regression":
        if raw.get("towards") is not None:
            raise ParameterError("A regression has no classes to aim at: give delta, the change of the "
                                 "prediction wanted")
        std = float(np.std(np.asarray(tm.data.y_train, np.float64))) or 1.0
        delta = raw.get("delta")
        delta = std if delta is None else check_param("delta", delta, -1e9, 1e9)
        if delta == 0:
            raise ParameterError("delta (the change of the prediction wanted) must not be 0")
        return {"towards": None, "delta": delta}
    if raw.get("delta") is not None:
        raise ParameterError("delta applies to regression models; aim at a class with towards")
    towards = raw.get("towards")
    return {"towards": None if towards is None else check_target(towards, len(tm.data.class_names)),
            "delta": None}


def attack_params(raw: dict, tm) -> dict:
    _unknown(raw, ATTACK_KEYS, "the adversarial attack")
    kind = tm.data.kind
    attack = _choice("attack", raw.get("attack"), ATTACKS, "pgd")
    norm = _choice("norm", raw.get("norm"), NORMS, "linf")
    eps = raw.get("eps")
    p = {"attack": attack, "norm": norm,
         "eps": DEFAULT_EPS[kind, norm] if eps is None else check_param("eps", eps, 1e-6, 1e4),
         "steps": 1 if attack == "fgsm" else check_param("steps", 20 if raw.get("steps") is None else raw["steps"],
                                                          1, 500, int),
         "step_size": None if raw.get("step_size") is None or attack == "fgsm"
         else check_param("step_size", raw["step_size"], 1e-6, 1e4),
         "random_start": attack == "pgd" and _as_bool("random_start", raw.get("random_start") or False),
         "seed": check_param("seed", _or(raw.get("seed"), 0), 0, 2**31 - 1, int),
         "minimal": _as_bool("minimal", True if raw.get("minimal") is None else raw["minimal"]),
         "tolerance": None if raw.get("tolerance") is None else check_param("tolerance", raw["tolerance"], 1e-6, 1e3)}
    return {**p, **_goal_params(raw, tm)}


def _or(value, default):
    return default if value is None else value


def _fixed(value, names) -> tuple[int, ...]:
    if value is None:
        return ()
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        raise ParameterError(f"fixed must be a list of feature names or numbers, got {shown(value)}")
    out = set()
    for v in value:
        if isinstance(v, str) and v in names:
            out.add(names.index(v))
            continue
        i = check_param("fixed feature", v, 0, len(names) - 1, int) if not isinstance(v, str) else None
        if i is None:
            raise ParameterError(f"Unknown feature {shown(v)} in fixed")
        out.add(i)
    return tuple(sorted(out))


def counterfactual_params(raw: dict, tm) -> dict:
    if tm.data.kind != "tabular":
        raise ParameterError("Counterfactuals are for table rows; for an image, see its adversarial example")
    _unknown(raw, COUNTERFACTUAL_KEYS, "counterfactuals")
    return {"fixed": _fixed(raw.get("fixed"), list(tm.data.feature_names)),
            "n_alternatives": check_param("n_alternatives", _or(raw.get("n_alternatives"), 4), 1, 10, int),
            "max_features": check_param("max_features", _or(raw.get("max_features"), 5), 1, 20, int),
            **_goal_params(raw, tm)}


def goal_of(tm, p: dict) -> Goal:
    return Goal(tm.head.link, tm.head.task, p["towards"], p["delta"])


def goal_words(tm, p: dict, prediction: float) -> str:
    if tm.head.task == "regression":
        return f"a prediction {'above' if p['delta'] > 0 else 'below'} {prediction + p['delta']:.4g}"
    names = tm.data.class_names
    return names[p["towards"]] if p["towards"] is not None else f"anything but {names[int(prediction)]}"


def compute(service, tm, i: int, what: str, p: dict):
    x = tm.data.X[i]
    goal = goal_of(tm, p)
    if what == "adversarial":
        from .probe import probe
        q = {k: p[k] for k in ("eps", "norm", "steps", "step_size", "random_start", "seed")}
        return probe(tm.explained, tm.data, x, goal, p["attack"], q, p["minimal"], p["tolerance"])
    from .counterfactual import counterfactuals
    from .probe import answers
    pred, _ = answers(tm.explained(torch.as_tensor(x[None])).detach(), goal)
    return counterfactuals(tm.explained, tm.data, x, goal, pred[0], p["fixed"], p["n_alternatives"],
                           p["max_features"], goal_words(tm, p, float(pred[0])))


def robustness(service, model_id: str, what: str, sample_id, params: dict):
    """'adversarial': an AdversarialExample (with the minimal ε); 'counterfactuals':
    Counterfactuals of a table row. Cached by (weights, sample, what, params)."""
    what = _choice("what", what, WHAT, None)
    tm = service._model(model_id)
    i = service._index(tm, sample_id)
    p = attack_params(params, tm) if what == "adversarial" else counterfactual_params(params, tm)
    key = result_key(service._hash(tm), service._sample_key(tm, i), f"robust:{what}", p)
    return _cached(service, key, lambda: compute(service, tm, i, what, p))


def _cached(service, key: str, make):
    with service.compute.same_key(key):      # one request computes; the same request meanwhile waits for it
        hit = service.cache.get(key)
        if hit is None:
            service.cache.set(key, hit := make())
    return hit

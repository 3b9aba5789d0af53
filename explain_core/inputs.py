"""Explaining an arbitrary input, not a row of the data set: a digit drawn in the page, a
table row edited by hand (the what-if editor), an adversarially perturbed sample.

The input is checked first (its shape, finite values, the data's value range), then
explained with the same runners and the same cache as a data set row: the cache key
names the model's weights hash and a hash of the input's bytes instead of a row id.
"""
from __future__ import annotations

import hashlib
import weakref
from dataclasses import dataclass

import numpy as np
import torch

from .cache import result_key
from .errors import DataError, ParameterError
from .methods.base import check_target, resolve_target, shown
from .methods.registry import RUNNERS, method_spec, normalise_params
from .model_facts import answers
from .models.training import predict_logits

MAX_ELEMENTS = 1_000_000     # an input larger than this is refused before it is copied
TABULAR_SLACK = 1.0          # table values may go this many observed spans beyond the observed range
IMAGE_SLACK = 1e-3           # pixel values: the data's range, float rounding allowed
STATS_ROWS = 10_000

_ranges: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class InputPrediction:
    """The model's answer for one input: as SampleTable rows hold it."""
    prediction: int | float
    probabilities: np.ndarray       # (classes,), or (1,) the predicted value for a regression
    task: str = "classification"


def observed_range(data) -> tuple[np.ndarray, np.ndarray]:
    """(lo, hi) of the data's values: per feature for a table, one pair for images; from at
    most STATS_ROWS training rows, computed once per data set."""
    held = _ranges.get(data)
    if held is None:
        X = data.X[data.subsample("train", STATS_ROWS)]
        if data.kind == "tabular":
            held = (X.min(axis=0).astype(np.float64), X.max(axis=0).astype(np.float64))
        else:
            held = (np.float64(X.min()), np.float64(X.max()))
        _ranges[data] = held
    return held


def check_input(data, inputs) -> np.ndarray:
    """The input as float32 of the data's input shape (a flat list of the right length is
    reshaped), or a DataError saying what is wrong: its shape, a value that is not a finite
    number, or a value outside the range the model can be asked about."""
    shape = tuple(data.input_shape)
    size = int(np.prod(shape))
    if isinstance(inputs, (str, bytes, dict)) or inputs is None:
        raise DataError(f"The input must be an array of {size} numbers (shape {shape}), got {shown(inputs)}")
    try:
        a = np.asarray(inputs)
    except (ValueError, TypeError) as e:
        raise DataError(f"The input must be an array of numbers of shape {shape}: {e}") from None
    if a.size > MAX_ELEMENTS or a.size != size:
        raise DataError(f"The input has {a.size} values; this model takes {size} (shape {shape})")
    if a.dtype.kind not in "biuf":
        raise DataError(f"The input must hold numbers; got values of type {a.dtype}")
    x = a.astype(np.float32).reshape(shape)
    bad = ~np.isfinite(x)
    if bad.any():
        raise DataError(f"The input holds {int(bad.sum())} value(s) that are not finite numbers (NaN or infinite)")
    lo, hi = observed_range(data)
    if data.kind == "tabular":
        span = np.maximum(hi - lo, 1e-12)
        low, high = lo - TABULAR_SLACK * span, hi + TABULAR_SLACK * span
        out = np.flatnonzero((x < low) | (x > high))
        if len(out):
            j = int(out[0])
            name = data.feature_names[j] if j < len(data.feature_names) else f"feature {j}"
            raise DataError(f"{name} = {float(x[j]):.6g} is far outside the values seen in the data "
                            f"({lo[j]:.6g} to {hi[j]:.6g}); values from {low[j]:.6g} to {high[j]:.6g} are accepted")
    else:
        tol = IMAGE_SLACK * max(float(hi - lo), 1e-12)
        if float(x.min()) < lo - tol or float(x.max()) > hi + tol:
            raise DataError(f"Pixel values must lie in the data's range {float(lo):.4g} to {float(hi):.4g}; "
                            f"got {float(x.min()):.4g} to {float(x.max()):.4g}")
    x.setflags(write=False)
    return x


def input_key(x: np.ndarray) -> str:
    """The cache's sample key of an arbitrary input: a hash of its shape and bytes."""
    h = hashlib.sha1(str(x.shape).encode())
    h.update(np.ascontiguousarray(x, dtype=np.float32))
    return "in-" + h.hexdigest()[:20]


def predict_input(service, model_id: str, inputs) -> InputPrediction:
    """The model's prediction and class probabilities for one input (checked)."""
    tm = service._model(model_id)
    x = check_input(tm.data, inputs)
    predictions, probs = answers(tm.head, predict_logits(tm.module, np.array(x[None])))
    cast = float if tm.head.task == "regression" else int
    return InputPrediction(cast(predictions[0]), probs[0].copy(), tm.head.task)


def explain_input(service, model_id: str, inputs, method: str, target=None, client: str | None = None, **params):
    """explain() for an arbitrary input: the same methods, parameters, targets and cache.
    The default target is the predicted class (keyed as such: the input and the weights fix
    it). The distilled tree is the model's tree, asked about this input."""
    tm = service._model(model_id)
    spec = method_spec(method)
    if not spec.per_sample:
        raise ParameterError(f"{spec.title} do not depend on the input; ask for them with explain()")
    params = normalise_params(method, params, tm.data.kind, tm.module, tm.data.input_shape)
    x = check_input(tm.data, inputs)
    if spec.needs_target and target is not None:
        target = check_target(target, len(tm.data.class_names))
    elif not spec.needs_target:
        target = None
    key = result_key(service._hash(tm), input_key(x), method, params) + \
        f":{'auto' if spec.needs_target and target is None else target}"
    hit = service.cache.get(key)
    if hit is not None:
        service.stats["hits"] += 1
        return hit
    service.stats["misses"] += 1
    with service.compute.same_key(key):
        hit = service.cache.get(key)
        if hit is not None:
            return hit
        if spec.needs_target and target is None:
            target = resolve_target(tm.explained, torch.as_tensor(np.array(x)).unsqueeze(0), None)
        with service.compute.slot(model_id, method, params, tm.data.input_shape, client):
            if method == "tree":
                result = service._tree(tm, params["max_depth"]).explain(np.array(x))
            else:
                result = RUNNERS[method](tm.explained, tm.data, np.array(x), target, params)
        service.cache.set(key, result)
    return result

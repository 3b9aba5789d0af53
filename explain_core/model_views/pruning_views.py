"""The pruning what-if as model views: 'pruning' (a pruned copy scored on the held-out
rows, against the model as served) and 'pruning_sample' (one sample's prediction and
integrated-gradients map before and after). See pruning.py for how units are removed."""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ..errors import ParameterError
from ..methods.base import _frozen, as_whole, check_param, shown
from ..model_facts import answers, regression_metrics
from ..models.heads import explained
from .pruning import (COPIES, activity_order, activity_scores, forward_all, magnitude_order, magnitude_scores,
                      prunable_layers, pruned)
from .registry import register

HOW = ("hand", "magnitude", "activity")
MAX_HAND = 4096       # unit indices a request may name
SHOWN_FLIPS = 200     # row ids of changed predictions kept in a result


@dataclass(frozen=True)
class PruningResult:
    layer: str
    how: str
    units: np.ndarray            # the unit indices removed, ascending
    n_units: int                 # units (filters) the layer has
    layer_type: str              # Linear or Conv2d
    task: str                    # 'classification' or 'regression'
    metric: str                  # 'accuracy' or 'R²'
    before: float                # metric of the served model on the held-out rows
    after: float                 # metric of the pruned copy
    n_rows: int
    class_names: tuple[str, ...] = ()
    class_before: np.ndarray | None = None   # per-class accuracy (recall), classification
    class_after: np.ndarray | None = None
    class_counts: np.ndarray | None = None
    flips: int = 0               # held-out predictions that changed (classification)
    flip_ids: np.ndarray | None = None       # their row ids (the first SHOWN_FLIPS)
    mae_before: float | None = None          # regression
    mae_after: float | None = None
    mean_change: float | None = None         # regression: mean |prediction after − before|
    magnitude: np.ndarray | None = None      # per unit: L1 norm of its incoming weights (None: compiled)
    activity: np.ndarray | None = None       # per unit: mean |output| on held-out data (pruning.py)
    seconds: float = 0.0                     # the pruned copy's evaluation, measured
    params: dict = field(default_factory=dict)

    def __post_init__(self):
        for name in ("units", "class_before", "class_after", "class_counts", "flip_ids", "magnitude", "activity"):
            v = getattr(self, name)
            if v is not None:
                object.__setattr__(self, name, _frozen(v))


@dataclass(frozen=True)
class PruningSample:
    """One sample through the model as served and through the pruned copy: the scores
    (probabilities per class, or the value) and integrated gradients (Attribution) of the
    same target on both."""
    sample: int
    target: int
    task: str
    scores_before: np.ndarray
    scores_after: np.ndarray
    prediction_before: float
    prediction_after: float
    before: object               # methods.base.Attribution
    after: object
    units: np.ndarray
    params: dict = field(default_factory=dict)

    def __post_init__(self):
        for name in ("scores_before", "scores_after", "units"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))


# ----------------------------------------------------------------------------- parameters
def normalise(raw: dict, ctx) -> dict:
    """{'layer', 'how', 'k' or 'units'} checked against the model's prunable layers."""
    unknown = set(raw) - {"layer", "how", "k", "units"}
    if unknown:
        raise ParameterError(f"Pruning takes layer, how, k and units; not {', '.join(sorted(map(str, unknown)))}")
    layers = {pl.name: pl for pl in prunable_layers(ctx.model)}
    if not layers:
        raise ParameterError("This model has no dense or convolution layer before its output layer to prune")
    layer = raw.get("layer", next(iter(layers)))
    if not isinstance(layer, str) or layer not in layers:
        raise ParameterError(f"Layer {shown(layer)} cannot be pruned; choose one of {', '.join(layers)}")
    how = raw.get("how", "magnitude")
    if how not in HOW:
        raise ParameterError(f"how must be one of {', '.join(HOW)}; got {shown(how)}")
    n = layers[layer].units
    if how == "hand":
        return {"layer": layer, "how": how, "units": hand_units(raw.get("units", ()), n)}
    return {"layer": layer, "how": how, "k": check_param("k", raw.get("k", 0), 0, n, int)}


def hand_units(units, n: int) -> tuple[int, ...]:
    if not isinstance(units, (list, tuple)) or len(units) > MAX_HAND:
        raise ParameterError(f"units must be a list of unit numbers 0..{n - 1}, got {shown(units)}")
    out = set()
    for u in units:
        i = as_whole(u)
        if i is None or not 0 <= i < n:
            raise ParameterError(f"Unit {shown(u)} is not one of this layer's units 0..{n - 1}")
        out.add(i)
    return tuple(sorted(out))


def chosen_units(ctx, layer: str, how: str, k: int = 0, units=()) -> np.ndarray:
    if how == "hand":
        return np.asarray(sorted(units), dtype=np.int64)
    if k == 0:
        return np.zeros(0, np.int64)
    order = (magnitude_order(ctx.model, layer) if how == "magnitude"
             else activity_order(ctx.held_out().activations, ctx.model, layer))
    return np.sort(order[:k]).astype(np.int64)


# ----------------------------------------------------------------------------- evaluation
def evaluate(ctx, layer: str, removed: np.ndarray) -> tuple[np.ndarray, float]:
    """(predictions of the copy without `removed` units of `layer` on the held-out rows,
    seconds that took): one batched forward."""
    twin, lock = COPIES.get(ctx.model, ctx.hash, ctx.hook_lock)
    start = time.perf_counter()
    with lock, pruned(twin, {layer: tuple(removed.tolist())}):
        logits = forward_all(twin, ctx.held_out().X)
    predictions, _ = answers(ctx.head, logits)
    return predictions, time.perf_counter() - start


def metric_of(hp, predictions: np.ndarray) -> float:
    """Held-out accuracy, or R² for regression."""
    if hp.task == "regression":
        return regression_metrics(hp.labels, predictions)[0]
    return _accuracy(predictions, hp.labels.astype(np.int64))


def pruning(ctx, layer: str, how: str, k: int = 0, units=()) -> PruningResult:
    hp = ctx.held_out()
    removed = chosen_units(ctx, layer, how, k, units)
    predictions, seconds = evaluate(ctx, layer, removed)
    pl = next(pl for pl in prunable_layers(ctx.model) if pl.name == layer)
    common = dict(layer=layer, how=how, units=removed, n_units=pl.units, layer_type=pl.type, task=hp.task,
                  n_rows=len(hp.ids),
                  seconds=seconds, magnitude=_scores(magnitude_scores, ctx.model, layer),
                  activity=_scores(activity_scores, ctx.held_out().activations, ctx.model, layer),
                  params={"layer": layer, "how": how, "k": k, "units": list(units)})
    if hp.task == "regression":
        r2_b, mae_b = regression_metrics(hp.labels, hp.predictions)
        r2_a, mae_a = regression_metrics(hp.labels, predictions)
        change = float(np.mean(np.abs(predictions.astype(np.float64) - hp.predictions))) if len(hp.ids) else 0.0
        return PruningResult(metric="R²", before=r2_b, after=r2_a, mae_before=mae_b, mae_after=mae_a,
                             mean_change=change, **common)
    labels = hp.labels.astype(np.int64)
    n_classes = len(ctx.data.class_names)
    counts = np.bincount(labels, minlength=n_classes)
    flipped = np.flatnonzero(predictions != hp.predictions)
    return PruningResult(
        metric="accuracy", before=_accuracy(hp.predictions, labels), after=_accuracy(predictions, labels),
        class_names=tuple(ctx.data.class_names), class_before=_per_class(hp.predictions, labels, n_classes),
        class_after=_per_class(predictions, labels, n_classes), class_counts=counts, flips=int(len(flipped)),
        flip_ids=hp.ids[flipped[:SHOWN_FLIPS]], **common)


def _scores(fn, *args) -> np.ndarray | None:
    try:
        return fn(*args)
    except ParameterError:      # weights inside compiled code, or no activations recorded
        return None


def _accuracy(pred: np.ndarray, labels: np.ndarray) -> float:
    return float(np.mean(pred == labels)) if len(labels) else float("nan")


def _per_class(pred: np.ndarray, labels: np.ndarray, n: int) -> np.ndarray:
    """Accuracy within each true class (recall); NaN for a class with no held-out rows."""
    hits = np.bincount(labels[pred == labels], minlength=n).astype(np.float64)
    counts = np.bincount(labels, minlength=n).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, hits / np.maximum(counts, 1), np.nan)


# ----------------------------------------------------------------------------- one sample
def normalise_sample(raw: dict, ctx) -> dict:
    raw = dict(raw)
    sample, target = raw.pop("sample", None), raw.pop("target", None)
    i = as_whole(sample)
    if i is None or not 0 <= i < len(ctx.data.X):
        raise ParameterError(f"Unknown sample {shown(sample)}: {ctx.model_id} has samples 0..{len(ctx.data.X) - 1}")
    n_targets = 1 if ctx.head.task == "regression" else len(ctx.data.class_names)
    t = None if target is None else check_param("target", target, 0, n_targets - 1, int)
    return {**normalise(raw, ctx), "sample": i, "target": t}


def pruning_sample(ctx, layer: str, how: str, sample: int, target: int | None, k: int = 0,
                   units=()) -> PruningSample:
    from ..methods.gradients import IntegratedGradients

    removed = chosen_units(ctx, layer, how, k, units)
    x = np.asarray(ctx.data.X[sample], dtype=np.float32)
    twin, lock = COPIES.get(ctx.model, ctx.hash, ctx.hook_lock)
    before = forward_all(ctx.model, x[None])
    if target is None:        # the served model's prediction: both maps explain the same class
        target = 0 if ctx.head.task == "regression" else int(answers(ctx.head, before)[0][0])
    ig_before = IntegratedGradients(ctx.explained).attribute(x, target)
    with lock, pruned(twin, {layer: tuple(removed.tolist())}):
        after = forward_all(twin, x[None])
        ig_after = IntegratedGradients(explained(twin, ctx.head)).attribute(x, target)
    pred_b, scores_b = answers(ctx.head, before)
    pred_a, scores_a = answers(ctx.head, after)
    return PruningSample(sample, target, ctx.head.task, scores_b[0], scores_a[0], float(pred_b[0]), float(pred_a[0]),
                         ig_before, ig_after, removed, params={"layer": layer, "how": how, "k": k, "units": list(units)})


register("pruning", pruning, title="Pruning what-if", params=normalise)
register("pruning_sample", pruning_sample, title="Pruning what-if: one sample", params=normalise_sample)


def pruning_layers(ctx) -> tuple:
    """The layers the what-if can prune (pruning.PrunableLayer: name, type, units)."""
    return tuple(prunable_layers(ctx.model))


register("pruning_layers", pruning_layers, title="Prunable layers")

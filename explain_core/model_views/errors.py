"""Errors and bias: where the model fails, how sure it is when it does, and how much
better it fits its training data than held-out data (issue 9, view 1).

Everything comes from the shared held-out pass (ctx.held_out()) and the training pass
(ctx.held_out(train=True), up to 2,000 training rows): no forward of its own.
Classification: confusion matrix, per-class precision/recall/F1, train vs held-out
accuracy and loss, reliability diagram and ECE, the most confident mistakes, accuracy by
feature slice (tables). Regression: MAE/RMSE/R² train vs held-out, residuals, the largest
errors, mean absolute error by feature slice.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ParameterError
from ..methods.base import check_param
from . import error_stats as st
from .registry import register

MISTAKES = 24
SLICE_BINS = 5


@dataclass(frozen=True)
class Fit:
    """How well the model does on one split: accuracy and mean loss (cross-entropy of the
    true class, or squared error); for regression also MAE, RMSE and R²."""
    split: str                  # 'training' or 'held-out'
    n: int                      # rows scored
    n_total: int                # rows in the split (more than n when a sample was scored)
    accuracy: float
    loss: float
    mae: float = float("nan")
    rmse: float = float("nan")
    r2: float = float("nan")


@dataclass(frozen=True)
class Mistakes:
    """The worst held-out rows: most confident wrong predictions (score = the confidence)
    or largest absolute errors (score = |predicted − true|), worst first."""
    ids: np.ndarray
    true: np.ndarray
    predicted: np.ndarray
    score: np.ndarray
    X: np.ndarray               # their inputs (thumbnails, table rows)


@dataclass(frozen=True)
class Slices:
    """A score (accuracy, or mean absolute error) over quantile bins of one feature of the
    held-out rows; `spreads` has every feature's largest-minus-smallest slice score."""
    feature: int
    name: str
    metric: str                 # 'accuracy' or 'mean absolute error'
    edges: np.ndarray           # (bins + 1,) in the feature's raw units
    score: np.ndarray           # (bins,)
    counts: np.ndarray          # (bins,)
    spreads: np.ndarray         # (features,)
    picked: bool                # False: the feature whose slices differ most, chosen for the user


@dataclass(frozen=True)
class ClassificationErrors:
    model_id: str
    kind: str
    class_names: tuple
    feature_names: tuple
    confusion: np.ndarray       # (k, k) held-out counts, row = true class
    precision: np.ndarray
    recall: np.ndarray
    f1: np.ndarray
    support: np.ndarray
    train: Fit
    held_out: Fit
    gap: str
    edges: np.ndarray           # reliability diagram: (bins + 1,) confidence edges
    bin_confidence: np.ndarray  # mean top-class probability per bin (NaN: empty)
    bin_accuracy: np.ndarray
    bin_counts: np.ndarray
    ece: float
    mistakes: Mistakes
    n_wrong: int
    slices: Slices | None
    task: str = "classification"

    @property
    def normalised(self) -> np.ndarray:
        return st.row_normalised(self.confusion)


@dataclass(frozen=True)
class RegressionErrors:
    model_id: str
    kind: str
    target: str
    feature_names: tuple
    train: Fit
    held_out: Fit
    gap: str
    ids: np.ndarray             # held-out rows
    true: np.ndarray
    predicted: np.ndarray
    train_true: np.ndarray      # the training rows scored
    train_predicted: np.ndarray
    largest: Mistakes
    slices: Slices | None
    task: str = "regression"

    @property
    def residuals(self) -> np.ndarray:
        return self.predicted - self.true


# ------------------------------------------------------------------------------ compute
def errors(ctx, feature: int | None = None, bins: int = SLICE_BINS):
    test, train = ctx.held_out(), ctx.held_out(train=True)
    if ctx.head.task == "regression":
        return _regression(ctx, test, train, feature, bins)
    return _classification(ctx, test, train, feature, bins)


def _fit(split: str, p, n_total: int) -> Fit:
    acc = float(np.mean(p.predictions == p.labels)) if len(p.ids) else float("nan")
    return Fit(split, len(p.ids), n_total, acc, float(np.mean(p.loss)) if len(p.ids) else float("nan"))


def _classification(ctx, test, train, feature, bins) -> ClassificationErrors:
    k = len(ctx.data.class_names)
    labels, pred = test.labels.astype(np.int64), test.predictions.astype(np.int64)
    cm = st.confusion(labels, pred, k)
    precision, recall, f1, support = st.per_class(cm)
    fit_train = _fit("training", train, len(ctx.data.train_idx))
    fit_test = _fit("held-out", test, len(ctx.data.test_idx))
    confidence = test.probabilities.max(axis=1).astype(np.float64)
    correct = pred == labels
    edges, bin_conf, bin_acc, counts, ece = st.reliability(confidence, correct)
    wrong = np.flatnonzero(~correct)
    worst = wrong[np.argsort(-confidence[wrong], kind="stable")][:MISTAKES]
    mistakes = Mistakes(test.ids[worst], labels[worst], pred[worst], confidence[worst], ctx.data.X[test.ids[worst]])
    slices = _slices(ctx, test, correct.astype(np.float64), "accuracy", feature, bins, worst_is_low=True)
    return ClassificationErrors(
        ctx.model_id, ctx.data.kind, tuple(ctx.data.class_names), tuple(ctx.data.feature_names), cm, precision,
        recall, f1, support, fit_train, fit_test, st.accuracy_gap(fit_train.accuracy, fit_test.accuracy), edges,
        bin_conf, bin_acc, counts, ece, mistakes, int(len(wrong)), slices)


def _regression_fit(split: str, p, n_total: int) -> Fit:
    mae, rmse, r2 = st.regression_scores(p.labels, p.predictions)
    return Fit(split, len(p.ids), n_total, float("nan"), float(np.mean(p.loss)) if len(p.ids) else float("nan"),
               mae, rmse, r2)


def _regression(ctx, test, train, feature, bins) -> RegressionErrors:
    true, pred = test.labels.astype(np.float64), test.predictions.astype(np.float64)
    fit_train = _regression_fit("training", train, len(ctx.data.train_idx))
    fit_test = _regression_fit("held-out", test, len(ctx.data.test_idx))
    error = np.abs(pred - true)
    worst = np.argsort(-error, kind="stable")[:MISTAKES]
    largest = Mistakes(test.ids[worst], true[worst], pred[worst], error[worst], ctx.data.X[test.ids[worst]])
    slices = _slices(ctx, test, error, "mean absolute error", feature, bins, worst_is_low=False)
    return RegressionErrors(
        ctx.model_id, ctx.data.kind, str(ctx.data.class_names[0]) if ctx.data.class_names else "value",
        tuple(ctx.data.feature_names), fit_train, fit_test, st.error_gap(fit_train.rmse, fit_test.rmse),
        np.asarray(test.ids), true, pred, train.labels.astype(np.float64), train.predictions.astype(np.float64),
        largest, slices)


def _slices(ctx, test, scores, metric, feature, bins, worst_is_low: bool) -> Slices | None:
    """Slices of the chosen feature; without one, of the feature whose slices differ most."""
    if ctx.data.kind != "tabular" or not len(test.ids):
        return None
    X = np.asarray(test.X, dtype=np.float64).reshape(len(test.ids), -1)
    per = [st.slice_scores(X[:, j], scores, bins) for j in range(X.shape[1])]
    spreads = np.array([st.spread(means, counts) for _, means, counts in per])
    j = int(np.argmax(spreads)) if feature is None else feature
    edges, means, counts = per[j]
    names = ctx.data.feature_names
    return Slices(j, str(names[j]) if j < len(names) else f"feature {j}", metric, edges, means, counts, spreads,
                  feature is not None)


# ------------------------------------------------------------------------------ params
def params(raw: dict, ctx) -> dict:
    """feature: a column's name or number (tables only; default: the one whose slices
    differ most); bins: quantile bins per feature, 2–10."""
    unknown = set(raw) - {"feature", "bins"}
    if unknown:
        raise ParameterError(f"Errors and bias takes feature and bins, not {', '.join(sorted(map(str, unknown)))}")
    feature, bins = raw.get("feature"), raw.get("bins")
    if ctx.data.kind != "tabular":
        if feature is not None or bins is not None:
            raise ParameterError("Feature slices are for tabular models; this model's inputs are images")
        return {}
    out = {"bins": SLICE_BINS if bins is None else check_param("bins", bins, 2, 10, int)}
    if feature is not None:
        out["feature"] = feature_index(ctx.data.feature_names, ctx.data.input_shape, feature)
    return out


def feature_index(names, input_shape, feature) -> int:
    n = int(np.prod(input_shape))
    if isinstance(feature, str) and feature in names:
        return list(names).index(feature)
    if isinstance(feature, str):
        raise ParameterError(f"Unknown feature {feature[:80]!r}; this model's features are "
                             f"{', '.join(map(str, names[:8]))}{' …' if len(names) > 8 else ''}")
    return check_param("feature", feature, 0, n - 1, int)


register("errors", errors, title="Errors & bias", params=params)

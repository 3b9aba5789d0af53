"""The numbers behind the errors-and-bias view, as plain functions of arrays.

Each one computes what a scikit-learn function does (the tests hold them to it) in one
numpy pass, without its input checks: confusion_matrix, precision_recall_fscore_support
(zero_division=0), calibration_curve (uniform bins), pandas' qcut; plus the expected
calibration error and the train-vs-held-out sentence.
"""
from __future__ import annotations

import numpy as np

CALIBRATION_BINS = 10
MIN_SLICE = 5          # a slice's score counts towards a feature's spread from this many rows


def confusion(labels, predictions, n_classes: int) -> np.ndarray:
    """(k, k) counts: row = true class, column = predicted class."""
    t = np.asarray(labels, dtype=np.int64)
    p = np.asarray(predictions, dtype=np.int64)
    return np.bincount(t * n_classes + p, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def row_normalised(matrix: np.ndarray) -> np.ndarray:
    """Each row divided by its total (a recall per cell); rows without samples stay 0."""
    m = np.asarray(matrix, dtype=np.float64)
    totals = m.sum(axis=1, keepdims=True)
    return np.divide(m, totals, out=np.zeros_like(m), where=totals > 0)


def per_class(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(precision, recall, F1, support) per class from a confusion matrix; 0 where undefined."""
    m = np.asarray(matrix, dtype=np.float64)
    tp = np.diag(m)
    predicted, support = m.sum(axis=0), m.sum(axis=1)

    def ratio(a, b):
        return np.divide(a, b, out=np.zeros_like(a), where=b > 0)
    f1 = ratio(2 * tp, predicted + support)        # 2tp / (2tp + fp + fn)
    return ratio(tp, predicted), ratio(tp, support), f1, support.astype(np.int64)


def reliability(confidence, correct, n_bins: int = CALIBRATION_BINS):
    """(edges, mean confidence, accuracy, counts, ECE) over uniform confidence bins (lo, hi]
    (the first bin holds 0): scikit-learn's calibration_curve binning. Empty bins have NaN
    means and a count of 0. ECE = Σ (n_b / n) · |accuracy_b − confidence_b|."""
    conf = np.asarray(confidence, dtype=np.float64)
    hit = np.asarray(correct, dtype=np.float64)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    which = np.searchsorted(edges[1:-1], conf)
    counts = np.bincount(which, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_conf = np.bincount(which, weights=conf, minlength=n_bins) / counts
        accuracy = np.bincount(which, weights=hit, minlength=n_bins) / counts
    full = counts > 0
    ece = float(np.sum(counts[full] / max(len(conf), 1) * np.abs(accuracy[full] - mean_conf[full])))
    return edges, mean_conf, accuracy, counts.astype(np.int64), ece


def quantile_bins(values, n_bins: int) -> tuple[np.ndarray, np.ndarray]:
    """(edges, bin per value): quantile edges with duplicates dropped (a feature of few
    values has fewer bins), bins (lo, hi] with the lowest value in the first: pandas'
    qcut(values, n_bins, duplicates='drop')."""
    v = np.asarray(values, dtype=np.float64)
    edges = np.unique(np.quantile(v, np.linspace(0.0, 1.0, n_bins + 1)))
    if len(edges) < 2:                      # a constant feature: one bin
        return np.array([edges[0], edges[0]]), np.zeros(len(v), np.int64)
    return edges, np.searchsorted(edges[1:-1], v, side="left").astype(np.int64)


def slice_scores(values, scores, n_bins: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(edges, mean score per bin, count per bin) of per-row scores (1/0 for right/wrong,
    or absolute errors) over a feature's quantile bins."""
    edges, which = quantile_bins(values, n_bins)
    k = len(edges) - 1
    counts = np.bincount(which, minlength=k)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.bincount(which, weights=np.asarray(scores, dtype=np.float64), minlength=k) / counts
    return edges, means, counts.astype(np.int64)


def spread(means, counts) -> float:
    """Largest minus smallest slice score among slices of at least MIN_SLICE rows (0 if < 2)."""
    ok = (np.asarray(counts) >= MIN_SLICE) & np.isfinite(means)
    return float(np.ptp(np.asarray(means)[ok])) if ok.sum() >= 2 else 0.0


def regression_scores(true, predicted) -> tuple[float, float, float]:
    """(MAE, RMSE, R²); R² is NaN below two rows or for a constant target."""
    t = np.asarray(true, dtype=np.float64)
    e = np.asarray(predicted, dtype=np.float64) - t
    if not len(t):
        return float("nan"), float("nan"), float("nan")
    ss_tot = float(np.sum((t - t.mean()) ** 2))
    r2 = 1.0 - float(np.sum(e ** 2)) / ss_tot if len(t) >= 2 and ss_tot > 0 else float("nan")
    return float(np.mean(np.abs(e))), float(np.sqrt(np.mean(e ** 2))), r2


def accuracy_gap(train: float, held_out: float) -> str:
    """'fits training data 8.1 points better than held-out (accuracy 98.3% vs 90.2%)'."""
    points = round(100 * (train - held_out), 1)
    both = f"(accuracy {100 * train:.1f}% on training data, {100 * held_out:.1f}% held-out)"
    if not np.isfinite(points):
        return "No accuracy to compare: one of the splits is empty."
    if points == 0:
        return f"Fits training and held-out data equally well {both}."
    if points > 0:
        return f"Fits training data {points:.1f} points better than held-out {both}."
    return f"Does {-points:.1f} points better on held-out data than on training data {both}."


def error_gap(train_rmse: float, held_rmse: float) -> str:
    """The regression sentence: 'Fits training data better than held-out (RMSE … : 14% larger held-out).'"""
    both = f"RMSE {train_rmse:.4g} on training data, {held_rmse:.4g} held-out"
    if not (np.isfinite(train_rmse) and np.isfinite(held_rmse)):
        return "No errors to compare: one of the splits is empty."
    if train_rmse <= 0:
        return f"Fits training data exactly ({both})."
    ratio = 100 * (held_rmse - train_rmse) / train_rmse
    if round(ratio) == 0:
        return f"Fits training and held-out data about equally well ({both})."
    if ratio > 0:
        return f"Fits training data better than held-out ({both}: {ratio:.0f}% larger held-out)."
    return f"Does better on held-out data than on training data ({both}: {-ratio:.0f}% smaller held-out)."

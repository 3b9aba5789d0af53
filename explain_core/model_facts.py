"""What the model card says about a model beyond its accuracy, from one batched pass over
its held-out rows: R² and MAE for regression, and, where the data's informative features
are known (the synthetic tables), how often integrated gradients rank them on top.

The sample table (service.samples) is a table of answers: `scores` turns a model's raw
outputs into it through the model's head, for classifiers and regressors alike.
"""
from __future__ import annotations

import numpy as np
import torch

from .models.heads import Head

TOP_K, AT_LEAST = 5, 4      # the seed's question: do the top 5 attributions hold >= 4 informative features?


def answers(head: Head, outputs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(predictions (n,), probabilities (n, classes)) from raw outputs. For regression the
    predictions are the predicted values and 'probabilities' holds them as one column."""
    scores = head.scores(torch.as_tensor(np.asarray(outputs, dtype=np.float32))).numpy()
    if head.task == "regression":
        values = scores[:, 0].astype(np.float32)
        return values, values[:, None].copy()
    probs = head.probabilities(scores)
    return probs.argmax(1), probs


def regression_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[float, float]:
    """(R², MAE) with scikit-learn's metrics; NaN where fewer than two rows."""
    from sklearn.metrics import mean_absolute_error, r2_score

    if len(y_true) < 2:
        return float("nan"), float("nan")
    return float(r2_score(y_true, y_pred)), float(mean_absolute_error(y_true, y_pred))


def informative_share(explained_model, X: np.ndarray, informative, top: int = TOP_K,
                      at_least: int = AT_LEAST, n_steps: int = 50) -> float:
    """Share of rows X whose `top` largest |integrated gradients| (zero baseline, the
    predicted class, or the value) hold at least `at_least` of the `informative` columns."""
    from .methods.gradients import IntegratedGradients

    if len(X) == 0:
        return float("nan")
    maps = IntegratedGradients(explained_model, n_steps=n_steps).attribute_batch(X)
    ranked = np.argsort(-np.abs(maps.reshape(len(X), -1)), axis=1, kind="stable")[:, :top]
    hits = np.isin(ranked, np.asarray(informative)).sum(axis=1)
    return float(np.mean(hits >= at_least))

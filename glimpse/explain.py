"""glimpse.explain: one explanation of one input, without a page or a cache."""
from __future__ import annotations

import dataclasses

import numpy as np

from explain_core.data.arrays import as_samples, from_arrays, kind_of
from explain_core.errors import DataError
from explain_core.methods.base import check_target
from explain_core.methods.registry import RUNNERS, method_spec, normalise_params
from explain_core.models.heads import HeadView
from explain_core.models.inprocess import infer_head, infer_task, outputs

from .inputs import to_numpy


def explain(model, x, method: str = "integrated_gradients", target: int | None = None, data=None,
            task: str | None = None, **params):
    """Explain `model`'s output for one input `x` with `method`; returns the engine's frozen
    result (explain_core.methods.base.Attribution for the attribution methods, Activations,
    Weights, or a TreeExplanation), numpy arrays in the input's shape.

    model:  any torch.nn.Module (put in eval mode) returning (batch, outputs).
    x:      one input: a numpy array, torch tensor, pandas Series (a row) or one-row DataFrame;
            a leading batch axis of 1 is dropped.
    target: the output to explain (default: the largest, the predicted class). A model with
            one output has one target, 0: the output itself, which for a binary classifier
            explains "towards the positive class" (LIME: its probability, sigmoid(output)
            for a logit) and for a regression the predicted value.
    task:   'classification' or 'regression', for a model with one output (default:
            classification, one logit or one probability for two classes).
    data:   training rows for LIME's statistics, the "mean" baseline and the distilled tree
            (default: x alone; the tree needs data).
    params: the method's settings (n_steps=, baseline=, window=, n_samples=, …; see
            explain_core.methods.registry.METHODS).
    """
    spec = method_spec(method)
    x, names = to_numpy(x, "x")
    rows = None
    if data is not None:
        rows, data_names = to_numpy(data, "data")
        rows, names = as_samples(rows, "data"), names or data_names
    x = as_samples(one_sample(x, None if rows is None else rows.shape[1:])[None], "x")[0]
    out = outputs(model, x[None] if rows is None else np.concatenate([x[None], rows]))
    width = out.shape[1]
    head = infer_head(out, infer_task(width, None, task))
    classes = (("value",) if head.task == "regression" else ("negative", "positive")) if width == 1 else \
        tuple(str(k) for k in range(width))
    labels_unused = np.zeros(1 if rows is None else len(rows), np.int64)
    d = from_arrays("data", x[None], labels_unused[:1], classes, X_train=rows,
                    y_train=None if rows is None else labels_unused, feature_names=names, task=head.task)
    params = normalise_params(method, params, d.kind, model, d.input_shape)
    if spec.needs_target:
        target = int(np.argmax(out[0])) if target is None else check_target(target, width)
    view = HeadView(model, head) if width == 1 else model     # one output: scores per class (models/heads.py)
    if method == "tree":
        return _tree(view, d, x, params, rows is not None, head.task)
    if width == 1 and head.binary and spec.needs_target:     # output 0 is the positive class's score
        return dataclasses.replace(RUNNERS[method](view, d, x, 1, params), target=0)
    return RUNNERS[method](view, d, x, target, params)


def one_sample(x: np.ndarray, shape: tuple[int, ...] | None = None) -> np.ndarray:
    """x as one sample: of `shape` (the data rows') when given; without it a 1-D row or a
    C×H×W image, a leading batch axis of 1 dropped."""
    if shape is not None:
        if x.shape == shape or x.shape == (1, *shape):
            return x.reshape(shape)
        raise DataError(f"x has shape {x.shape}, but the data rows have shape {shape}: give one sample of that shape.")
    if x.ndim in (2, 4) and x.shape[0] == 1:
        x = x[0]
    kind_of(x.shape)
    return x


def _tree(model, d, x, params, have_data: bool, task: str):
    from explain_core.methods.tree import DistilledTree

    if not have_data:
        raise DataError("The distilled tree needs data=: the rows to fit it on (the model's training inputs).")
    out = outputs(model, d.X_train)
    preds = out[:, 0] if task == "regression" else out.argmax(1)   # scored against the network itself
    tree = DistilledTree(max_depth=params["max_depth"], seed=0, feature_names=d.feature_names,
                         class_names=d.class_names, task=task).fit(model, d.X_train, d.X_train, preds)
    return tree.explain(x)

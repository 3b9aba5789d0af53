"""glimpse.explain: one explanation of one input, without a page or a cache."""
from __future__ import annotations

import numpy as np

from explain_core.data.arrays import as_samples, from_arrays, kind_of
from explain_core.errors import DataError, UnsupportedError
from explain_core.methods.base import check_target
from explain_core.methods.registry import RUNNERS, method_spec, normalise_params
from explain_core.models.inprocess import outputs

from .inputs import to_numpy

PROBABILITY_METHODS = ("lime", "tree")   # explain class probabilities: need two or more outputs


def explain(model, x, method: str = "integrated_gradients", target: int | None = None, data=None, **params):
    """Explain `model`'s output for one input `x` with `method`; returns the engine's frozen
    result (explain_core.methods.base.Attribution for the attribution methods, Activations,
    Weights, or a TreeExplanation), numpy arrays in the input's shape.

    model:  any torch.nn.Module (put in eval mode) returning (batch, outputs).
    x:      one input: a numpy array, torch tensor, pandas Series (a row) or one-row DataFrame;
            a leading batch axis of 1 is dropped.
    target: the output to explain (default: the largest, the predicted class).
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
    out = outputs(model, x[None])[0]
    width = len(out)
    if method in PROBABILITY_METHODS and width < 2:
        raise UnsupportedError(f"{spec.title} explains class probabilities; this model has a single output. "
                               "Use a gradient method or occlusion.")
    classes = tuple(str(k) for k in range(width))
    labels_unused = np.zeros(1 if rows is None else len(rows), np.int64)
    d = from_arrays("data", x[None], labels_unused[:1], classes, X_train=rows,
                    y_train=None if rows is None else labels_unused, feature_names=names)
    params = normalise_params(method, params, d.kind, model, d.input_shape)
    if spec.needs_target:
        target = int(np.argmax(out)) if target is None else check_target(target, width)
    if method == "tree":
        return _tree(model, d, x, params, rows is not None)
    return RUNNERS[method](model, d, x, target, params)


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


def _tree(model, d, x, params, have_data: bool):
    from explain_core.methods.tree import DistilledTree

    if not have_data:
        raise DataError("The distilled tree needs data=: the rows to fit it on (the model's training inputs).")
    preds = outputs(model, d.X_train).argmax(1)
    tree = DistilledTree(max_depth=params["max_depth"], seed=0, feature_names=d.feature_names,
                         class_names=d.class_names).fit(model, d.X_train, d.X_train, preds)
    return tree.explain(x)

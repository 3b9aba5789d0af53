"""A method's maps for many inputs at once: batched across inputs for the gradient
methods, one input at a time through the registry's runner for the others."""
from __future__ import annotations

import numpy as np

from ..methods.registry import RUNNERS, _baseline

BATCHED = ("saliency", "gradient_x_input", "integrated_gradients", "smoothgrad")


def batch_explainer(module, method: str, params: dict, data):
    """The method's object with an attribute_batch(X, targets) for the batched methods, or None."""
    from ..methods import gradients as g

    if method == "saliency":
        return g.Saliency(module, abs=params["abs"])
    if method == "gradient_x_input":
        return g.GradientXInput(module)
    if method == "integrated_gradients" and params["n_steps"] == "auto":
        from ..methods.auto_ig import AutoIntegratedGradients
        return AutoIntegratedGradients(module, baseline=_baseline(data, params["baseline"]))
    if method == "integrated_gradients":
        return g.IntegratedGradients(module, n_steps=params["n_steps"], rule=params["rule"],
                                     baseline=_baseline(data, params["baseline"]))
    if method == "smoothgrad":
        return g.SmoothGrad(module, n_samples=params["n_samples"], noise_level=params["noise_level"],
                            abs=params["abs"], seed=params["seed"], noise_scale=params.get("noise_scale", "sample"))
    return None


def explain_many(module, data, method: str, params: dict, X: np.ndarray, target: int,
                 runner=None) -> np.ndarray:
    """(n, *shape) maps of `method` for the rows of X, each explaining `target`. runner:
    a map function (module, data, x, target, params) -> Attribution for methods outside
    the registry (the tests' 'input itself')."""
    X = np.asarray(X, dtype=np.float32)
    batched = batch_explainer(module, method, params, data) if runner is None else None
    if batched is not None:
        return np.asarray(batched.attribute_batch(X, np.full(len(X), target)), dtype=np.float32)
    run = runner or RUNNERS[method]
    return np.stack([np.asarray(run(module, data, x, target, params).attribution, dtype=np.float32) for x in X])

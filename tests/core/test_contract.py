"""Every method, one contract: shape, determinism with a seed, no hooks left, clear errors."""
from __future__ import annotations

import numpy as np
import pytest

from explain_core import ParameterError, TargetError, UnknownIdError
from explain_core.methods.attention import AttentionMaps
from explain_core.methods.base import Activations, Attribution, Weights, has_hooks
from explain_core.methods.registry import ATTENTION_METHODS, METHODS, RUNNERS, normalise_params

MODELS = ("mnist-cnn", "mnist-mlp", "breast-cancer-mlp", "mnist-vit")
CASES = [(m, name) for m in MODELS for name in METHODS]
FAST = {"integrated_gradients": {"n_steps": 16}, "smoothgrad": {"n_samples": 8},
        "lime": {"n_samples": 200}}


def _run(service, model_id, method, sample_id, target=None):
    """Run a method directly (no cache) the way the service does."""
    tm = service._model(model_id)
    params = normalise_params(method, FAST.get(method, {}), tm.data.kind, tm.module)
    if method == "tree":
        return service._tree(tm, params["max_depth"]).explain(tm.data.X[sample_id])
    if METHODS[method].needs_target:
        target = service._target(tm, sample_id, target)
    return RUNNERS[method](tm.module, tm.data, tm.data.X[sample_id], target, params)


def _arrays(result) -> list[np.ndarray]:
    if isinstance(result, Attribution):
        return [result.attribution]
    if isinstance(result, Activations):
        return [la.values for la in result.layers]
    if isinstance(result, Weights):
        return [lw.weights for lw in result.layers]
    if isinstance(result, AttentionMaps):
        return [result.weights]
    return [np.asarray(result.path), np.asarray(result.value)]


@pytest.mark.parametrize("model_id,method", CASES)
def test_method_contract(service, model_id, method):
    info = service.model_info(model_id)
    if method == "gradcam" and not info.conv_layers:
        with pytest.raises(ParameterError, match="Grad-CAM needs"):
            service.explain(model_id, 0, method)
        return
    if method in ATTENTION_METHODS and model_id != "mnist-vit":
        with pytest.raises(ParameterError, match="no attention layers"):
            service.explain(model_id, 0, method)
        return
    model = service.torch_model(model_id)
    sample_id = int(service.dataset_for(model_id).test_idx[3])
    first = _run(service, model_id, method, sample_id)
    second = _run(service, model_id, method, sample_id)
    assert not has_hooks(model), f"{method} left a hook on {model_id}"
    for a, b in zip(_arrays(first), _arrays(second), strict=True):
        np.testing.assert_array_equal(a, b)  # seeded and deterministic
        assert np.isfinite(a).all()
        assert not a.flags.writeable, "results are frozen"
    if isinstance(first, Attribution):
        assert first.attribution.shape == info.input_shape
        assert first.inputs.shape == info.input_shape
        assert first.target == service.sample(model_id, sample_id).prediction
        assert np.abs(first.attribution).sum() > 0
        other = (first.target + 1) % len(info.class_names)
        assert _run(service, model_id, method, sample_id, target=other).target == other
        with pytest.raises(TargetError):
            _run(service, model_id, method, sample_id, target=len(info.class_names))
        assert not has_hooks(model)
    if isinstance(first, Activations):
        assert [la.name for la in first.layers] == [n for n, _ in info.layers]


@pytest.mark.parametrize("method", list(METHODS))
def test_unknown_model_and_sample_are_clear_errors(service, method):
    with pytest.raises(UnknownIdError, match="Unknown model"):
        service.explain("no-such-model", 0, method)
    with pytest.raises(UnknownIdError, match="Unknown sample"):
        service.explain("mnist-vit" if method in ATTENTION_METHODS else "mnist-cnn", -1, method)

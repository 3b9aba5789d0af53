"""glimpse.explain on models not from the zoo: every method gives the input's shape, the
gradient methods agree with Captum (rtol 1e-4), IG's completeness holds, and what a user
can get wrong is a clear message."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import torch

import glimpse
from explain_core.errors import DataError, ModelError, ParameterError, TargetError, UnknownIdError, UnsupportedError
from explain_core.methods.base import has_hooks
from tests.api.captum_checks import gradients_agree_with_captum
from tests.api.models import MakesNaN, Raises, digits, functional_mlp, resnetish, rows

ATTRIBUTIONS = ("saliency", "gradient_x_input", "integrated_gradients", "smoothgrad", "occlusion", "lime")


@pytest.fixture(autouse=True)
def _quiet_captum():
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Input Tensor .* did not already require gradients")
        yield


CASES = {
    "resnetish": (resnetish, digits),
    "functional-mlp": (functional_mlp, rows),
}


@pytest.fixture(params=list(CASES))
def case(request):
    make_model, make_data = CASES[request.param]
    model, X = make_model(), make_data()
    return request.param, model, X


def test_every_method_gives_the_inputs_shape(case):
    name, model, X = case
    methods = ATTRIBUTIONS + (("gradcam",) if name == "resnetish" else ())
    for method in methods:
        r = glimpse.explain(model, X[3], method=method, data=X)
        assert r.attribution.shape == tuple(X.shape[1:]), method
        assert np.isfinite(r.attribution).all() and np.abs(r.attribution).sum() > 0, method
        assert r.method == method
    assert not has_hooks(model)


def test_gradient_methods_agree_with_captum(case):
    _, model, X = case
    for i in range(3):
        gradients_agree_with_captum(model, X[i:i + 1], 3)


def test_integrated_gradients_completeness(case):
    _, model, X = case
    x = X[5]
    r = glimpse.explain(model, x, n_steps=200)
    with torch.no_grad():
        diff = float(model(x[None])[0, r.target] - model(torch.zeros_like(x)[None])[0, r.target])
    assert abs(diff) > 1e-3
    assert float(r.attribution.sum()) == pytest.approx(diff, rel=1e-3, abs=1e-4)
    assert r.relative_delta < 1e-2


def test_inputs_as_numpy_tensor_pandas_give_one_result():
    model, X = functional_mlp(), rows()
    frame = pd.DataFrame(X.numpy(), columns=[f"f{j}" for j in range(6)])
    results = [glimpse.explain(model, x, method="saliency") for x in
               (X[2], X[2].numpy(), X[2:3], frame.iloc[2], frame.iloc[2:3], X[2].tolist())]
    for r in results[1:]:
        np.testing.assert_array_equal(r.attribution, results[0].attribution)
    lime = glimpse.explain(model, frame.iloc[2], method="lime", data=frame, n_samples=200)
    assert list(lime.extras["feature_names"]) == list(frame.columns)


def test_data_sets_the_mean_baseline():
    model, X = functional_mlp(), rows()
    zero = glimpse.explain(model, X[0], data=X)
    mean = glimpse.explain(model, X[0], data=X, baseline="mean")
    assert not np.allclose(zero.attribution, mean.attribution)
    with torch.no_grad():
        diff = float(model(X[:1])[0, mean.target] - model(X.mean(0, keepdim=True))[0, mean.target])
    assert float(mean.attribution.sum()) == pytest.approx(diff, rel=2e-3, abs=1e-4)


def test_layer_views_and_tree():
    model, X = resnetish(), digits()
    acts = glimpse.explain(model, X[0], method="activations")
    assert {la.name for la in acts.layers} >= {"stem.0", "block.0", "head.2"}
    assert glimpse.explain(model, X[0], method="gradcam", layer="block.3").attribution.shape == (1, 28, 28)
    tree = glimpse.explain(model, X[0], method="tree", data=X, max_depth=2)
    assert 0 <= tree.fidelity <= 1 and tree.rules


def test_single_output_models_get_every_method():
    """Target 0 is the output itself (towards the positive class); LIME fits sigmoid(output)
    of a logit, the output itself for a regression; the tree classifies or regresses."""
    model = torch.nn.Sequential(torch.nn.Linear(6, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1)).eval()
    x, X = rows()[0], rows()
    r = glimpse.explain(model, x, method="integrated_gradients", n_steps=50)
    with torch.no_grad():
        z = float(model(x[None]))
        diff = z - float(model(torch.zeros(1, 6)))
    assert r.target == 0 and float(r.attribution.sum()) == pytest.approx(diff, rel=1e-3, abs=1e-5)
    lime = glimpse.explain(model, x, method="lime", data=X)
    assert lime.target == 0 and lime.extras["prediction_model"] == pytest.approx(1 / (1 + np.exp(-z)), rel=1e-5)
    value = glimpse.explain(model, x, method="lime", data=X, task="regression")
    assert value.extras["prediction_model"] == pytest.approx(z, rel=1e-5)
    tree = glimpse.explain(model, x, method="tree", data=X, task="regression", max_depth=2)
    assert tree.task == "regression" and tree.network_prediction == pytest.approx(z, rel=1e-5)
    binary = glimpse.explain(model, x, method="tree", data=X, max_depth=2)
    assert binary.class_names == ("negative", "positive") and binary.network_prediction == int(z > 0)
    with pytest.raises(TargetError, match="one output, target 0"):
        glimpse.explain(model, x, target=1)


@pytest.mark.parametrize("call,error,words", [
    (lambda: glimpse.explain(resnetish(), torch.rand(3, 28, 28)), ModelError, "shape (3, 28, 28)"),
    (lambda: glimpse.explain(functional_mlp(), torch.rand(5)), ModelError, "fails on a batch"),
    (lambda: glimpse.explain(Raises(), rows()[0]), ModelError, "boom in forward"),
    (lambda: glimpse.explain(MakesNaN(), rows()[0]), ModelError, "NaN"),
    (lambda: glimpse.explain(functional_mlp(), rows()[0], target=3), TargetError, "3 classes"),
    (lambda: glimpse.explain(functional_mlp(), rows()[0], method="shap"), UnknownIdError, "Unknown method"),
    (lambda: glimpse.explain(functional_mlp(), rows()[0], n_steps=0), ParameterError, "n_steps"),
    (lambda: glimpse.explain(functional_mlp(), rows()[0], steps=10), ParameterError, "Unknown parameter"),
    (lambda: glimpse.explain(functional_mlp(), rows()[0], method="tree"), DataError, "data="),
    (lambda: glimpse.explain(functional_mlp(), [1, 2, float("nan"), 4, 5, 6]), DataError, "NaN"),
    (lambda: glimpse.explain(functional_mlp(), ["a", "b"]), DataError, "numbers"),
    (lambda: glimpse.explain(functional_mlp(), torch.rand(2, 3, 4, 5, 6)), UnsupportedError, "not supported"),
    (lambda: glimpse.explain(functional_mlp(), rows()[0], data=torch.rand(10, 7)), DataError, "data rows"),
    (lambda: glimpse.explain(functional_mlp(), rows()[0], method="gradcam"), ParameterError, "image model"),
    (lambda: glimpse.explain("not a model", rows()[0]), ModelError, "torch.nn.Module"),
])
def test_clear_messages(call, error, words):
    with pytest.raises(error) as e:
        call()
    assert words in str(e.value)
    assert isinstance(e.value, glimpse.GlimpseError)

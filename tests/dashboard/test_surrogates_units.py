"""The KernelSHAP tab, GradientSHAP among the gradient maps and the unit contributions tab,
as plain render functions: what the page draws, checked against the model itself."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from dashboard import ids
from dashboard.tabs import gradients, shap, units


def _walk(node):
    yield node
    children = getattr(node, "children", None)
    for c in children if isinstance(children, (list, tuple)) else ([children] if children is not None else []):
        yield from _walk(c)


def _find(out, component_id):
    return next(n for n in _walk(out if not isinstance(out, list) else _Root(out))
                if getattr(n, "id", None) == component_id)


class _Root:
    def __init__(self, children):
        self.children = children


def _score(service, model_id, x, target) -> float:
    with torch.no_grad():
        return float(service.explained_model(model_id)(torch.as_tensor(np.array(x, np.float32))[None])[0, target])


@pytest.mark.parametrize("model_id", ["breast-cancer-mlp", "wine-mlp", "diabetes-mlp"])
def test_kernel_shap_waterfall_adds_up_to_the_models_score(service, model_id):
    """The page's waterfall starts at f(training mean) and its steps end at f(x), both
    computed here from the model: additivity to 1e-4 in what the page draws."""
    data = service.dataset_for(model_id)
    i = int(data.test_idx[2])
    out = shap.render(service, model_id, i, ids.PREDICTED, {"n_samples": 400})
    fig = _find(out, "shap-figure").figure
    steps = np.asarray(fig.data[0].x, dtype=np.float64)
    target = service.sample(model_id, i).prediction if model_id != "diabetes-mlp" else 0
    base = _score(service, model_id, data.train_mean, target)
    fx = _score(service, model_id, data.X[i], target)
    assert steps[0] == pytest.approx(base, abs=1e-5)
    assert abs(steps[1:-1].sum() - (fx - base)) <= 1e-4
    text, tech = _find(out, "shap-additivity").children, _find(out, "shap-additivity-tech").children
    assert "holds to 1e-4" in text and "Σφ" not in text and "f(x)" not in text   # plain words first
    shown_fx = float(tech.split("; f(x) = ")[1].split(";")[0])
    assert "Σφ" in tech and shown_fx == pytest.approx(fx, rel=1e-3, abs=1e-4)


def test_kernel_shap_on_the_cnn_patches_add_up(service):
    data = service.dataset_for("mnist-cnn")
    i = int(data.test_idx[0])
    out = shap.render(service, "mnist-cnn", i, 3, {"n_samples": 300, "patch": 7})
    result = service.explain("mnist-cnn", i, "kernel_shap", target=3, n_samples=300, patch=7)
    fx, f0 = _score(service, "mnist-cnn", data.X[i], 3), _score(service, "mnist-cnn", np.zeros_like(data.X[i]), 3)
    assert abs(float(np.sum(result.extras["weights"], dtype=np.float64)) - (fx - f0)) <= 1e-4
    assert result.extras["n_segments"] == 16
    fig = _find(out, "shap-figure").figure
    assert "16 segments" in fig.layout.title.subtitle.text and "KernelSHAP for class 3" in fig.layout.title.text
    assert "holds to 1e-4" in _find(out, "shap-additivity").children


def test_kernel_shap_bad_settings_are_messages(service):
    out = shap.render(service, "wine-mlp", 3, ids.PREDICTED, {"n_samples": 5})
    assert "n_samples must be between 10 and 20000" in str(out.children)
    out = shap.render(service, "wine-mlp", 3, ids.PREDICTED, {"baseline": "median"})
    assert "baseline must be one of" in str(out.children)
    out = shap.render(service, "wine-mlp", 3, ids.PREDICTED, {"patch": 4})    # images only: left out for a table
    assert "holds to 1e-4" in str(out[1].children)


def test_gradient_shap_is_a_gradient_map(service):
    data = service.dataset_for("mnist-cnn")
    i = int(data.test_idx[1])
    out = gradients.render(service, "mnist-cnn", i, ids.PREDICTED, "gradient_shap", {"n_samples": 20, "seed": 3})
    fig = _find(out, "map-a").figure
    assert fig.layout.title.text.startswith("GradientSHAP")
    assert "gradient_shap" in [o["value"] for o in gradients.method_options(service, service.model_info("wine-mlp"))]


def test_unit_bars_add_up_to_the_logit(service):
    data = service.dataset_for("mnist-cnn")
    i = int(data.test_idx[6])
    out = units.render(service, "mnist-cnn", i, ids.PREDICTED)
    fig = _find(out, units.BARS).figure
    bars = np.asarray(fig.data[0].y, dtype=np.float64)
    target = service.sample("mnist-cnn", i).prediction
    assert bars.sum() == pytest.approx(_score(service, "mnist-cnn", data.X[i], target), abs=1e-4)   # units + bias
    assert list(fig.data[0].x[-1:]) == ["bias"]
    first = units.clicked_unit({"points": [{"customdata": fig.data[0].customdata[0]}]})
    r = service.model_view("mnist-cnn", "unit_contributions", sample=i, target=None)
    assert first == units.default_unit(r) == int(np.argmax(r.contributions))
    assert units.clicked_unit({"points": [{"customdata": [-1, None, None]}]}) is None
    assert units.clicked_unit({"points": []}) is None and units.clicked_unit("junk") is None


@pytest.mark.parametrize("model_id", ["mnist-cnn", "wine-mlp"])
def test_top_activating_samples_are_listed_to_open(service, model_id):
    r = service.model_view(model_id, "unit_responses")
    out = units.render_top(service, model_id, 5)
    opened = [n.id["index"] for n in _walk(out) if isinstance(getattr(n, "id", None), dict)
              and n.id.get("type") == ids.UNITS_OPEN]
    assert opened == [int(s) for s in r.top_ids[5]]
    assert "Unit 5" in str(out.children[0].children)
    bad = units.render_top(service, model_id, 10 ** 6)
    assert "unit must be a whole number" in str(bad.children)


def test_units_on_a_model_without_hidden_dense_units_is_a_message(service):
    """Every zoo model ends in nn.Linear; an unknown sample is named."""
    out = units.render(service, "wine-mlp", 10 ** 7, ids.PREDICTED)
    assert "sample must be between" in str(out.children)

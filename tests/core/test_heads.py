"""Single-logit (binary) and regression heads through the engine: every method works, the
gradient methods agree with Captum (rtol 1e-4), IG is complete against f(x) − f(baseline),
LIME fits p(positive) or the predicted value, the tree regresses with R² as sklearn's
r2_score, and the seed case's top-5 attributions find its informative features."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from captum import attr as ca
from sklearn.metrics import r2_score
from torch import nn

import glimpse
from explain_core.methods.base import has_hooks
from explain_core.methods.gradients import GradientXInput, IntegratedGradients, Saliency
from explain_core.methods.occlusion import Occlusion
from explain_core.models.heads import Head, HeadView, binary_output

RTOL = 1e-4
METHODS = ("activations", "weights", "saliency", "gradient_x_input", "integrated_gradients", "smoothgrad",
           "occlusion", "lime", "tree")


@pytest.fixture(autouse=True)
def _quiet_captum():
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Input Tensor .* did not already require gradients")
        yield


def mlp(n_in: int = 6, seed: int = 0, sigmoid: bool = False, smooth: bool = False) -> nn.Module:
    """6 -> 16 -> 8 -> 1 (ReLU, tanh; smooth: tanh only), its output spread over ±a few units."""
    torch.manual_seed(seed)
    layers = [nn.Linear(n_in, 16), nn.Tanh() if smooth else nn.ReLU(), nn.Linear(16, 8), nn.Tanh(), nn.Linear(8, 1)]
    with torch.no_grad():
        layers[-1].weight.mul_(8.0)
    return nn.Sequential(*layers, *([nn.Sigmoid()] if sigmoid else [])).eval()


def table(n: int = 60, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, 6)).astype(np.float32) * 1.5 + 0.5


def close(ours: np.ndarray, ref: torch.Tensor, rtol: float = RTOL) -> None:
    ref = ref.detach().numpy().reshape(ours.shape)
    scale = float(np.abs(ref).max())
    assert scale > 0, "a zero reference map proves nothing"
    np.testing.assert_allclose(ours, ref, rtol=rtol, atol=rtol / 10 * scale)


# ------------------------------------------------------------------- the view and Captum
@pytest.mark.parametrize("output", ["logit", "value"])
def test_gradient_methods_agree_with_captum_on_one_output(output):
    """Positive (class 1) of a single logit and a regression's value are Captum's target 0;
    the negative class is its negation."""
    model, X = mlp(), table(8)
    view = HeadView(model, Head(output))
    pos = 1 if output == "logit" else 0
    for x in torch.as_tensor(X):
        x = x[None]
        close(Saliency(view, abs=False).attribute(x, target=pos).attribution,
              ca.Saliency(model).attribute(x, target=0, abs=False))
        close(GradientXInput(view).attribute(x, target=pos).attribution,
              ca.InputXGradient(model).attribute(x, target=0))
        ours = IntegratedGradients(view, n_steps=50).attribute(x, target=pos)
        ref, delta = ca.IntegratedGradients(model).attribute(x, target=0, n_steps=50, return_convergence_delta=True)
        close(ours.attribution, ref)
        assert ours.delta == pytest.approx(float(delta), abs=1e-4)
        close(Occlusion(view, window=2, stride=1).attribute(x, target=pos).attribution,
              ca.Occlusion(model).attribute(x, target=0, sliding_window_shapes=(2,), strides=(1,)))
        if output == "logit":
            close(IntegratedGradients(view, n_steps=50).attribute(x, target=0).attribution, -ref)
    assert not has_hooks(model)


def test_the_service_explains_a_single_logit_as_captum_does():
    model, X = mlp(seed=1), table()
    svc = glimpse.build_service(model, X, (X[:, 0] > 0.5).astype(int), class_names=["no", "yes"])
    mid = svc.model_ids()[0]
    info = svc.model_info(mid)
    assert (info.task, info.output, info.class_names) == ("classification", "logit", ("no", "yes"))
    x = torch.as_tensor(X[3])[None]
    ref = ca.IntegratedGradients(model).attribute(x, target=0, n_steps=50)
    close(svc.explain(mid, 3, "integrated_gradients", target=1, n_steps=50).attribution, ref)
    close(svc.explain(mid, 3, "integrated_gradients", target=0, n_steps=50).attribution, -ref)
    with torch.no_grad():
        z = model(torch.as_tensor(X))[:, 0].numpy()
    p = 1 / (1 + np.exp(-z))
    t = svc.samples(mid)
    np.testing.assert_allclose(t.probabilities, np.stack([1 - p, p], 1), rtol=1e-5)
    np.testing.assert_array_equal(t.predictions, (z > 0).astype(int))
    default = svc.explain(mid, 3, "saliency")
    assert default.target == int(z[3] > 0)                  # the predicted class
    lime = svc.explain(mid, 3, "lime", target=1)
    assert lime.extras["prediction_model"] == pytest.approx(p[3], rel=1e-5)
    neg = svc.explain(mid, 3, "lime", target=0)
    assert neg.extras["prediction_model"] == pytest.approx(1 - p[3], rel=1e-5)
    np.testing.assert_allclose(neg.attribution, -lime.attribution, rtol=1e-4, atol=1e-7)


def test_a_model_that_applies_its_own_sigmoid_is_read_as_a_probability():
    model, X = mlp(seed=2, sigmoid=True, smooth=True), table()
    with torch.no_grad():
        p = model(torch.as_tensor(X))[:, 0].numpy()
    assert binary_output(p) == "probability" and binary_output(np.array([-0.2, 0.4])) == "logit"
    svc = glimpse.build_service(model, X, (p > 0.5).astype(int))
    mid = svc.model_ids()[0]
    info = svc.model_info(mid)
    assert info.output == "probability" and "1 − p" in info.output_note
    np.testing.assert_allclose(svc.samples(mid).probabilities[:, 1], p, rtol=1e-6)
    assert svc.explain(mid, 5, "lime", target=1).extras["prediction_model"] == pytest.approx(p[5], rel=1e-6)
    ig = svc.explain(mid, 5, "integrated_gradients", target=1, n_steps=50)
    with torch.no_grad():
        diff = float(model(torch.as_tensor(X[5:6])) - model(torch.zeros(1, 6)))
    assert float(ig.attribution.sum()) == pytest.approx(diff, rel=1e-3, abs=1e-6)


# ---------------------------------------------------------------------------- regression
@pytest.mark.parametrize("baseline", ["zero", "mean"])
def test_regression_integrated_gradients_are_complete(baseline):
    """Against f(x) − f(baseline) computed here: to 1e-4 of it for a smooth network (tanh),
    where Gauss–Legendre converges fast."""
    model, X = mlp(seed=3, smooth=True), table()
    y = X @ np.arange(1, 7, dtype=np.float32) + 100.0
    svc = glimpse.build_service(model, X, y, task="regression", class_names=["price"])
    mid = svc.model_ids()[0]
    base = torch.zeros(1, 6) if baseline == "zero" else torch.as_tensor(X.mean(0))[None]
    for i in (0, 7, 21):
        r = svc.explain(mid, i, "integrated_gradients", baseline=baseline, n_steps=50)
        with torch.no_grad():
            diff = float(model(torch.as_tensor(X[i:i + 1])) - model(base))
        assert abs(diff) > 1e-2
        assert r.extras["output_difference"] == pytest.approx(diff, rel=1e-5, abs=1e-6)
        assert float(r.attribution.astype(np.float64).sum()) == pytest.approx(diff, rel=1e-4)
        assert r.delta == pytest.approx(float(r.attribution.astype(np.float64).sum()) - diff, abs=1e-5)


def test_the_diabetes_regression_is_complete_to_its_steps(service):
    """A ReLU network's kinks slow the quadrature: ≤ 0.5% of f(x) − f(mean) at 500 steps
    (median ~0.04%; 2% at the default 50)."""
    d = service.dataset_for("diabetes-mlp")
    model = service.torch_model("diabetes-mlp")
    for i in d.test_idx[:10]:
        r = service.explain("diabetes-mlp", int(i), "integrated_gradients", baseline="mean", n_steps=500)
        with torch.no_grad():
            diff = float(model(torch.as_tensor(d.X[i:i + 1])) - model(torch.as_tensor(d.X_train.mean(0))[None]))
        assert r.extras["output_difference"] == pytest.approx(diff, rel=1e-4)
        assert abs(r.delta) <= 5e-3 * abs(diff)


def test_every_method_explains_a_regression_and_the_sample_table_holds_values():
    model, X = mlp(seed=4), table(80)
    y = (X[:, 0] * 3 + 10).astype(np.float32)
    svc = glimpse.build_service(model, X, y)                  # told from the labels: continuous
    mid = svc.model_ids()[0]
    info = svc.model_info(mid)
    assert (info.task, info.output, info.class_names) == ("regression", "value", ("value",))
    with torch.no_grad():
        out = model(torch.as_tensor(X))[:, 0].numpy()
    t = svc.samples(mid)
    np.testing.assert_allclose(t.predictions, out, rtol=1e-6)
    np.testing.assert_allclose(t.labels, y)
    np.testing.assert_allclose(t.errors, out - y, rtol=1e-5, atol=1e-5)
    assert info.r2 == pytest.approx(r2_score(y, out), rel=1e-5)
    assert info.target_range == (float(y.min()), float(y.max())) and np.isnan(info.accuracy)
    s = svc.sample(mid, 2)
    assert isinstance(s.label, float) and s.prediction == pytest.approx(out[2], rel=1e-6)
    for m in METHODS:
        r = svc.explain(mid, 2, m)
        if m == "lime":
            assert r.target == 0 and r.extras["prediction_model"] == pytest.approx(out[2], rel=1e-5)
        if m in ("saliency", "occlusion", "integrated_gradients"):
            assert r.attribution.shape == (6,) and np.abs(r.attribution).max() > 0
    with pytest.raises(glimpse.GlimpseError, match="one output, target 0"):
        svc.explain(mid, 2, "saliency", target=1)


def test_the_regression_tree_scores_r2_as_sklearn_does(service):
    mid = "diabetes-mlp"
    d = service.dataset_for(mid)
    r = service.explain(mid, int(d.test_idx[0]), "tree", max_depth=3)
    tree = service._tree(service._model(mid), 3)
    net = service.explained_model(mid)
    with torch.no_grad():
        net_test = net(torch.as_tensor(d.X_test))[:, 0].numpy().astype(np.float64)
    tree_test = tree.tree_.predict(d.X_test.reshape(len(d.X_test), -1))
    assert r.task == "regression" and type(tree.tree_).__name__ == "DecisionTreeRegressor"
    assert r.fidelity == pytest.approx(r2_score(net_test, tree_test), rel=1e-12)
    assert r.accuracy == pytest.approx(r2_score(d.y_test, tree_test), rel=1e-6)
    assert r.network_accuracy == pytest.approx(r2_score(d.y_test, net_test), rel=1e-5)
    assert 0.5 < r.fidelity <= 1 and r.value.shape[1] == 1
    leaf = r.node_labels[r.leaf]
    assert leaf.startswith("predicts ") and isinstance(r.prediction, float)


def test_binary_tree_classifies_negative_and_positive(service):
    r = service.explain("seed-binary-mlp", 0, "tree")
    assert r.class_names == ("negative", "positive") and r.task == "classification"
    assert r.fidelity > 0.8 and r.value.shape[1] == 2


# ---------------------------------------------------------------------------- built-ins
SEED_SHARE_FLOOR = 0.9      # measured 1.00 (seeds 0, 1, 2: every held-out row)
SEED_ACCURACY_FLOOR = 0.8   # measured 0.86-0.89


def test_the_seed_case_finds_its_informative_features(service):
    info = service.model_info("seed-binary-mlp")
    assert info.architecture.startswith("MLP 100-10-10-1") and info.output == "logit"
    assert info.accuracy >= SEED_ACCURACY_FLOOR
    assert info.informative_share >= SEED_SHARE_FLOOR
    d = service.dataset_for("seed-binary-mlp")
    assert d.informative == (0, 3, 4, 14, 30) and d.X.shape == (1000, 100)
    # the card's share is the one a fresh computation gives, and is computed once per weights
    from explain_core.model_facts import informative_share
    assert informative_share(service.explained_model("seed-binary-mlp"), d.X_test, d.informative) \
        == info.informative_share
    assert service.model_info("seed-binary-mlp").informative_share == info.informative_share


def test_the_seed_case_is_make_classification_exactly(service):
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=1000, n_features=100, n_informative=5, n_redundant=0, random_state=42)
    d = service.dataset_for("seed-binary-mlp")
    np.testing.assert_array_equal(d.X, X.astype(np.float32))
    np.testing.assert_array_equal(d.y, y)
    # the informative columns are those of shuffle=False's first five, moved by the shuffle
    X0, _ = make_classification(n_samples=1000, n_features=100, n_informative=5, n_redundant=0, random_state=42,
                                shuffle=False)
    for j, k in enumerate(d.informative):
        assert sorted(X[:, k]) in [sorted(X0[:, c]) for c in range(5)]


def test_diabetes_regression_model(service):
    info = service.model_info("diabetes-mlp")
    assert info.task == "regression" and info.r2 > 0.3 and 30 < info.mae < 60
    assert info.target_range == (25.0, 346.0) and info.class_names == ("progression",)


def test_precompute_serves_binary_and_regression_models(service):
    for mid in ("seed-binary-mlp", "diabetes-mlp"):
        ids = [int(i) for i in service.dataset_for(mid).test_idx[:6]]
        counts = service.precompute(mid, ["integrated_gradients", "saliency"], sample_ids=ids)
        assert counts["computed"] + counts["already_cached"] == 12
        assert all(service.cached(mid, i, "integrated_gradients") for i in ids)


def test_layer_names_are_the_model_s_own_through_the_view():
    model = mlp()
    view = HeadView(model, Head("logit"))
    assert [n for n, _ in view.named_modules()] == [n for n, _ in model.named_modules()]
    assert list(view.parameters()) == list(model.parameters())
    acts = glimpse.explain(model, table(1)[0], method="activations")
    assert [a.name for a in acts.layers][:2] == ["0", "1"]


def test_output_says_what_a_single_output_is():
    """All outputs in 0..1 read as a probability unless output='logit' says otherwise."""
    model, X = mlp(seed=5, sigmoid=True), table()
    svc = glimpse.build_service(model, X, output="logit")
    info = svc.model_info(svc.model_ids()[0])
    assert info.output == "logit" and "sigmoid(z)" in info.output_note
    with pytest.raises(glimpse.ParameterError, match="output='value'"):
        glimpse.build_service(model, X, output="value")
    with pytest.raises(glimpse.ParameterError, match="one output"):
        glimpse.build_service(nn.Linear(6, 3), X, output="logit")

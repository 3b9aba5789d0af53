"""KernelSHAP: exact on small inputs, efficient, linear-model truth, and shap as an oracle."""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch
from torch import nn

from explain_core import TargetError
from explain_core.methods.base import has_hooks
from explain_core.methods.kernel_shap import KernelShap, constrained_shapley_fit, shapley_coalitions


def _net(n_in=6, seed=0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(n_in, 8), nn.Tanh(), nn.Linear(8, 3)).eval()


def _exact_shapley(model, x, base, target) -> np.ndarray:
    """Textbook Shapley values of the target logit, every coalition enumerated."""
    m = len(x)

    def f(keep):
        z = base.copy()
        z[list(keep)] = x[list(keep)]
        with torch.no_grad():
            return float(model(torch.as_tensor(z)[None])[0, target])

    phi = np.zeros(m)
    for j in range(m):
        others = [i for i in range(m) if i != j]
        for k in range(m):
            for S in itertools.combinations(others, k):
                w = math.factorial(k) * math.factorial(m - k - 1) / math.factorial(m)
                phi[j] += w * (f(S + (j,)) - f(S))
    return phi


def test_small_input_is_exact():
    model = _net()
    x = np.random.default_rng(1).normal(size=6).astype(np.float32)
    base = np.random.default_rng(2).normal(size=6).astype(np.float32)
    r = KernelShap(model, n_samples=1000, baseline=base).attribute(x, target=2)
    np.testing.assert_allclose(r.attribution, _exact_shapley(model, x, base, 2), atol=1e-5)
    assert r.extras["n_coalitions"] == 2 ** 6 - 2
    assert r.method == "kernel_shap" and r.target == 2 and r.params["baseline"] == "array"


def test_linear_model_gets_weight_times_difference_even_when_sampled():
    torch.manual_seed(0)
    model = nn.Linear(40, 2).eval()
    x = np.random.default_rng(0).normal(size=40).astype(np.float32)
    r = KernelShap(model, n_samples=300, baseline=0.5, seed=3).attribute(x, target=1)
    expected = model.weight[1].detach().numpy() * (x - 0.5)
    np.testing.assert_allclose(r.attribution, expected, atol=1e-4)
    assert r.extras["n_coalitions"] == 300


def test_efficiency_and_determinism(service):
    model = service.torch_model("breast-cancer-mlp")
    data = service.dataset_for("breast-cancer-mlp")
    x = data.X[data.test_idx[0]]
    ks = KernelShap(model, n_samples=500, seed=7, baseline=data.X_train.mean(0).astype(np.float32))
    a, b = ks.attribute(x), ks.attribute(x)
    np.testing.assert_array_equal(a.attribution, b.attribution)
    assert abs(a.delta) < 1e-6 * max(1.0, abs(a.extras["output_difference"]))
    assert a.attribution.sum() == pytest.approx(a.extras["output_difference"], rel=1e-5, abs=1e-6)
    other = KernelShap(model, n_samples=500, seed=8, baseline=ks.baseline).attribute(x)
    assert not np.array_equal(a.attribution, other.attribution)
    assert not a.attribution.flags.writeable and not has_hooks(model)


def test_image_patches_share_one_value(service):
    model = service.torch_model("mnist-cnn")
    data = service.dataset_for("mnist-cnn")
    x = data.X[data.test_idx[1]]
    r = KernelShap(model, n_samples=300, patch=7).attribute(x)
    assert r.attribution.shape == x.shape and r.extras["n_segments"] == 16
    seg = r.extras["segments"]
    for s in range(16):
        assert np.all(r.attribution[0][seg == s] == np.float32(r.extras["weights"][s]))
    assert r.target == service.sample("mnist-cnn", int(data.test_idx[1])).prediction
    assert abs(r.delta) < 1e-5 * max(1.0, abs(r.extras["output_difference"]))


def test_agrees_with_shap_kernel_explainer(service):
    shap = pytest.importorskip("shap")
    model = service.torch_model("wine-mlp")
    data = service.dataset_for("wine-mlp")
    x, base = data.X[data.test_idx[2]], data.X_train.mean(0)
    target = 1

    def f(z):
        with torch.no_grad():
            return model(torch.as_tensor(np.asarray(z, dtype=np.float32)))[:, target].double().numpy()

    m = x.size        # 13 features: 8,190 coalitions, both sides enumerate them all
    ours = KernelShap(model, n_samples=2 ** m, baseline=base.astype(np.float32)).attribute(x, target)
    theirs = shap.KernelExplainer(f, base[None].astype(np.float64)).shap_values(
        x[None].astype(np.float64), nsamples=2 ** m, l1_reg=False, silent=True)
    np.testing.assert_allclose(ours.attribution, np.asarray(theirs).ravel(), rtol=1e-3, atol=1e-5)


def test_coalitions_are_distinct_proper_and_weighted():
    Z, w = shapley_coalitions(30, 1000, np.random.default_rng(0))
    assert Z.shape == (1000, 30) and len(np.unique(np.packbits(Z, axis=1), axis=0)) == 1000
    sizes = Z.sum(1)
    assert sizes.min() >= 1 and sizes.max() <= 29 and w.sum() == pytest.approx(1.0) and (w > 0).all()
    # sizes 1 and 29 (the heaviest in the Shapley kernel) are enumerated in full
    assert (sizes == 1).sum() == 30 and (sizes == 29).sum() == 30


def test_constrained_fit_recovers_a_known_linear_answer():
    rng = np.random.default_rng(0)
    Z = rng.integers(0, 2, (200, 5)).astype(bool)
    phi = np.array([0.5, -1.0, 2.0, 0.0, 0.25])
    y = Z @ phi
    np.testing.assert_allclose(constrained_shapley_fit(Z, y, np.ones(200), phi.sum()), phi, atol=1e-10)


def test_bad_target_is_a_target_error():
    with pytest.raises(TargetError, match="out of range"):
        KernelShap(_net(), n_samples=50).attribute(np.zeros(6, np.float32), target=3)

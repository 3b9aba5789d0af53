"""LIME: recovers a known linear model, finds the known-truth features, agrees with the
`lime` package, is seeded, batched, and rejects bad targets."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy.stats import spearmanr
from torch import nn

from explain_core.errors import TargetError
from explain_core.methods.base import hooks
from explain_core.methods.lime import LimeImage, LimeTabular, exponential_kernel, fit_local_model
from explain_core.methods.segmentation import grid_segments, make_segments


# ------------------------------------------------------------------ a model LIME must get right
class LinearProbability(nn.Module):
    """Two classes with p(class 1) = 0.5 + s·(w·x + b) exactly: the logits are log-probabilities."""

    def __init__(self, w, b: float, s: float):
        super().__init__()
        self.register_buffer("w", torch.as_tensor(w, dtype=torch.float64))
        self.b, self.s = float(b), float(s)

    def forward(self, x):
        p = 0.5 + self.s * (x.double() @ self.w + self.b)
        return torch.stack([torch.log1p(-p), torch.log(p)], dim=1)


STD = np.array([0.5, 1.0, 2.0, 3.0, 0.25])
MEAN = np.array([1.0, -2.0, 0.0, 5.0, 10.0])
# Coefficients per training standard deviation: distinct magnitudes, mixed signs.
C = np.array([1.5, -0.7, 0.3, -2.2, 1.0])
S = 0.015   # 0.5 ± s·(w·noise) stays inside (0.35, 0.65) for every draw: p is never clipped


@pytest.fixture(scope="module")
def linear_case():
    g = np.random.default_rng(123).standard_normal((4000, 5))
    X_train = MEAN + STD * (g - g.mean(0)) / g.std(0)          # exactly this mean and std
    w = C / STD
    model = LinearProbability(w, b=-w @ MEAN, s=S)
    x = (MEAN + STD * np.array([1.0, -0.5, 0.3, 0.8, -1.2])).astype(np.float32)
    return model, X_train.astype(np.float32), x


def test_recovers_linear_model(linear_case):
    """p = 0.5 + s(w·x + b) and z = (x - mean)/std give p = const + Σ s·w_j·std_j·z_j, so the
    weight of feature j must be s·C_j (C_j = w_j·std_j), up to ridge shrinkage (< 1%)."""
    model, X_train, x = linear_case
    a = LimeTabular(model, X_train, feature_names=[f"f{i}" for i in range(5)], n_samples=2000, seed=0).attribute(x, target=1)
    true = S * C
    w = a.extras["weights"]
    assert np.array_equal(np.sign(w), np.sign(true))
    assert np.array_equal(np.argsort(-np.abs(w)), np.argsort(-np.abs(true)))
    assert np.max(np.abs(w - true)) / np.max(np.abs(true)) < 0.01
    np.testing.assert_allclose(a.attribution, w, rtol=1e-6)
    np.testing.assert_allclose(a.extras["feature_scale"], STD, rtol=1e-5)   # weight per raw unit = w / scale
    p_x = 0.5 + S * (C @ ((x - MEAN) / STD))
    assert a.extras["prediction_model"] == pytest.approx(p_x, abs=1e-6)
    assert a.extras["prediction_local"] == pytest.approx(p_x, abs=1e-3)
    assert a.extras["intercept"] == pytest.approx(0.5, abs=1e-3)    # b = -w·mean: p = 0.5 + s·C·z
    assert a.extras["intercept"] + w @ ((x - MEAN) / STD) == pytest.approx(a.extras["prediction_local"], abs=1e-9)
    assert a.extras["score"] > 0.999
    assert a.extras["kernel_width"] == pytest.approx(0.75 * math.sqrt(5))
    assert [n for n, _ in a.extras["top_features"]][:3] == ["f3", "f0", "f4"]


def test_other_class_gets_opposite_weights(linear_case):
    model, X_train, x = linear_case
    one = LimeTabular(model, X_train, n_samples=1000, seed=3).attribute(x, target=1)
    zero = LimeTabular(model, X_train, n_samples=1000, seed=3).attribute(x, target=0)
    np.testing.assert_allclose(zero.extras["weights"], -one.extras["weights"], atol=1e-9)
    assert zero.extras["intercept"] == pytest.approx(1 - one.extras["intercept"], abs=1e-9)


def test_perturbations_are_centred_on_the_row_with_training_spread(linear_case):
    """sample_around_instance=True semantics: row 0 is x itself, the rest x + N(0,1)·std_train."""
    model, X_train, x = linear_case
    seen = []
    with hooks([(model, "forward_pre", lambda m, args: seen.append(args[0].detach().clone()))]):
        LimeTabular(model, X_train, n_samples=4000, seed=1).attribute(x, target=1)
    rows = torch.cat(seen).numpy().astype(np.float64)
    assert rows.shape == (4000, 5)
    np.testing.assert_array_equal(rows[0], x)
    np.testing.assert_allclose(rows[1:].mean(0), x, atol=4 * STD.max() / math.sqrt(4000))
    np.testing.assert_allclose(rows[1:].std(0), STD, rtol=0.05)


def test_local_fit_equals_lime_base():
    """The regression step matches lime's own LimeBase (Ridge(alpha=1), weighted R²) exactly."""
    from lime.lime_base import LimeBase

    rng = np.random.default_rng(0)
    Z = rng.standard_normal((300, 6))
    y = 1 / (1 + np.exp(-(Z @ rng.standard_normal(6) + 0.3 * rng.standard_normal(300))))
    Y = np.stack([1 - y, y], 1)
    d = np.linalg.norm(Z - Z[0], axis=1)
    width = 0.75 * math.sqrt(6)
    base = LimeBase(lambda dist: np.sqrt(np.exp(-(dist ** 2) / width ** 2)), random_state=0)
    intercept, exp, score, local = base.explain_instance_with_data(Z, Y, d, 1, 6, feature_selection="none")
    coef, my_intercept, my_score, my_local = fit_local_model(Z, y, exponential_kernel(d, width))
    lime_coef = np.zeros(6)
    for i, v in exp:
        lime_coef[i] = v
    np.testing.assert_allclose(coef, lime_coef, rtol=1e-10, atol=1e-12)
    assert my_intercept == pytest.approx(intercept, rel=1e-10)
    assert my_score == pytest.approx(score, rel=1e-10)
    assert my_local == pytest.approx(float(local[0]), rel=1e-10)


# ------------------------------------------------------------------ known truth
def _top5(a) -> set[int]:
    return set(np.argsort(-np.abs(np.asarray(a).ravel()), kind="stable")[:5].tolist())


def test_known_truth_features_are_found(service):
    model = service.torch_model("known-truth-mlp")
    data = service.dataset_for("known-truth-mlp")
    informative = set(data.informative)
    rows = data.test_idx[:40]
    lime_hits, gxi_hits = [], []
    from explain_core.methods.gradients import GradientXInput

    for i in rows:
        a = LimeTabular(model, data.X_train, data.feature_names, seed=0).attribute(data.X[i])
        g = GradientXInput(model).attribute(data.X[i], target=a.target)
        lime_hits.append(len(_top5(a.attribution) & informative))
        gxi_hits.append(len(_top5(g.attribution) & informative))
    lime_hits, gxi_hits = np.array(lime_hits), np.array(gxi_hits)
    # Chance level for 5 informative of 20 is 1.25 hits in a top 5; "most rows" = over 60%.
    assert np.mean(lime_hits >= 4) >= 0.7, lime_hits
    assert np.mean(gxi_hits >= 4) >= 0.6, gxi_hits


# ------------------------------------------------------------------ the lime package as oracle
def _lime_tabular_weights(model, data, x, target, seed, n):
    from lime.lime_tabular import LimeTabularExplainer

    def proba(X):
        with torch.no_grad():
            return torch.softmax(model(torch.as_tensor(X, dtype=torch.float32)).double(), 1).numpy()

    ex = LimeTabularExplainer(data.X_train.astype(np.float64), feature_names=list(data.feature_names),
                              discretize_continuous=False, sample_around_instance=True,
                              feature_selection="none", random_state=seed)
    e = ex.explain_instance(x.astype(np.float64), proba, labels=(target,), num_features=x.size, num_samples=n)
    w = np.zeros(x.size)
    for i, v in e.local_exp[target]:
        w[i] = v
    return w, e.score


def test_tabular_agrees_with_lime_package(service):
    """On the breast-cancer rows the network is least sure about (elsewhere p≈1 and every
    LIME, ours or lime's, fits noise), our weights agree with lime's as well as lime
    agrees with itself under another seed."""
    model = service.torch_model("breast-cancer-mlp")
    data = service.dataset_for("breast-cancer-mlp")
    confidence = service.samples("breast-cancer-mlp").probabilities[data.test_idx].max(1)
    rows = data.test_idx[np.argsort(confidence)[:6]]
    n = 1000
    ours_vs_lime, lime_vs_lime, top_ours_lime, top_lime_lime, scores = [], [], [], [], []
    for i in rows:
        x = data.X[i]
        a = LimeTabular(model, data.X_train, data.feature_names, n_samples=n, seed=1).attribute(x)
        assert a.extras["kernel_width"] == pytest.approx(0.75 * math.sqrt(30))   # lime's default
        l1, s1 = _lime_tabular_weights(model, data, x, a.target, 1, n)
        l2, _ = _lime_tabular_weights(model, data, x, a.target, 2, n)
        ours_vs_lime.append(spearmanr(a.attribution, l1)[0])
        lime_vs_lime.append(spearmanr(l1, l2)[0])
        top_ours_lime.append(len(_top5(a.attribution) & _top5(l1)))
        top_lime_lime.append(len(_top5(l1) & _top5(l2)))
        scores.append((a.extras["score"], s1))
    assert np.mean(ours_vs_lime) >= 0.9
    assert np.mean(ours_vs_lime) >= np.mean(lime_vs_lime) - 0.05
    assert np.mean(top_ours_lime) >= 3.5
    assert np.mean(top_ours_lime) >= np.mean(top_lime_lime) - 0.75
    ours, theirs = np.array(scores).T
    assert np.max(np.abs(ours - theirs)) < 0.1


def test_image_agrees_with_lime_package(service):
    """Same 4×4 grid as segmentation_fn, hide_color=0, kernel width 0.25: the top-5
    segments overlap as much as two seeds of lime overlap with each other."""
    from lime.lime_image import LimeImageExplainer

    model = service.torch_model("mnist-cnn")
    data = service.dataset_for("mnist-cnn")
    grid = grid_segments(28, 28, 4)

    def classify(images):
        x = torch.as_tensor(np.asarray(images)[..., 0], dtype=torch.float32)[:, None]
        with torch.no_grad():
            return torch.softmax(model(x).double(), 1).numpy()

    def lime_weights(x, target, seed):
        e = LimeImageExplainer(kernel_width=0.25, random_state=seed).explain_instance(
            x[0].astype(np.float64), classify, labels=(target,), top_labels=None, hide_color=0,
            num_features=1000, num_samples=1000, batch_size=256, segmentation_fn=lambda img: grid)
        w = np.zeros(49)
        for i, v in e.local_exp[target]:
            w[i] = v
        return w

    ours_lime, lime_lime = [], []
    for i in data.test_idx[:3]:
        a = LimeImage(model, n_samples=1000, seed=1).attribute(data.X[i])
        np.testing.assert_array_equal(a.extras["segments"], grid)
        l1, l2 = lime_weights(data.X[i], a.target, 1), lime_weights(data.X[i], a.target, 2)
        ours_lime.append(len(_top5(a.extras["weights"]) & _top5(l1)))
        lime_lime.append(len(_top5(l1) & _top5(l2)))
    assert np.mean(ours_lime) >= 3.5, (ours_lime, lime_lime)
    assert np.mean(ours_lime) >= np.mean(lime_lime) - 0.75, (ours_lime, lime_lime)


# ------------------------------------------------------------------ images
def test_image_perturbations_switch_whole_segments_off(service):
    model = service.torch_model("mnist-cnn")
    x = service.dataset_for("mnist-cnn").X[0]
    seen = []
    with hooks([(model, "forward_pre", lambda m, args: seen.append(args[0].detach().clone()))]):
        a = LimeImage(model, n_samples=300, patch=7, seed=0).attribute(x)
    imgs = torch.cat(seen).numpy()
    assert imgs.shape == (300, 1, 28, 28)
    np.testing.assert_array_equal(imgs[0], x)                      # first sample: all segments on
    seg = a.extras["segments"]
    for img in imgs[1:20]:
        on = img[0] == x[0]
        assert np.all((img[0] == 0) | on)                           # hide_color = 0
        for s in range(16):
            part = x[0][seg == s] != 0                              # pixels that can tell on from off
            if part.any():
                assert len(set(on[seg == s][part].tolist())) == 1   # a segment is on or off as a whole
    # every pixel carries its segment's weight
    np.testing.assert_array_equal(a.attribution[0], a.extras["weights"][seg].astype(np.float32))
    assert a.attribution.shape == (1, 28, 28)
    assert [s for s, _ in a.extras["top_features"]] == list(np.argsort(-np.abs(a.extras["weights"]), kind="stable")[:10])


def test_slic_segments_cover_the_digit(service):
    x = service.dataset_for("mnist-cnn").X[0]
    seg = make_segments(x, "slic", 4)
    assert seg.shape == (28, 28)
    assert np.array_equal(np.unique(seg), np.arange(seg.max() + 1))   # ids 0..K-1 without gaps
    assert seg.max() + 1 >= 10
    a = LimeImage(service.torch_model("mnist-cnn"), n_samples=200, segmentation="slic").attribute(x)
    np.testing.assert_array_equal(a.extras["segments"], seg)
    assert len(a.extras["weights"]) == seg.max() + 1


def test_grid_segments_handle_uneven_patches():
    seg = grid_segments(28, 28, 5)
    assert seg.max() + 1 == 36
    assert seg[0, 0] == 0 and seg[0, 5] == 1 and seg[5, 0] == 6 and seg[27, 27] == 35


# ------------------------------------------------------------------ contract
def test_seeded_determinism(service, linear_case):
    model, X_train, x = linear_case
    a = LimeTabular(model, X_train, n_samples=500, seed=7).attribute(x)
    b = LimeTabular(model, X_train, n_samples=500, seed=7).attribute(x)
    c = LimeTabular(model, X_train, n_samples=500, seed=8).attribute(x)
    np.testing.assert_array_equal(a.attribution, b.attribution)
    assert a.extras["intercept"] == b.extras["intercept"]
    assert not np.array_equal(a.attribution, c.attribution)
    cnn, digit = service.torch_model("mnist-cnn"), service.dataset_for("mnist-cnn").X[1]
    i1 = LimeImage(cnn, n_samples=300, seed=7).attribute(digit)
    i2 = LimeImage(cnn, n_samples=300, seed=7).attribute(digit)
    i3 = LimeImage(cnn, n_samples=300, seed=8).attribute(digit)
    np.testing.assert_array_equal(i1.attribution, i2.attribution)
    assert not np.array_equal(i1.attribution, i3.attribution)


@pytest.mark.parametrize("n_samples,batch_size", [(1000, 256), (300, 100), (50, 64)])
def test_model_calls_are_batched(service, n_samples, batch_size):
    calls = []

    def count(module, args):
        calls.append(len(args[0]))

    tab, data = service.torch_model("breast-cancer-mlp"), service.dataset_for("breast-cancer-mlp")
    with hooks([(tab, "forward_pre", count)]):
        LimeTabular(tab, data.X_train, n_samples=n_samples, batch_size=batch_size).attribute(data.X[0])
    assert len(calls) <= math.ceil(n_samples / batch_size) and sum(calls) == n_samples
    assert max(calls) <= batch_size
    calls.clear()
    cnn = service.torch_model("mnist-cnn")
    with hooks([(cnn, "forward_pre", count)]):
        LimeImage(cnn, n_samples=n_samples, batch_size=batch_size).attribute(service.dataset_for("mnist-cnn").X[0])
    assert len(calls) <= math.ceil(n_samples / batch_size) and sum(calls) == n_samples


@pytest.mark.parametrize("target", [2, -1, 1.5, "1", True])
def test_bad_target(service, target):
    tab, data = service.torch_model("breast-cancer-mlp"), service.dataset_for("breast-cancer-mlp")
    calls = []
    with hooks([(tab, "forward_pre", lambda m, args: calls.append(1))]), pytest.raises(TargetError):
        LimeTabular(tab, data.X_train, n_samples=1000, batch_size=100).attribute(data.X[0], target=target)
    assert len(calls) <= 1          # fails on the first batch, before the rest is computed
    with pytest.raises(TargetError, match="10 classes"):
        LimeImage(service.torch_model("mnist-cnn"), n_samples=50).attribute(service.dataset_for("mnist-cnn").X[0], target=10)


def test_service_runs_lime(service):
    a = service.explain("breast-cancer-mlp", 3, "lime", n_samples=300)
    assert a.method == "lime" and a.attribution.shape == (30,)
    assert {n for n, _ in a.extras["top_features"]} <= set(service.dataset_for("breast-cancer-mlp").feature_names)
    b = service.explain("mnist-cnn", 3, "lime", n_samples=300, segmentation="slic")
    assert b.attribution.shape == (1, 28, 28) and b.params["segmentation"] == "slic"

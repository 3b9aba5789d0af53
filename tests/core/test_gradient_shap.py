"""GradientSHAP (expected gradients): Captum's GradientShap as the oracle, a linear model
worked out by hand, the seed-to-seed spread, and the page's runner (training baselines)."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from captum.attr import GradientShap as CaptumGradientShap
from torch import nn

from explain_core import ParameterError, TargetError
from explain_core.methods.base import has_hooks
from explain_core.methods.gradient_shap import GradientShap, draws, expected_gradients
from explain_core.methods.registry import BACKGROUND_ROWS


def _net(n_in=6, seed=0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(n_in, 16), nn.Tanh(), nn.Linear(16, 3)).eval()


def _captum_draws(n_background: int, n: int, shape, stdev: float, seed: int):
    """The draws Captum's GradientShap makes for one sample after np.random.seed(seed) and
    torch.manual_seed(seed), in its order: baseline ids (numpy), noise (torch), then the
    points on the path (numpy)."""
    np.random.seed(seed)
    torch.manual_seed(seed)
    ids = np.random.choice(n_background, n)
    noise = torch.normal(0, torch.tensor(stdev).repeat((n,) + tuple(shape)))
    alphas = torch.tensor(np.random.uniform(0.0, 1.0, n), dtype=torch.float32)
    return ids, alphas, noise


def _captum(model, x, background, n, stdev, seed, target):
    np.random.seed(seed)
    torch.manual_seed(seed)
    return CaptumGradientShap(model).attribute(x, background, n_samples=n, stdevs=stdev, target=target)[0].numpy()


@pytest.mark.parametrize("stdev", [0.0, 0.3])
def test_equals_captum_with_the_same_draws_on_a_tabular_net(stdev):
    model = _net()
    x, background = torch.randn(1, 6), torch.randn(40, 6)
    for seed in (1, 11):
        ids, alphas, noise = _captum_draws(40, 30, (6,), stdev, seed)
        ours, t, _ = expected_gradients(model, x, background[ids], alphas, noise, 2, rows=512)
        ref = _captum(model, x, background, 30, stdev, seed, 2)
        assert t == 2
        np.testing.assert_allclose(ours, ref, rtol=1e-5, atol=1e-6)


def test_equals_captum_with_the_same_draws_on_the_cnn_in_chunks(service):
    """The default CNN with training digits as the background; rows=16 forces several model
    calls (the unfused path), rows=512 one fused call: both equal Captum."""
    model = service.torch_model("mnist-cnn")
    data = service.dataset_for("mnist-cnn")
    background = torch.as_tensor(data.X_train[:200])
    x = torch.as_tensor(data.X[data.test_idx[5]])[None]
    ids, alphas, noise = _captum_draws(200, 40, x.shape[1:], 0.1, 5)
    ref = _captum(model, x, background, 40, 0.1, 5, 3)
    for rows in (16, 512):
        ours, _, _ = expected_gradients(model, x, background[ids], alphas, noise, 3, rows=rows)
        np.testing.assert_allclose(ours, ref, rtol=1e-4, atol=2e-6)
    assert not has_hooks(model)


def test_our_seeds_and_captums_agree_within_the_estimators_noise():
    """Our own draws (numpy Generator) differ from Captum's, so the two estimates agree only
    within the estimator's noise: over 8 seeds each, the means agree feature by feature to
    within 4 standard errors of the seed-to-seed spread."""
    model = _net(seed=3)
    x, background = torch.randn(1, 6), torch.randn(60, 6)
    seeds = range(8)
    ours = np.array([GradientShap(model, background.numpy(), n_samples=64, seed=s).attribute(x[0], 2).attribution
                     for s in seeds])
    theirs = np.array([_captum(model, x, background, 64, 0.0, 100 + s, 2) for s in seeds])
    spread = np.sqrt(ours.var(0, ddof=1) / len(ours) + theirs.var(0, ddof=1) / len(theirs))
    assert (ours.std(0) > 0).all()                           # it is a random estimate
    assert (np.abs(ours.mean(0) - theirs.mean(0)) <= 4 * spread + 1e-7).all(), (ours.mean(0), theirs.mean(0), spread)


def test_linear_model_by_hand():
    """f = w·z + c: every gradient is w, so φ = w ⊙ (x − mean of the drawn baselines) and
    Σφ = f(x) − mean f(b) exactly (delta 0)."""
    model = nn.Linear(5, 2).eval()
    with torch.no_grad():
        model.weight.copy_(torch.tensor([[1., -2., 0.5, 0., 3.], [0., 1., 1., -1., 2.]]))
        model.bias.copy_(torch.tensor([0.3, -0.1]))
    x = np.array([1.0, 2.0, -1.0, 0.5, 0.25], np.float32)
    background = np.random.default_rng(0).normal(size=(10, 5)).astype(np.float32)
    r = GradientShap(model, background, n_samples=25, seed=4).attribute(x, target=0)
    ids, _, _ = draws(10, 25, (5,), 0.0, 4)
    expected = np.array([1., -2., 0.5, 0., 3.]) * (x - background[ids].mean(0))
    np.testing.assert_allclose(r.attribution, expected, rtol=1e-5, atol=1e-6)
    assert abs(r.delta) < 1e-5
    assert r.extras["output"] == pytest.approx(float(model(torch.as_tensor(x))[0].detach()), rel=1e-6)


def test_seeded_deterministic_and_checked():
    model = _net()
    background = np.random.default_rng(1).normal(size=(20, 6)).astype(np.float32)
    x = np.ones(6, np.float32)
    gs = GradientShap(model, background, n_samples=10, stdev=0.2, seed=9)
    a, b = gs.attribute(x), gs.attribute(x)
    np.testing.assert_array_equal(a.attribution, b.attribution)
    other = GradientShap(model, background, n_samples=10, stdev=0.2, seed=10).attribute(x)
    assert not np.array_equal(a.attribution, other.attribution)
    assert a.target == int(model(torch.as_tensor(x)[None]).argmax())
    assert not a.attribution.flags.writeable
    with pytest.raises(TargetError):
        gs.attribute(x, target=3)
    with pytest.raises(ParameterError, match="baselines"):
        GradientShap(model, np.zeros((4, 5), np.float32)).attribute(x)
    with pytest.raises(ParameterError, match="n_samples"):
        GradientShap(model, background, n_samples=0).attribute(x)


def test_the_page_runner_draws_baselines_from_training_rows(service):
    """Through the service: the background is a fixed draw of training rows, so the delta is
    f(x) − the mean score of training digits the draws picked; more draws, smaller gap."""
    data = service.dataset_for("mnist-cnn")
    i = int(data.test_idx[2])
    r = service.explain("mnist-cnn", i, "gradient_shap", n_samples=200, seed=1)
    assert r.params["n_background"] == min(BACKGROUND_ROWS, len(data.train_idx))
    assert r.attribution.shape == data.input_shape and np.isfinite(r.attribution).all()
    small = service.explain("mnist-cnn", i, "gradient_shap", n_samples=10, seed=1)
    assert abs(r.delta) / abs(r.extras["output_difference"]) < 0.25
    assert abs(r.delta) <= abs(small.delta) + 0.25 * abs(r.extras["output_difference"])
    noisy = service.explain("mnist-cnn", i, "gradient_shap", n_samples=10, seed=1, noise_level=0.2)
    assert noisy.params["stdev"] == pytest.approx(0.2 * float(data.X[i].max() - data.X[i].min()))
    assert not np.array_equal(noisy.attribution, small.attribution)
    with pytest.raises(ParameterError, match="noise_level"):
        service.explain("mnist-cnn", i, "gradient_shap", noise_level=2)

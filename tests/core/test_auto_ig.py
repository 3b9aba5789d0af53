"""Integrated gradients to a stated accuracy (explain_core/methods/auto_ig.py): every digit
within 1% completeness, the steps reported, the nested rule's reuse, and agreement with
Captum's own IG loop run on the same points and weights."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from explain_core.methods.auto_ig import AutoIntegratedGradients, adaptive_ig, fejer2


def _captum_on_rule(model, x, target, steps):
    from captum.attr import IntegratedGradients as CaptumIG

    w, a = fejer2(steps + 1)
    out = CaptumIG(model)._attribute((torch.as_tensor(x)[None],), baselines=(0.0,), target=int(target),
                                     n_steps=len(a), step_sizes_and_alphas=(list(w), list(a)))
    return out[0][0].detach().numpy()


def _ends(model, X, targets):
    with torch.no_grad():
        f = model(torch.as_tensor(X)).double()
        f0 = model(torch.zeros_like(torch.as_tensor(X[:1])))[0].double()
    t = torch.as_tensor(targets).long()
    return (f.gather(1, t.view(-1, 1))[:, 0] - f0[t]).numpy()


@pytest.mark.parametrize("n", [2, 4, 8, 16, 64])
def test_fejer_rule_is_exact_for_polynomials_and_nested(n):
    w, a = fejer2(n)
    assert len(a) == n - 1 and np.all((a > 0) & (a < 1))
    for d in range(n - 1):            # degree n − 2 and below: exact
        assert abs((w * a ** d).sum() - 1 / (d + 1)) < 1e-12
    w2, a2 = fejer2(2 * n)
    assert np.allclose(a2[1::2], a)    # every point of n intervals is a point of 2n


def test_every_tested_digit_reaches_one_percent_for_several_classes(service):
    model, data = service.torch_model("mnist-cnn"), service.dataset_for("mnist-cnn")
    ids = [int(i) for i in data.test_idx[:8]]
    X = data.X[ids]
    with torch.no_grad():
        pred = model(torch.as_tensor(X)).argmax(1).numpy()
    for shift in (0, 1, 5):
        t = (pred + shift) % 10
        r = adaptive_ig(model, X, t, tolerance=0.01)
        od = _ends(model, X, t)
        sums = r.maps.astype(np.float64).reshape(len(X), -1).sum(1)
        error = np.abs(sums - od) / np.maximum(np.abs(od), 0.1)       # measured here, not read from the result
        assert np.all(error <= 0.01 + 1e-6), (shift, error)
        assert np.allclose(error, r.error, atol=1e-6) and r.reached.all()
        assert set(r.steps) <= {3, 7, 15, 31, 63, 127, 255, 511, 1023}
        assert all(tr[-1] == s and list(tr) == sorted(tr) for tr, s in zip(r.tried, r.steps))
        assert np.array_equal(r.targets, t)


def test_dataset_maps_equal_single_digit_runs_and_captum_on_the_same_points(service):
    model, data = service.torch_model("mnist-cnn"), service.dataset_for("mnist-cnn")
    ids = [int(i) for i in data.test_idx[:40]]
    batch = adaptive_ig(model, data.X[ids], group=16, rows=128)       # several groups and calls
    assert len(set(batch.steps)) > 1 or batch.steps[0] > 3             # some digits need more than the first try
    for j in (0, 7, 23, 39):
        one = AutoIntegratedGradients(model).attribute(data.X[ids[j]])
        assert one.target == batch.targets[j] and one.extras["steps_used"] == batch.steps[j]
        scale = np.abs(one.attribution).max()
        assert np.abs(one.attribution - batch.maps[j]).max() <= 1e-4 * scale
        ref = _captum_on_rule(model, data.X[ids[j]], batch.targets[j], int(batch.steps[j]))
        assert np.abs(batch.maps[j] - ref).max() <= 1e-4 * np.abs(ref).max()


def test_the_mlp_and_a_model_without_a_stem_match_captum():
    torch.manual_seed(0)
    plain = nn.Sequential(nn.Linear(6, 8), nn.Tanh(), nn.Linear(8, 3)).eval()    # no affine_stem(): general path
    X = torch.randn(5, 6).numpy()
    r = adaptive_ig(plain, X, np.array([0, 1, 2, 0, 1]))
    for j in range(5):
        ref = _captum_on_rule(plain, X[j], r.targets[j], int(r.steps[j]))
        assert np.abs(r.maps[j] - ref).max() <= 1e-4 * np.abs(ref).max()
    assert r.reached.all()


def test_mlp_stem(service):
    model, data = service.torch_model("mnist-mlp"), service.dataset_for("mnist-mlp")
    ids = [int(i) for i in data.test_idx[:6]]
    r = adaptive_ig(model, data.X[ids])
    assert r.reached.all()
    for j in (0, 5):
        ref = _captum_on_rule(model, data.X[ids[j]], r.targets[j], int(r.steps[j]))
        assert np.abs(r.maps[j] - ref).max() <= 1e-4 * np.abs(ref).max()


def test_a_linear_model_is_exact_at_the_first_try():
    lin = nn.Linear(4, 2).eval()
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[1.0, -2.0, 0.5, 3.0], [0.0, 1.0, 1.0, 1.0]]))
        lin.bias.fill_(0.25)
    x = np.array([1.0, 2.0, -1.0, 0.5], np.float32)
    r = AutoIntegratedGradients(lin).attribute(x, target=0)
    assert np.allclose(r.attribution, [1.0, -4.0, -0.5, 1.5], atol=1e-6)       # w ⊙ x, by hand
    assert r.extras["steps_used"] == 3 and r.extras["steps_tried"] == (3,) and r.params["n_steps"] == "auto"
    assert abs(r.delta) < 1e-5


def test_a_cap_below_the_need_is_reported_not_hidden(service):
    model, data = service.torch_model("mnist-cnn"), service.dataset_for("mnist-cnn")
    ids = [int(i) for i in data.test_idx[:30]]
    r = adaptive_ig(model, data.X[ids], tolerance=1e-5, max_steps=7)
    assert set(r.steps) == {7} and not r.reached.all()
    assert np.array_equal(r.reached, r.error <= 1e-5)

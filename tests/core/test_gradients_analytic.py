"""Gradient methods on tiny hand-weighted networks whose answers are worked out on paper."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from explain_core.errors import ParameterError, TargetError
from explain_core.methods.base import has_hooks
from explain_core.methods.gradcam import GradCAM
from explain_core.methods.gradients import (GradientXInput, IntegratedGradients, Saliency, SmoothGrad,
                                            ig_rule)
from explain_core.methods.occlusion import Occlusion

W = np.array([[1.0, -2.0, 0.5, 3.0],
              [-1.0, 0.0, 2.0, -0.5],
              [0.25, 1.0, -3.0, 0.0]], dtype=np.float32)
B = np.array([0.1, -0.2, 0.3], dtype=np.float32)
X = np.array([2.0, -1.0, 4.0, 0.5], dtype=np.float32)   # logits W @ X + B = [6.6, 5.55, -10.2]


def linear_model() -> nn.Module:
    m = nn.Linear(4, 3)
    with torch.no_grad():
        m.weight.copy_(torch.from_numpy(W))
        m.bias.copy_(torch.from_numpy(B))
    return m.eval()


class Quadratic(nn.Module):
    """logit_0 = Σ c_i x_i², logit_1 = relu(x_0 - 1)."""

    def __init__(self, c):
        super().__init__()
        self.register_buffer("c", torch.as_tensor(c, dtype=torch.float32))

    def forward(self, x):
        return torch.stack([(self.c * x ** 2).sum(1), torch.relu(x[:, 0] - 1)], dim=1)


# ------------------------------------------------------------------ saliency, gradient × input
def test_saliency_of_a_linear_model_is_its_weight_row():
    m = linear_model()
    for t in range(3):
        np.testing.assert_array_equal(Saliency(m, abs=False).attribute(X, target=t).attribution, W[t])
        np.testing.assert_array_equal(Saliency(m).attribute(X, target=t).attribution, np.abs(W[t]))


def test_gradient_x_input_of_a_linear_model():
    r = GradientXInput(linear_model()).attribute(X, target=1)
    np.testing.assert_allclose(r.attribution, W[1] * X, rtol=0, atol=0)
    assert r.method == "gradient_x_input" and r.target == 1 and r.attribution.shape == X.shape


def test_gradient_of_a_quadratic_is_2cx():
    c = np.array([1.0, -2.0, 0.5, 3.0], np.float32)
    r = Saliency(Quadratic(c), abs=False).attribute(X, target=0)
    np.testing.assert_allclose(r.attribution, 2 * c * X, rtol=1e-6)


def test_default_target_is_the_predicted_class_and_bad_targets_are_user_errors():
    m = linear_model()
    assert Saliency(m).attribute(X).target == 0          # logits [6.6, 5.55, -10.2]
    assert GradientXInput(m).attribute(-X).target == 2   # logits [-6.4, -5.95, 10.8]
    with pytest.raises(TargetError, match="out of range"):
        Saliency(m).attribute(X, target=3)
    with pytest.raises(TargetError):
        IntegratedGradients(m).attribute(X, target=-1)


def test_accepts_tensors_with_or_without_batch_dim():
    m = linear_model()
    a = Saliency(m, abs=False).attribute(torch.from_numpy(X), target=2).attribution
    b = Saliency(m, abs=False).attribute(torch.from_numpy(X).unsqueeze(0), target=2).attribution
    np.testing.assert_array_equal(a, W[2])
    np.testing.assert_array_equal(b, W[2])


def test_no_parameter_gradients_and_requires_grad_untouched():
    m = linear_model()
    m.bias.requires_grad_(False)
    for method in (Saliency(m), GradientXInput(m), IntegratedGradients(m, n_steps=8), SmoothGrad(m, n_samples=4)):
        method.attribute(X, target=0)
    assert m.weight.grad is None and m.bias.grad is None
    assert m.weight.requires_grad and not m.bias.requires_grad


def test_attribute_batch_equals_per_sample_results():
    m = linear_model()
    Xs = np.stack([X, -X, 2 * X]).astype(np.float32)
    targets = np.array([0, 2, 1])
    for method in (Saliency(m, abs=False), GradientXInput(m)):
        np.testing.assert_array_equal(method.attribute_batch(Xs, targets),
                                      np.stack([W[t] * (x if isinstance(method, GradientXInput) else 1)
                                                for x, t in zip(Xs, targets)]))


# ------------------------------------------------------------------ integrated gradients
@pytest.mark.parametrize("rule", ["gausslegendre", "riemann_left", "riemann_right", "riemann_middle"])
def test_ig_of_a_linear_model_is_delta_x_times_w(rule):
    baseline = np.array([1.0, 1.0, -1.0, 0.0], np.float32)
    r = IntegratedGradients(linear_model(), n_steps=7, rule=rule, baseline=baseline).attribute(X, target=0)
    np.testing.assert_allclose(r.attribution, (X - baseline) * W[0], rtol=1e-6)
    expected_diff = float(W[0] @ X - W[0] @ baseline)
    assert r.extras["output_difference"] == pytest.approx(expected_diff, rel=1e-6)
    assert abs(r.delta) < 1e-5
    assert r.params == {"n_steps": 7, "rule": rule, "baseline": "array"}


def test_ig_trapezoid_keeps_captums_step_sizes():
    """Captum's riemann_trapezoid halves the end steps of 1/n, so its weights sum to 1 - 1/n."""
    n = 10
    sizes, alphas = ig_rule("riemann_trapezoid", n)
    assert sizes.sum() == pytest.approx(1 - 1 / n)
    np.testing.assert_allclose(alphas, np.linspace(0, 1, n), atol=1e-7)
    r = IntegratedGradients(linear_model(), n_steps=n, rule="riemann_trapezoid").attribute(X, target=2)
    np.testing.assert_allclose(r.attribution, (1 - 1 / n) * X * W[2], rtol=1e-6)


def test_ig_rule_nodes_and_weights():
    sizes, alphas = ig_rule("gausslegendre", 2)     # nodes ±1/√3 on [-1, 1], weights 1
    np.testing.assert_allclose(alphas, [0.5 - 0.5 / np.sqrt(3), 0.5 + 0.5 / np.sqrt(3)])
    np.testing.assert_allclose(sizes, [0.5, 0.5])
    _, left = ig_rule("riemann_left", 4)
    _, right = ig_rule("riemann_right", 4)
    _, middle = ig_rule("riemann_middle", 4)
    np.testing.assert_allclose(left, [0, .25, .5, .75], atol=1e-7)
    np.testing.assert_allclose(right, [.25, .5, .75, 1], atol=1e-7)
    np.testing.assert_allclose(middle, [.125, .375, .625, .875], atol=1e-7)
    with pytest.raises(ParameterError, match="at least 2 steps"):
        ig_rule("riemann_left", 1)
    with pytest.raises(ParameterError):
        ig_rule("simpson", 10)


def test_ig_of_a_quadratic_by_hand():
    """f = Σ c_i x_i², baseline 0: ∂f/∂x_i on the path is 2 c_i α x_i, so IG_i = c_i x_i²
    for any rule exact on linear integrands; riemann_left gives c_i x_i² (n-1)/n."""
    c = np.array([1.0, -2.0, 0.5, 3.0], np.float32)
    m = Quadratic(c)
    exact = c * X ** 2
    for rule in ("gausslegendre", "riemann_middle"):
        r = IntegratedGradients(m, n_steps=5, rule=rule).attribute(X, target=0)
        np.testing.assert_allclose(r.attribution, exact, rtol=1e-5)
        assert abs(r.delta) < 1e-4
    r = IntegratedGradients(m, n_steps=8, rule="riemann_left").attribute(X, target=0)
    np.testing.assert_allclose(r.attribution, exact * 7 / 8, rtol=1e-5)
    assert r.delta == pytest.approx(-exact.sum() / 8, rel=1e-4)


def test_ig_through_a_relu_kink_by_hand():
    """f = relu(x_0 - 1) at x_0 = 2 from 0: the gradient is 1 for α > 1/2, so IG_0 = 2·½ = 1.
    riemann_middle with 10 steps has 5 nodes above ½ (0.55..0.95), each weighing 0.1."""
    x = np.array([2.0, 5.0, -3.0, 1.0], np.float32)
    r = IntegratedGradients(Quadratic(np.zeros(4)), n_steps=10, rule="riemann_middle").attribute(x, target=1)
    np.testing.assert_allclose(r.attribution, [1.0, 0, 0, 0], atol=1e-6)
    assert abs(r.delta) < 1e-6
    left = IntegratedGradients(Quadratic(np.zeros(4)), n_steps=10, rule="riemann_left").attribute(x, target=1)
    assert left.attribution[0] == pytest.approx(2 * 0.4, abs=1e-6)   # nodes 0.6..0.9 are above ½


def test_ig_batch_runs_samples_times_steps_in_chunks():
    class Counting(nn.Module):
        def __init__(self):
            super().__init__()
            self.inner, self.rows = linear_model(), []

        def forward(self, x):
            self.rows.append(len(x))
            return self.inner(x)

    m = Counting()
    Xs = np.stack([X, -X, 2 * X, X / 3, X + 1]).astype(np.float32)
    targets = np.array([0, 1, 2, 0, 1])
    ig = IntegratedGradients(m, n_steps=6, rule="riemann_middle", batch_size=7)
    m.rows.clear()
    attrs = ig.attribute_batch(Xs, targets)
    assert max(m.rows) <= 7 and sum(m.rows) == 5 * 6 and len(m.rows) == 5   # 30 rows in chunks of 7
    np.testing.assert_allclose(attrs, Xs * W[targets], rtol=1e-6)
    for x, t, a in zip(Xs, targets, attrs):
        np.testing.assert_allclose(IntegratedGradients(m, n_steps=6, rule="riemann_middle")
                                   .attribute(x, target=int(t)).attribution, a, rtol=1e-6)


def test_ig_bad_baseline_shape_is_a_parameter_error():
    with pytest.raises(ParameterError, match="baseline"):
        IntegratedGradients(linear_model(), baseline=np.zeros(3)).attribute(X)


# ------------------------------------------------------------------ SmoothGrad
def test_smoothgrad_of_a_linear_model_is_the_weight_row_whatever_the_noise():
    r = SmoothGrad(linear_model(), n_samples=9, noise_level=0.5, abs=False, seed=3).attribute(X, target=1)
    np.testing.assert_allclose(r.attribution, W[1], rtol=1e-6)
    assert r.params == {"n_samples": 9, "noise_level": 0.5, "abs": False, "seed": 3}


def test_smoothgrad_of_a_quadratic_averages_2c_x_plus_noise():
    """∂f/∂x = 2c(x+ε), so the mean over draws is 2c(x + mean ε); noise σ = level·(max-min)."""
    c = np.array([1.0, -2.0, 0.5, 3.0], np.float32)
    sg = SmoothGrad(Quadratic(c), n_samples=2000, noise_level=0.1, abs=False, seed=0, batch_size=512)
    a = sg.attribute(X, target=0).attribution
    sigma = 0.1 * (X.max() - X.min())
    eps = torch.randn((2000, 4), generator=torch.Generator().manual_seed(0)).numpy() * sigma
    np.testing.assert_allclose(a, 2 * c * (X + eps.mean(0)), rtol=1e-4, atol=1e-5)
    assert np.abs(a - 2 * c * X).max() < 0.2                   # and close to the noiseless gradient


# ------------------------------------------------------------------ Grad-CAM
class TinyCNN(nn.Module):
    """avg-pool 4×4 -> 2×2, 1×1 conv to 2 channels (×1, ×2), linear head on the 8 values."""

    def __init__(self):
        super().__init__()
        self.pool = nn.AvgPool2d(2)
        self.conv = nn.Conv2d(1, 2, 1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(8, 2, bias=False)
        with torch.no_grad():
            self.conv.weight.copy_(torch.tensor([1.0, 2.0]).view(2, 1, 1, 1))
            self.conv.bias.zero_()
            self.fc.weight.copy_(torch.tensor([[0.5, 0.5, 0.5, 0.5, 1.0, -0.5, 1.0, -0.5],
                                               [-1.0, -1.0, -1.0, -1.0, 0.0, 0.0, 0.0, 0.0]]))
        self.fail = False

    def forward(self, x):
        a = self.conv(self.pool(x))
        if self.fail:
            raise RuntimeError("boom")
        return self.fc(self.flatten(a))


P = np.array([[1.0, -2.0], [3.0, 0.5]], np.float32)          # the pooled image
IMAGE = np.kron(P, np.ones((2, 2), np.float32))[None]         # (1, 4, 4), constant 2×2 blocks
UP = np.array([[1, 0], [.75, .25], [.25, .75], [0, 1]], np.float32)   # bilinear 2 -> 4, align_corners=False


def test_gradcam_by_hand():
    """Channel weights are the mean head weights: target 0 -> (0.5, 0.25), so
    cam = 0.5·P + 0.25·2P = P; target 1 -> (-1, 0), cam = -P."""
    m = TinyCNN().eval()
    r = GradCAM(m, layer="conv").attribute(IMAGE, target=0)
    cam = np.maximum(P, 0)
    np.testing.assert_allclose(r.extras["cam"], cam, rtol=1e-6)
    np.testing.assert_allclose(r.attribution[0], UP @ cam @ UP.T, rtol=1e-6)
    assert r.attribution.shape == (1, 4, 4) and r.extras["layer"] == "conv"
    raw = GradCAM(m, layer="conv", relu=False).attribute(IMAGE, target=1)
    np.testing.assert_allclose(raw.extras["cam"], -P, rtol=1e-6)
    np.testing.assert_allclose(raw.attribution[0], UP @ -P @ UP.T, rtol=1e-6)
    relu = GradCAM(m, layer="conv").attribute(IMAGE, target=1)
    np.testing.assert_allclose(relu.extras["cam"], np.maximum(-P, 0), rtol=1e-6)
    assert not has_hooks(m)


def test_gradcam_removes_its_hook_when_the_forward_raises():
    m = TinyCNN().eval()
    m.fail = True
    with pytest.raises(RuntimeError, match="boom"):
        GradCAM(m, layer="conv").attribute(IMAGE, target=0)
    assert not has_hooks(m)


def test_gradcam_unknown_layer_is_a_parameter_error():
    with pytest.raises(ParameterError, match="conv"):
        GradCAM(TinyCNN(), layer="fc").attribute(IMAGE, target=0)


# ------------------------------------------------------------------ occlusion
def test_occlusion_single_features_of_a_linear_model():
    r = Occlusion(linear_model(), window=1, stride=1, fill=0.5).attribute(X, target=0)
    np.testing.assert_allclose(r.attribution, W[0] * (X - 0.5), rtol=1e-6)


def test_occlusion_overlapping_windows_average_the_drops():
    """Windows {0,1}, {1,2}, {2,3}: feature 1 gets the mean of the first two drops."""
    m = linear_model()
    contrib = W[0] * X                     # drop when a feature is set to 0
    drops = [contrib[0] + contrib[1], contrib[1] + contrib[2], contrib[2] + contrib[3]]
    expected = [drops[0], (drops[0] + drops[1]) / 2, (drops[1] + drops[2]) / 2, drops[2]]
    r = Occlusion(m, window=2, stride=1).attribute(X, target=0)
    np.testing.assert_allclose(r.attribution, expected, rtol=1e-6)
    assert r.extras["n_windows"] == 3


def test_occlusion_window_clipped_at_the_edge():
    """window 3, stride 2 on 4 features: windows start at 0 and 2 (the second clipped to {2,3})."""
    contrib = W[1] * X
    d0, d1 = contrib[:3].sum(), contrib[2:].sum()
    r = Occlusion(linear_model(), window=3, stride=2).attribute(X, target=1)
    np.testing.assert_allclose(r.attribution, [d0, d0, (d0 + d1) / 2, d1], rtol=1e-6)


def test_occlusion_bad_geometry_is_a_parameter_error():
    with pytest.raises(ParameterError, match="stride"):
        Occlusion(linear_model(), window=1, stride=2).attribute(X)
    with pytest.raises(ParameterError, match="larger than the input"):
        Occlusion(linear_model(), window=5, stride=1).attribute(X)

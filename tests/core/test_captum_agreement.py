"""Our methods against Captum's on the trained default models, held-out samples.

Tolerance: rtol 1e-5 plus atol 1e-6 × max|Captum's map| (elements near zero carry
float32 rounding from a different summation order: IG accumulates steps in float64).
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from captum import attr as ca

from explain_core.methods.base import has_hooks
from explain_core.methods.gradcam import GradCAM
from explain_core.methods.gradients import GradientXInput, IntegratedGradients, Saliency, SmoothGrad
from explain_core.methods.occlusion import Occlusion
from tests.core.test_affine_stem import _float64_ig as float64_ig
from tests.core.test_affine_stem import _rel_errors as rel_errors

N_DIGITS = 5


def assert_matches(ours: np.ndarray, ref: torch.Tensor, rtol: float = 1e-5) -> float:
    ref = ref.detach().numpy().reshape(ours.shape)
    scale = float(np.abs(ref).max())
    assert scale > 0, "a zero reference map proves nothing"
    np.testing.assert_allclose(ours, ref, rtol=rtol, atol=rtol / 10 * scale)
    return float(np.abs(ours - ref).max() / scale)


@pytest.fixture(scope="module")
def cnn_digits(service):
    model = service.torch_model("mnist-cnn")
    ids = service.dataset_for("mnist-cnn").test_idx[:N_DIGITS]
    xs = [service.input_tensor("mnist-cnn", int(i)) for i in ids]
    with torch.no_grad():
        targets = [int(model(x).argmax()) for x in xs]
    return model, xs, targets


@pytest.fixture(autouse=True)
def _quiet_captum():
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Input Tensor .* did not already require gradients")
        yield


def test_saliency_and_gradient_x_input_match_captum(cnn_digits):
    model, xs, targets = cnn_digits
    for x, t in zip(xs, targets):
        assert_matches(Saliency(model).attribute(x).attribution, ca.Saliency(model).attribute(x, target=t))
        assert_matches(Saliency(model, abs=False).attribute(x, target=t).attribution,
                       ca.Saliency(model).attribute(x, target=t, abs=False))
        assert_matches(GradientXInput(model).attribute(x).attribution,
                       ca.InputXGradient(model).attribute(x, target=t))
    assert not has_hooks(model)


@pytest.mark.parametrize("rule,n_steps", [("gausslegendre", 50), ("riemann_trapezoid", 32),
                                          ("riemann_left", 20), ("riemann_right", 20), ("riemann_middle", 20)])
def test_integrated_gradients_match_captum(cnn_digits, rule, n_steps):
    model, xs, targets = cnn_digits
    kinked = 0
    for x, t in zip(xs, targets):
        ours = IntegratedGradients(model, n_steps=n_steps, rule=rule).attribute(x)
        ref, delta = ca.IntegratedGradients(model).attribute(x, target=t, n_steps=n_steps, method=rule,
                                                              return_convergence_delta=True)
        # IG's batches of path points (>= 32 rows) run channels-last, 20-30% faster: float32
        # rounding then differs from Captum's by up to ~1e-5 of the map's maximum.
        try:
            assert_matches(ours.attribution, ref, rtol=1e-4)
            assert ours.delta == pytest.approx(float(delta), abs=1e-4)
        except AssertionError:
            # A ReLU or a max-pool within float32 rounding of its kink at one path point can
            # go either way in either computation (a 1/n_steps share of a few pixels). The
            # same integral in float64 decides: ours must be as close to it as Captum's.
            truth = float64_ig(model, x, 0.0, [t], rule, n_steps)[0]
            ours_err, captum_err = rel_errors([ours.attribution], [truth])[0], rel_errors([ref.numpy()], [truth])[0]
            assert ours_err <= max(captum_err, 1e-4) and ours_err < 2e-3, (ours_err, captum_err)
            kinked += 1
    assert kinked <= 1, f"{kinked} of {len(xs)} digits differ from Captum"


def test_integrated_gradients_batch_matches_captum(cnn_digits):
    model, xs, targets = cnn_digits
    X = torch.cat(xs)
    ours = IntegratedGradients(model, n_steps=16, batch_size=24).attribute_batch(X.numpy(), np.array(targets))
    ref = ca.IntegratedGradients(model).attribute(X, target=targets, n_steps=16)
    assert_matches(ours, ref)


@pytest.mark.parametrize("layer", ["conv1", "conv2"])
def test_gradcam_matches_captum(cnn_digits, layer):
    model, xs, targets = cnn_digits
    module = dict(model.named_modules())[layer]
    for x, t in zip(xs, targets):
        ours = GradCAM(model, layer=layer).attribute(x, target=t)
        low = ca.LayerGradCam(model, module).attribute(x, target=t, relu_attributions=True)
        up = ca.LayerAttribution.interpolate(low, (28, 28), "bilinear")
        assert_matches(ours.extras["cam"], low)
        assert_matches(ours.attribution, up)
    assert not has_hooks(model)


def test_gradcam_without_relu_matches_captum(cnn_digits):
    model, xs, targets = cnn_digits
    x, t = xs[0], (targets[0] + 1) % 10      # a class not predicted: negative evidence shows
    ours = GradCAM(model, layer="conv2", relu=False).attribute(x, target=t)
    low = ca.LayerGradCam(model, model.conv2).attribute(x, target=t, relu_attributions=False)
    assert_matches(ours.extras["cam"], low)
    assert (ours.extras["cam"] < 0).any()


@pytest.mark.parametrize("window,stride", [(4, 2), (3, 3), (5, 2)])
def test_occlusion_matches_captum(cnn_digits, window, stride):
    model, xs, targets = cnn_digits
    for x, t in zip(xs, targets):
        ours = Occlusion(model, window=window, stride=stride).attribute(x)
        ref = ca.Occlusion(model).attribute(x, target=t, sliding_window_shapes=(1, window, window),
                                            strides=(1, stride, stride), baselines=0.0,
                                            perturbations_per_eval=128)
        # f(x) comes from the same batched call as the windows (one model call in all), Captum's from a
        # call of its own: the two agree to float32 rounding of a batch (~2e-6 of the largest drop)
        assert_matches(ours.attribution, ref, rtol=5e-5)


def test_tabular_methods_match_captum(service):
    model = service.torch_model("breast-cancer-mlp")
    data = service.dataset_for("breast-cancer-mlp")
    baseline = data.X_train.mean(0)
    for i in data.test_idx[:N_DIGITS]:
        x = torch.as_tensor(data.X[i]).unsqueeze(0)
        t = int(model(x).argmax())
        assert_matches(Saliency(model).attribute(data.X[i]).attribution, ca.Saliency(model).attribute(x, target=t))
        ours = IntegratedGradients(model, n_steps=32, baseline=baseline).attribute(data.X[i])
        assert_matches(ours.attribution, ca.IntegratedGradients(model).attribute(
            x, baselines=torch.as_tensor(baseline).unsqueeze(0), target=t, n_steps=32))
        ours = Occlusion(model, window=3, stride=2, fill=1.5).attribute(data.X[i])
        assert_matches(ours.attribution, ca.Occlusion(model).attribute(
            x, target=t, sliding_window_shapes=(3,), strides=(2,), baselines=1.5))


def test_service_runners_match_captum(service, cnn_digits):
    """The registry's runners wire the parameters through unchanged."""
    model, _, _ = cnn_digits
    i = int(service.dataset_for("mnist-cnn").test_idx[0])
    x = service.input_tensor("mnist-cnn", i)
    t = int(model(x).argmax())
    r = service.explain("mnist-cnn", i, "gradcam")
    low = ca.LayerGradCam(model, model.conv2).attribute(x, target=t, relu_attributions=True)
    assert r.params["layer"] == "conv2" and r.target == t
    assert_matches(r.attribution, ca.LayerAttribution.interpolate(low, (28, 28), "bilinear"))
    r = service.explain("mnist-cnn", i, "occlusion", target=3)
    assert_matches(r.attribution, ca.Occlusion(model).attribute(x, target=3, sliding_window_shapes=(1, 4, 4),
                                                                strides=(1, 2, 2), baselines=0.0))
    r = service.explain("mnist-cnn", i, "integrated_gradients", n_steps=20, rule="riemann_middle")
    assert_matches(r.attribution, ca.IntegratedGradients(model).attribute(x, target=t, n_steps=20,
                                                                           method="riemann_middle"))


# ---------------------------------------------------------------- SmoothGrad (no exact oracle)
def test_smoothgrad_is_deterministic_for_a_seed(cnn_digits):
    model, xs, _ = cnn_digits
    a = SmoothGrad(model, n_samples=10, seed=7).attribute(xs[0]).attribution
    b = SmoothGrad(model, n_samples=10, seed=7).attribute(xs[0]).attribution
    c = SmoothGrad(model, n_samples=10, seed=8).attribute(xs[0]).attribution
    np.testing.assert_array_equal(a, b)
    assert np.abs(a - c).max() > 1e-3 * np.abs(a).max()


def test_smoothgrad_without_noise_is_saliency(cnn_digits):
    model, xs, targets = cnn_digits
    for x, t in zip(xs, targets):
        for use_abs in (True, False):
            sg = SmoothGrad(model, n_samples=5, noise_level=0.0, abs=use_abs).attribute(x, target=t)
            sal = Saliency(model, abs=use_abs).attribute(x, target=t)
            # identical rows in one batch may round differently from a 1-row call
            np.testing.assert_allclose(sg.attribution, sal.attribution, rtol=1e-5,
                                       atol=1e-6 * np.abs(sal.attribution).max())


def test_smoothgrad_batch_equals_per_sample(cnn_digits):
    model, xs, targets = cnn_digits
    X = torch.cat(xs).numpy()
    sg = SmoothGrad(model, n_samples=6, seed=1, batch_size=10)
    batch = sg.attribute_batch(X, np.array(targets))
    for x, t, b in zip(X, targets, batch):
        np.testing.assert_allclose(sg.attribute(x, target=t).attribution, b, rtol=1e-5, atol=1e-8)

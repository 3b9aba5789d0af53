"""Images of other shapes than MNIST's: a ResNet-style RGB CNN on 3×32×32 (BatchNorm, skip
connections) and a CNN on 1×8×8. Every method gives the input's shape, the gradient methods
and occlusion agree with Captum (rtol 1e-4), IG's completeness holds with both baselines,
and the size-dependent settings follow the image."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from captum import attr as ca

import glimpse
from explain_core.errors import ParameterError
from explain_core.methods.base import has_hooks
from explain_core.methods.gradients import SmoothGrad
from tests.api.captum_checks import gradients_agree_with_captum
from tests.api.image_models import rgb_images, rgb_resnet, small_digits, tiny_cnn
from tests.core.test_captum_agreement import assert_matches

METHODS = ("saliency", "gradient_x_input", "integrated_gradients", "smoothgrad", "gradcam", "occlusion", "lime")
CASES = {"rgb-resnet-32": (rgb_resnet, rgb_images), "cnn-8x8": (tiny_cnn, small_digits)}
# the defaults for the image's side (about a seventh of it): 32 px -> 5 and 2, 8 px -> 2 and 1
SIZED = {"rgb-resnet-32": {"window": 5, "stride": 2, "patch": 5}, "cnn-8x8": {"window": 2, "stride": 1, "patch": 2}}


@pytest.fixture(autouse=True)
def _quiet_captum():
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Input Tensor .* did not already require gradients")
        yield


@pytest.fixture(params=list(CASES))
def case(request):
    make_model, make_data = CASES[request.param]
    return request.param, make_model(), make_data()


def conv_names(model) -> list[str]:
    return [n for n, m in model.named_modules() if isinstance(m, torch.nn.Conv2d)]


def test_every_method_gives_the_inputs_shape(case):
    name, model, X = case
    for method in METHODS:
        r = glimpse.explain(model, X[3], method=method, data=X, **({"n_samples": 200} if method == "lime" else {}))
        assert r.attribution.shape == tuple(X.shape[1:]), method
        assert np.isfinite(r.attribution).all() and np.abs(r.attribution).sum() > 0, method
    for layer in conv_names(model):                       # Grad-CAM on any convolution layer, at H×W
        r = glimpse.explain(model, X[3], method="gradcam", layer=layer)
        assert r.attribution.shape == tuple(X.shape[1:]) and r.extras["layer"] == layer
    assert not has_hooks(model)


def test_gradient_methods_and_occlusion_agree_with_captum(case):
    name, model, X = case
    c = X.shape[1]
    for i in range(3):
        x = X[i:i + 1]
        t = gradients_agree_with_captum(model, x, 10)
        w, s = SIZED[name]["window"], SIZED[name]["stride"]
        ours = glimpse.explain(model, x[0], method="occlusion")             # the image-sized defaults
        assert (ours.params["window"], ours.params["stride"]) == (w, s)
        ref = ca.Occlusion(model).attribute(x, target=t, sliding_window_shapes=(c, w, w), strides=(c, s, s),
                                            baselines=0.0, perturbations_per_eval=64)
        assert_matches(ours.attribution, ref, rtol=1e-4)


def test_gradcam_on_every_layer_agrees_with_captum(case):
    _, model, X = case
    x = X[:1]
    t = int(model(x).argmax())
    modules = dict(model.named_modules())
    for layer in conv_names(model):
        ours = glimpse.explain(model, x[0], method="gradcam", layer=layer)
        low = ca.LayerGradCam(model, modules[layer]).attribute(x, target=t, relu_attributions=True)
        if float(low.detach().abs().max()) == 0:
            continue                       # nothing positive in this layer for this class: no oracle
        assert_matches(ours.extras["cam"], low, rtol=1e-4)
        up = ca.LayerAttribution.interpolate(low, tuple(X.shape[-2:]), "bilinear")
        assert_matches(ours.attribution[0], up[0], rtol=1e-4)
        assert (ours.attribution == ours.attribution[:1]).all()      # one value per pixel, every channel


@pytest.mark.parametrize("baseline", ["zero", "channel_mean"])
def test_integrated_gradients_completeness(case, baseline):
    _, model, X = case
    x = X[5]
    r = glimpse.explain(model, x, data=X, n_steps=200, baseline=baseline)
    base = torch.zeros_like(x) if baseline == "zero" else X.mean(dim=(0, 2, 3), keepdim=True)[0].expand_as(x)
    with torch.no_grad():
        diff = float(model(x[None])[0, r.target] - model(base[None])[0, r.target])
    assert abs(diff) > 1e-3
    assert float(r.attribution.sum()) == pytest.approx(diff, rel=1e-3, abs=1e-4)
    assert r.relative_delta < 1e-2
    if baseline == "channel_mean":       # the flat-colour baseline is Captum's with that baseline tensor
        ref = ca.IntegratedGradients(model).attribute(x[None], baselines=base[None], target=r.target, n_steps=200)
        assert_matches(r.attribution, ref, rtol=1e-4)


def test_per_channel_smoothgrad_scales_the_noise_by_each_channels_range():
    model, X = rgb_resnet(), rgb_images()
    x = X[0].clone()
    x[2] *= 0.1                                  # the blue channel spans a tenth of the others' range
    n, level, seed = 8, 0.2, 3
    ours = SmoothGrad(model, n_samples=n, noise_level=level, abs=False, seed=seed, noise_scale="channel")
    r = ours.attribute(x, target=4)
    noise = torch.randn((n, *x.shape), generator=torch.Generator().manual_seed(seed))
    span = x.flatten(1).max(1).values - x.flatten(1).min(1).values
    noisy = (x[None] + level * span.view(1, 3, 1, 1) * noise).requires_grad_(True)
    (grad,) = torch.autograd.grad(model(noisy)[:, 4].sum(), noisy)
    np.testing.assert_allclose(r.attribution, grad.mean(0).numpy(), rtol=1e-4, atol=1e-6 * float(grad.abs().max()))
    assert r.params["noise_scale"] == "channel"
    whole = SmoothGrad(model, n_samples=n, noise_level=level, abs=False, seed=seed).attribute(x, target=4)
    assert "noise_scale" not in whole.params and not np.allclose(whole.attribution, r.attribution)
    batch = ours.attribute_batch(x[None].numpy(), np.array([4]))[0]      # precompute's path: the same map
    np.testing.assert_allclose(batch, r.attribution, rtol=1e-4, atol=1e-6 * float(np.abs(batch).max()))


def test_sized_defaults_and_ranges_follow_the_image(case):
    name, model, X = case
    side = X.shape[-1]
    r = glimpse.explain(model, X[0], method="lime", n_samples=100)
    assert r.params["patch"] == SIZED[name]["patch"]
    assert r.extras["n_segments"] == (-(-side // SIZED[name]["patch"])) ** 2
    whole = glimpse.explain(model, X[0], method="occlusion", window=side, stride=side)   # up to the image's side
    assert whole.extras["n_windows"] == 1
    with pytest.raises(ParameterError, match=f"window must be between 1 and {side}"):
        glimpse.explain(model, X[0], method="occlusion", window=side + 1)
    with pytest.raises(ParameterError, match=f"patch must be between 2 and {side // 2}"):
        glimpse.explain(model, X[0], method="lime", patch=side // 2 + 1)


def test_the_colour_only_settings_are_refused_where_they_mean_nothing():
    from tests.api.models import functional_mlp, rows

    with pytest.raises(ParameterError, match="baseline must be one of zero, mean"):
        glimpse.explain(functional_mlp(), rows()[0], baseline="channel_mean")
    table = glimpse.explain(functional_mlp(), rows()[0], method="smoothgrad", noise_scale="channel")
    assert "noise_scale" not in table.params          # an image-only key is dropped for rows (as LIME's patch)
    with pytest.raises(ParameterError, match="noise_scale must be one of sample, channel"):
        glimpse.explain(rgb_resnet(), rgb_images()[0], method="smoothgrad", noise_scale="pixel")
    grey = glimpse.explain(tiny_cnn(), small_digits()[0], method="smoothgrad", noise_scale="channel")
    assert "noise_scale" not in grey.params       # one channel: the sample's range is the channel's


def test_show_serves_both_shapes_side_by_side_in_the_picker():
    svc = glimpse.build_service({"rgb": rgb_resnet(), "rgb again": rgb_resnet(1)}, rgb_images(20),
                                np.arange(20) % 10)
    info = svc.model_info("rgb")
    assert info.kind == "image" and info.input_shape == (3, 32, 32) and "stem.0" in info.conv_layers
    r = svc.explain("rgb", 3, "occlusion")
    assert r.params == {"window": 5, "stride": 2, "fill": 0.0} and r.attribution.shape == (3, 32, 32)
    assert svc.explain("rgb-again", 3, "smoothgrad", noise_scale="channel").attribution.shape == (3, 32, 32)
    small = glimpse.build_service(tiny_cnn(), small_digits(20), np.arange(20) % 10)
    assert small.explain("tinycnn", 0, "lime", n_samples=100).extras["n_segments"] == 16

"""Figure builders on images other than MNIST's: the RGB shortcut digits (3×28×28), the 8×8
digits (1×8×8) and a 3×224×224 map (no browser). The viewer's facts are read back from
the figures: the PNG pixels, the hover values, which panel is where."""
from __future__ import annotations

import json
import time

import numpy as np
import pytest

from dashboard.figures import attribution_figure, digit_thumbnail_uri, layer_weights_figure, lime_figure
from dashboard.figures.common import HOVER_CELLS_MAX
from dashboard.figures.images import display_values, shrink
from explain_core.data.shortcut import CUE_BOX
from explain_core.methods.base import Attribution, LayerWeights
from tests.dashboard.test_figures import colour_bar, image_sources, png_rgba, png_size, trace

RGB, SMALL = "shortcut-cnn", "digits-8x8-cnn"


@pytest.fixture(scope="module")
def rgb_idx(service) -> int:
    return int(service.dataset_for(RGB).test_idx[0])


def by_name(fig, name: str):
    return next(t for t in fig.data if t.name == name)


def test_an_rgb_thumbnail_keeps_its_colours(service, rgb_idx):
    x = service.sample(RGB, rgb_idx).inputs
    px = png_rgba(digit_thumbnail_uri(x))
    assert px.shape == (28, 28, 4) and (px[..., 3] == 255).all()
    np.testing.assert_allclose(px[..., :3], np.rint(255 * x.transpose(1, 2, 0)), atol=1)
    corner = px[CUE_BOX][..., :3].reshape(-1, 3)
    assert (corner == corner[0]).all() and corner[0].std() > 40        # one saturated colour, not grey


def test_a_grey_8x8_thumbnail_is_ink_on_white_at_8_pixels(service):
    x = service.sample(SMALL, 0).inputs
    grey = png_rgba(digit_thumbnail_uri(x))[..., 0].astype(float)
    assert grey.shape == (8, 8)
    assert np.corrcoef(grey.ravel(), x[0].ravel())[0, 1] < -0.99


def test_big_images_travel_as_small_thumbnails():
    x = np.random.default_rng(0).random((3, 224, 224)).astype(np.float32)
    uri = digit_thumbnail_uri(x)
    assert png_size(uri) == (56, 56) and len(uri) < 15_000       # averaged 4×4: one page of 40 stays small
    np.testing.assert_allclose(shrink(x, 64), x.reshape(3, 56, 4, 56, 4).mean(axis=(2, 4)), rtol=1e-6)


def test_values_outside_0_1_are_stretched_for_display_not_clipped():
    normalised = np.linspace(-2.1, 2.6, 12).reshape(3, 2, 2)      # e.g. ImageNet mean/std inputs
    shown = display_values(normalised)
    assert shown.min() == 0 and shown.max() == 1
    np.testing.assert_allclose(display_values(normalised * 0 + np.arange(4).reshape(2, 2) * 60), [[0, 60 / 255],
                               [120 / 255, 180 / 255]] * np.ones((3, 1, 1)), rtol=1e-6)


def test_an_rgb_map_is_summed_over_channels_beside_the_input(service, rgb_idx):
    result = service.explain(RGB, rgb_idx, "integrated_gradients")
    fig = attribution_figure(result)
    summed = result.attribution.sum(axis=0)
    np.testing.assert_allclose(trace(fig, "values").z, summed, atol=1e-7)
    _, lo, hi = colour_bar(fig)
    assert lo == -hi and hi == pytest.approx(np.abs(summed).max(), rel=1e-6)
    original = by_name(fig, "input (RGB)")
    assert original.x0 < -27 and fig.layout.xaxis.range[0] < original.x0      # left of the map, in view
    np.testing.assert_allclose(png_rgba(original.source)[..., :3], np.rint(255 * result.inputs.transpose(1, 2, 0)),
                               atol=1)
    faded = png_rgba(by_name(fig, "input").source)[..., :3].astype(int)
    assert faded.min() >= 150                                       # under the map: faded towards white
    assert len(image_sources(fig)) == 3
    assert "channels summed" in fig.layout.title.subtitle.text


@pytest.mark.parametrize("method", ["gradcam", "occlusion", "lime"])
def test_a_map_with_one_value_per_pixel_is_not_tripled(service, rgb_idx, method):
    result = service.explain(RGB, rgb_idx, method, **({"n_samples": 300} if method == "lime" else {}))
    assert (result.attribution == result.attribution[:1]).all()
    fig = (lime_figure if method == "lime" else attribution_figure)(result)
    np.testing.assert_allclose(trace(fig, "values").z, result.attribution[0], atol=1e-7)
    if method != "lime":
        per_channel = attribution_figure(result, per_channel=True)
        assert "all channels share it" in per_channel.layout.title.subtitle.text
        assert len([t for t in per_channel.data if t.type == "heatmap"]) == 1


def test_the_per_channel_view_has_a_panel_per_channel_on_one_scale(service, rgb_idx):
    result = service.explain(RGB, rgb_idx, "gradient_x_input")
    fig = attribution_figure(result, per_channel=True)
    a = result.attribution
    _, lo, hi = colour_bar(fig)
    assert hi == pytest.approx(np.abs(a).max(), rel=1e-6) and lo == -hi
    lefts = []
    for k, name in enumerate(("red", "green", "blue")):
        hover = trace(fig, f"{name} values")
        np.testing.assert_allclose(hover.z, a[k], atol=1e-7)
        np.testing.assert_array_equal(np.asarray(hover.customdata)[..., 1], np.tile(np.arange(28), (28, 1)))
        lefts.append(hover.x[0])
        assert by_name(fig, f"{name} attribution").x0 == hover.x[0]
    assert lefts[0] == 0 and lefts[1] - lefts[0] == lefts[2] - lefts[1] > 28          # side by side, a gap
    assert list(trace(fig, "panel labels").text) == ["input", "red", "green", "blue"]
    json.loads(fig.to_json())


def test_an_8x8_map_and_its_lime_segments(service):
    r = service.explain(SMALL, 0, "integrated_gradients")
    fig = attribution_figure(r)
    assert [png_size(s) for s in image_sources(fig)] == [(8, 8), (8, 8)]
    np.testing.assert_allclose(trace(fig, "values").z, r.attribution[0], atol=1e-7)
    lime = service.explain(SMALL, 0, "lime", n_samples=300)
    assert lime.params["patch"] == 2 and lime.extras["n_segments"] == 16
    lines = trace(lime_figure(lime), "segment boundaries")
    xs = np.array([v for v in lines.x if v is not None], float)
    assert set(xs[0::2][xs[0::2] == xs[1::2]]) == {1.5, 3.5, 5.5}      # between every 2nd column


def test_rgb_first_layer_kernels_also_show_as_colours(service):
    conv1 = service.explain(RGB, 0, "weights").layers[0]
    assert conv1.weights.shape == (16, 3, 3, 3)
    fig = layer_weights_figure(conv1)
    row = by_name(fig, "RGB kernels")
    px = png_rgba(row.source)[..., :3].astype(float)
    scale = np.abs(conv1.weights).max()
    np.testing.assert_allclose(px[:, :3], np.rint(255 * (0.5 + conv1.weights[0].transpose(1, 2, 0) / (2 * scale))),
                               atol=1)
    assert list(fig.layout.yaxis.ticktext) == ["red", "green", "blue", "RGB"]
    assert row.y0 == 3 * 4                                            # below the three channel rows
    assert fig.layout.yaxis.range[0] > row.y0 + 2


def test_an_mlp_on_colour_images_shows_its_templates_per_pixel():
    w = np.random.default_rng(0).normal(size=(5, 3, 8, 8)).astype(np.float32)
    fig = layer_weights_figure(LayerWeights("fc1", "dense_image", w, np.zeros(5, np.float32)))
    assert "averaged over 3 channels" in fig.layout.title.text
    assert np.nanmax(np.abs(trace(fig, "values").z)) == pytest.approx(np.abs(w.mean(axis=1)).max(), rel=1e-6)


def test_a_224_map_is_fast_and_small():
    rng = np.random.default_rng(0)             # photo-like: smooth shapes and some noise
    yy, xx = np.mgrid[0:224, 0:224] / 224.0
    x = np.clip(np.stack([np.sin(6 * xx) * yy, xx * yy, np.cos(5 * yy)]) * 0.5 + 0.5
                + 0.03 * rng.normal(size=(3, 224, 224)), 0, 1).astype(np.float32)
    a = (np.stack([np.sin(9 * xx + k) * np.cos(7 * yy) for k in range(3)]) * np.exp(-8 * (xx - 0.5) ** 2)
         + 0.02 * rng.normal(size=(3, 224, 224))).astype(np.float32)
    result = Attribution("integrated_gradients", a, x, 3, {})
    start = time.perf_counter()
    for per_channel in (False, True):
        fig = attribution_figure(result, per_channel=per_channel)
        text = fig.to_json()
        heatmaps = [t for t in fig.data if t.type == "heatmap"]
        assert all(np.size(t.z) <= HOVER_CELLS_MAX for t in heatmaps)
        assert len(text) < 700_000, len(text)                # measured: 444 KiB summed, 618 KiB per channel
    assert time.perf_counter() - start < 1.0            # both figures built and serialised (measured ~0.1 s)
    fig = attribution_figure(result)
    under = by_name(fig, "input")                       # the faded context: half the pixels a side, stretched
    assert png_size(under.source) == (112, 112) and (under.dx, under.dy, under.x0) == (2, 2, 0.5)
    assert png_size(by_name(fig, "attribution").source) == (224, 224)      # the map itself at full size
    hover = trace(fig, "values")
    b = -(-224 // np.shape(hover.z)[0])          # 3×3 blocks: 75×75 hover cells
    assert np.asarray(hover.z)[0, 0] == pytest.approx(a.sum(axis=0)[:b, :b].mean(), rel=1e-4)

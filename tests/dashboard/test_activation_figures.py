"""Layer activation figures on real results (no browser): mosaics, outlines, scales, bars."""
from __future__ import annotations

import numpy as np
import plotly.colors as pc
import pytest

from dashboard.figures import DIVERGING, layer_activation_figure
from dashboard.figures.common import HIGHLIGHT
from tests.dashboard.figure_helpers import (acts, colour_bar, idx, image_sources, label_positions,  # noqa: F401
                                            png_rgba, png_size, scale_end, trace)   # idx: acts uses it


# ------------------------------------------------------------------------------ activations
def test_conv_mosaic_shows_every_channel_once_with_its_values(acts):
    layer = acts.layer("conv2")
    C, H, W = layer.values.shape
    fig = layer_activation_figure(layer)
    labels = label_positions(fig, "channel labels")
    assert sorted(labels) == list(range(C))
    hover = trace(fig, "values")
    z, cd = np.asarray(hover.z, float), np.asarray(hover.customdata)
    (src,) = image_sources(fig)
    assert png_size(src) == (z.shape[1], z.shape[0])           # image and hover grid agree
    for k in range(C):
        rows, cols = np.nonzero((cd == k) & ~np.isnan(z))
        assert rows.size == H * W, f"channel {k} should fill one {H}×{W} tile"
        tile = z[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
        assert np.allclose(tile, layer.values[k], atol=1e-6)
        x0, y0 = labels[k]                                      # the label sits at the tile's corner
        assert (x0, y0) == (cols.min() - 0.5, rows.min() - 0.5)
    assert np.isnan(z).sum() == z.size - C * H * W              # gaps hold no values
    assert f"{C} feature maps ({H}×{W})" in fig.layout.title.text and "top 5" in fig.layout.title.text


def test_top_k_outlined_channels_have_the_largest_mean(acts):
    layer = acts.layer("relu2")
    means = layer.values.reshape(len(layer.values), -1).mean(axis=1)
    fig = layer_activation_figure(layer, top_k=5)
    corners = {pos: k for k, pos in label_positions(fig, "channel labels").items()}
    outlined = [corners[(s.x0, s.y0)] for s in fig.layout.shapes]
    assert len(outlined) == 5
    assert set(outlined) == set(np.argsort(-means)[:5].tolist())
    assert all(means[k] >= np.sort(means)[-5] for k in outlined)
    assert all(s.line.color == HIGHLIGHT for s in fig.layout.shapes)


def test_signed_maps_get_a_symmetric_diverging_scale(acts):
    layer = acts.layer("conv2")                                  # before the ReLU: signed
    assert layer.values.min() < 0 < layer.values.max()
    scale, lo, hi = colour_bar(layer_activation_figure(layer))
    assert lo == -hi and hi == pytest.approx(np.abs(layer.values).max(), rel=1e-6)
    assert scale[0][1] == pc.get_colorscale(DIVERGING)[0][1]


def test_non_negative_maps_get_viridis_and_the_brightest_pixel_is_the_maximum(acts):
    layer = acts.layer("relu2")
    assert layer.values.min() >= 0
    fig = layer_activation_figure(layer)
    scale, lo, hi = colour_bar(fig)
    assert lo == 0 and hi == pytest.approx(layer.values.max(), rel=1e-6)
    assert scale[-1][1].lower() == pc.get_colorscale("Viridis")[-1][1].lower()
    z = np.asarray(trace(fig, "values").z, float)
    px = png_rgba(image_sources(fig)[0])
    r, c = np.unravel_index(np.nanargmax(z), z.shape)
    assert np.allclose(px[r, c, :3], scale_end("Viridis", -1), atol=2)
    r, c = np.unravel_index(np.nanargmin(z), z.shape)
    assert np.allclose(px[r, c, :3], scale_end("Viridis", 0), atol=2)


def test_big_mosaic_hovers_per_channel(acts):
    layer = acts.layer("conv1")                                  # 16 maps of 28×28: too many cells per pixel
    fig = layer_activation_figure(layer)
    hover = trace(fig, "values")
    z, cd = np.asarray(hover.z, float), np.asarray(hover.customdata, float)
    means = layer.values.reshape(16, -1).mean(axis=1)
    got = {int(ch): m for ch, m in zip(cd[..., 0].ravel(), z.ravel()) if not np.isnan(m)}
    assert sorted(got) == list(range(16))
    assert np.allclose([got[k] for k in range(16)], means, rtol=1e-5)
    assert len(trace(fig, "channel labels").text) == 16


def test_dense_layer_bars_highlight_the_top_units(acts):
    layer = acts.layer("fc1")
    fig = layer_activation_figure(layer, top_k=3)
    bars = fig.data[0]
    assert np.allclose(bars.y, layer.values)
    hot = np.flatnonzero(np.asarray(bars.marker.color) == 1)
    assert set(hot.tolist()) == set(np.argsort(-layer.values)[:3].tolist())
    assert list(trace(fig, "top unit labels").customdata) == np.argsort(-layer.values, kind="stable")[:3].tolist()

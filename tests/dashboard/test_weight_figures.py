"""Layer weight figures on real results (no browser): kernels, filters, templates, matrices."""
from __future__ import annotations

import numpy as np
import pytest

from dashboard.figures import layer_weights_figure
from tests.dashboard.figure_helpers import (cnn_weights, colour_bar, image_sources, label_positions, png_rgba,
                                            png_size, trace)


# ------------------------------------------------------------------------------ weights
def test_conv2_kernels_fill_an_out_by_in_grid(cnn_weights):
    layer = next(lw for lw in cnn_weights.layers if lw.name == "conv2")
    out, inp, kh, kw = layer.weights.shape
    fig = layer_weights_figure(layer)
    (src,) = image_sources(fig)
    assert png_size(src) == (out * (kw + 1) - 1, inp * (kh + 1) - 1)   # one tile per (out, in), 1-px gaps
    hover = trace(fig, "values")
    z, cd = np.asarray(hover.z, float), np.asarray(hover.customdata)
    for o, i in [(0, 0), (5, 3), (out - 1, inp - 1), (17, 11)]:
        cells = (cd[..., 0] == o) & (cd[..., 1] == i) & ~np.isnan(z)
        rows, cols = np.nonzero(cells)
        assert rows.size == kh * kw
        assert np.allclose(z[rows.min():rows.max() + 1, cols.min():cols.max() + 1], layer.weights[o, i], atol=1e-7)
    _, lo, hi = colour_bar(fig)
    assert lo == -hi == pytest.approx(-np.abs(layer.weights).max(), rel=1e-6)
    assert list(fig.layout.xaxis.ticktext) == [str(o) for o in range(out)]


def test_conv1_filters_are_labelled_tiles(cnn_weights):
    layer = next(lw for lw in cnn_weights.layers if lw.name == "conv1")
    fig = layer_weights_figure(layer)
    assert sorted(label_positions(fig, "filter labels")) == list(range(layer.weights.shape[0]))
    z = np.asarray(trace(fig, "values").z, float)
    assert (~np.isnan(z)).sum() == layer.weights.size
    assert png_size(image_sources(fig)[0]) == (z.shape[1], z.shape[0])


def test_mlp_first_layer_is_a_grid_of_28px_templates(service):
    layer = service.explain("mnist-mlp", 0, "weights").layers[0]
    assert layer.kind == "dense_image"
    n = layer.weights.shape[0]
    fig = layer_weights_figure(layer)
    assert sorted(label_positions(fig, "unit labels")) == list(range(n))
    w, h = png_size(image_sources(fig)[0])
    px = png_rgba(image_sources(fig)[0])
    assert (px[..., 3] == 255).sum() == n * 28 * 28                    # exactly n opaque 28×28 tiles
    hover = trace(fig, "values")
    cd = np.asarray(hover.customdata, float)
    z = np.asarray(hover.z, float)
    got = {int(u): m for u, m in zip(cd[..., 0].ravel(), z.ravel()) if not np.isnan(m)}
    assert np.allclose([got[u] for u in range(n)], layer.weights.reshape(n, -1).mean(axis=1), rtol=1e-5)
    _, lo, hi = colour_bar(fig)
    assert lo == -hi and hi == pytest.approx(np.abs(layer.weights).max(), rel=1e-6)
    assert w > h  # a landscape grid for a landscape screen


def test_tabular_first_layer_names_its_inputs(service):
    info = service.model_info("breast-cancer-mlp")
    layer = service.explain("breast-cancer-mlp", 0, "weights").layers[0]
    fig = layer_weights_figure(layer)
    heat = fig.data[0]
    assert list(heat.x) == list(info.feature_names)
    assert np.allclose(heat.z, layer.weights)
    assert heat.zmin == -heat.zmax == pytest.approx(-np.abs(layer.weights).max(), rel=1e-6)


def test_big_dense_matrix_is_one_image_pixel_per_weight(cnn_weights):
    layer = next(lw for lw in cnn_weights.layers if lw.name == "fc1")
    out, inp = layer.weights.shape[0], int(np.prod(layer.weights.shape[1:]))    # (64, 32, 7, 7): 64 × 1568
    fig = layer_weights_figure(layer)
    assert png_size(image_sources(fig)[0]) == (inp, out)
    _, lo, hi = colour_bar(fig)
    assert lo == -hi

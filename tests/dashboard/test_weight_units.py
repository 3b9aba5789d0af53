"""The per-unit weight figures: a unit's row of the weight matrix drawn in the shape of what
it reads (fc1 of the CNN: 32 channel maps of 7×7; the MLP's first layer: a 28×28 image)."""
from __future__ import annotations

import numpy as np
import pytest

from dashboard.figures.weight_units import per_unit, strongest_units, top_units_figure, unit_maps_figure
from dashboard.tabs.weights import render
from explain_core.methods.base import LayerWeights
from tests.dashboard.test_figures import colour_bar, image_sources, png_size, trace


@pytest.fixture(scope="module")
def fc1(service):
    return next(lw for lw in service.explain("mnist-cnn", 0, "weights").layers if lw.name == "fc1")


@pytest.fixture(scope="module")
def mlp_fc1(service):
    return service.explain("mnist-mlp", 0, "weights").layers[0]


def tiles_of(fig, h, w):
    """{(tile id from customdata[0]...): values} of the hover trace, keyed by the first customdata."""
    hover = trace(fig, "values")
    return np.asarray(hover.z, float), np.asarray(hover.customdata)


def test_cnn_fc1_unit_is_32_maps_of_7x7_equal_to_its_row(service, fc1):
    model = service.torch_model("mnist-cnn")
    row = model.fc1.weight.detach().numpy()[17]                 # the matrix's row 17: 1568 weights
    assert per_unit(fc1) and fc1.weights.shape == (64, 32, 7, 7)
    fig = unit_maps_figure(fc1, 17)
    z, cd = tiles_of(fig, 7, 7)
    maps = row.reshape(32, 7, 7)
    for ch in range(32):
        cells = (cd[..., 0] == ch) & ~np.isnan(z)
        rows, cols = np.nonzero(cells)
        assert rows.size == 49
        block = z[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
        np.testing.assert_allclose(block, maps[ch], atol=0)
        # the hover's (row, col) inside the map
        assert cd[rows.min(), cols.min(), 1] == 0 and cd[rows.max(), cols.max(), 2] == 6
    _, lo, hi = colour_bar(fig)
    assert lo == -hi == pytest.approx(-np.abs(row).max(), rel=1e-6)     # centred at 0, this unit's range
    w, h = png_size(image_sources(fig)[0])
    assert (w, h) == (16 * 8 - 1, 2 * (7 + 3 + 1) - 1)                 # 16 × 2 tiles, gaps and label rows
    assert sorted(trace(fig, "channel labels").text) == sorted(f"ch {c}" for c in range(32))
    title = fig.layout.title.text + fig.layout.title.subtitle.text
    assert "unit 17" in title and "32 channel maps (7×7)" in title and "red raises the unit" in title


def test_mlp_first_layer_unit_is_one_28x28_image(service, mlp_fc1):
    row = service.torch_model("mnist-mlp").fc1.weight.detach().numpy()[5]
    fig = unit_maps_figure(mlp_fc1, 5)
    assert png_size(image_sources(fig)[0]) == (28, 28)
    z = np.asarray(trace(fig, "values").z, float)
    np.testing.assert_allclose(z, row.reshape(28, 28), atol=0)
    assert "as a 28×28 image" in fig.layout.title.text


def test_strongest_units_by_norm_in_rows_of_channel_maps(fc1):
    w = np.asarray(fc1.weights, float).reshape(64, -1)
    norms = np.linalg.norm(w, axis=1)
    top = strongest_units(fc1, 8)
    assert list(top) == list(np.argsort(-norms)[:8])
    assert norms[top[0]] == norms.max() and all(np.diff(norms[top]) <= 0)
    fig = top_units_figure(fc1, 8)
    z, cd = tiles_of(fig, 7, 7)
    assert z.shape == (8 * 8 - 1, 32 * 8 - 1)                          # 8 unit rows × 32 channel columns
    for r, u in enumerate(top[:3]):
        for ch in (0, 13, 31):
            block = z[r * 8:r * 8 + 7, ch * 8:ch * 8 + 7]
            np.testing.assert_allclose(block, fc1.weights[u, ch], atol=0)
            assert cd[r * 8, ch * 8, 0] == u and cd[r * 8, ch * 8, 1] == ch
    assert [t.split(" ")[1] for t in fig.layout.yaxis.ticktext] == [str(u) for u in top]
    _, lo, hi = colour_bar(fig)
    assert lo == -hi == pytest.approx(-np.abs(fc1.weights[top]).max(), rel=1e-6)


def test_strongest_mlp_units_are_labelled_28px_tiles(mlp_fc1):
    fig = top_units_figure(mlp_fc1, 4)
    top = strongest_units(mlp_fc1, 4)
    assert list(trace(fig, "unit labels").text) == [f"unit {u}" for u in top]
    z = np.asarray(trace(fig, "values").z, float)
    assert (~np.isnan(z)).sum() == 4 * 28 * 28


def test_a_layer_without_a_shape_is_not_per_unit():
    plain = LayerWeights("fc2", "dense", np.ones((3, 4), np.float32), None)
    assert not per_unit(plain)


def texts(children) -> str:
    return str(children)


def test_the_tab_draws_the_chosen_view_and_names_a_bad_unit(service):
    def title(children):
        return children[0].figure.layout.title.text
    assert "strongest units" in title(render(service, "mnist-cnn", "fc1"))
    assert "unit 63's" in title(render(service, "mnist-cnn", "fc1", "unit", 63))
    assert "weight matrix 64 units × 1568 inputs" in title(render(service, "mnist-cnn", "fc1", "whole"))
    assert "kernels" in title(render(service, "mnist-cnn", "conv2", "unit", 3))      # a conv layer: drawn whole
    for bad in (64, -1, 2.5, "x"):
        out = render(service, "mnist-cnn", "fc1", "unit", bad)
        assert "must be a whole number from 0 to 63" in texts(out), bad
    assert "weights view" in texts(render(service, "mnist-cnn", "fc1", "sideways", 0))

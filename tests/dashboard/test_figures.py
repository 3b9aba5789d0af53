"""Figure builders on real results from the trained default models (no browser).

What a viewer relies on is checked through the figure itself: the tiles an image holds,
which channels are outlined, the colour a value gets (PNG pixels decoded with Pillow),
the sort order and names of bars, the tree's nodes and highlighted path.
"""
from __future__ import annotations

import base64
import io
import json
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import plotly.colors as pc
import pytest

from dashboard.figures import (DIVERGING, attribution_figure, digit_thumbnail_uri, empty_figure,
                               layer_activation_figure, layer_weights_figure, lime_figure, png_data_uri,
                               probability_figure, tree_figure)
from dashboard.figures.common import HIGHLIGHT, NEUTRAL, POSITIVE, PRIMARY, SECOND
from dashboard.figures.tree import tree_layout

Image = pytest.importorskip("PIL.Image")
REPO = Path(__file__).resolve().parents[2]


# ------------------------------------------------------------------------------ helpers
def png_bytes(uri: str) -> bytes:
    head, data = uri.split(",", 1)
    assert head == "data:image/png;base64"
    return base64.b64decode(data)


def png_size(uri: str) -> tuple[int, int]:
    """(width, height) read straight from the PNG signature and IHDR chunk."""
    raw = png_bytes(uri)
    assert raw[:8] == b"\x89PNG\r\n\x1a\n" and raw[12:16] == b"IHDR"
    return struct.unpack(">II", raw[16:24])


def png_rgba(uri: str) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png_bytes(uri))).convert("RGBA"))


def trace(fig, name: str):
    found = [t for t in fig.data if t.name == name]
    assert len(found) == 1, f"expected one trace named {name!r}, got {[t.name for t in fig.data]}"
    return found[0]


def colour_bar(fig):
    """(colorscale, cmin, cmax) of the trace that draws the figure's colour bar."""
    for t in fig.data:
        if t.type == "scatter" and t.marker is not None and t.marker.showscale:
            return t.marker.colorscale, t.marker.cmin, t.marker.cmax
        if t.type == "heatmap" and t.showscale is not False:
            return t.colorscale, t.zmin, t.zmax
    raise AssertionError("no colour bar")


def scale_end(name: str, end: int) -> np.ndarray:
    c = pc.get_colorscale(name)[end][1]
    return np.array(pc.hex_to_rgb(c) if c.startswith("#") else pc.unlabel_rgb(c), float)


def label_positions(fig, name: str) -> dict[int, tuple[float, float]]:
    t = trace(fig, name)
    return {int(k): (float(x), float(y)) for k, x, y in zip(t.customdata, t.x, t.y)}


def image_sources(fig) -> list[str]:
    return [t.source for t in fig.data if t.type == "image"]


# ------------------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def idx(service) -> int:
    """A held-out digit."""
    return int(np.flatnonzero(service.samples("mnist-cnn").is_test)[0])


@pytest.fixture(scope="module")
def acts(service, idx):
    return service.explain("mnist-cnn", idx, "activations")


@pytest.fixture(scope="module")
def cnn_weights(service):
    return service.explain("mnist-cnn", 0, "weights")


@pytest.fixture(scope="module")
def tab_idx(service) -> int:
    return int(np.flatnonzero(service.samples("breast-cancer-mlp").is_test)[0])


# ------------------------------------------------------------------------------ package
def test_figures_package_imports_neither_torch_nor_dash():
    """Load dashboard.figures without running dashboard/__init__ (the app, which may pull
    in the service): the figure code itself must stay free of torch, Dash and explain_core."""
    code = (
        "import sys, types\n"
        f"pkg = types.ModuleType('dashboard'); pkg.__path__ = [{str(REPO / 'dashboard')!r}]\n"
        "sys.modules['dashboard'] = pkg\n"
        "import dashboard.figures\n"
        "bad = sorted(m for m in ('torch', 'dash', 'explain_core') if m in sys.modules)\n"
        "print(','.join(bad))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert out.stdout.strip() == "", f"dashboard.figures imported {out.stdout.strip()}"


# ------------------------------------------------------------------------------ common
def test_png_data_uri_header_size_and_colours():
    a = np.array([[-2.0, 0.0, 2.0, np.nan, 1.0]] * 3)          # 3 rows, 5 columns
    uri = png_data_uri(a, DIVERGING, -2.0, 2.0)
    assert png_size(uri) == (5, 3)
    px = png_rgba(uri)
    assert px.shape == (3, 5, 4)
    assert np.allclose(px[0, 0, :3], scale_end(DIVERGING, 0), atol=2)      # -max -> blue end
    assert np.allclose(px[0, 2, :3], scale_end(DIVERGING, -1), atol=2)     # +max -> red end
    assert (px[0, 1, :3] >= 240).all()                                      # 0 -> white centre
    assert px[0, 3, 3] == 0 and (px[:, [0, 1, 2, 4], 3] == 255).all()      # NaN -> transparent


def test_digit_thumbnail_is_a_28px_ink_on_white_png(service, idx):
    x = service.sample("mnist-cnn", idx).inputs
    uri = digit_thumbnail_uri(x)
    assert png_size(uri) == (28, 28)
    grey = png_rgba(uri)[..., 0].astype(float)
    assert grey[x[0] == 0].min() == 255                      # background is white paper
    assert grey[x[0] == x[0].max()].max() < 60               # the strongest stroke is dark ink
    assert np.corrcoef(grey.ravel(), x[0].ravel())[0, 1] < -0.99


def test_empty_figure_carries_the_message():
    fig = empty_figure("No convolution layers in this model")
    assert [a.text for a in fig.layout.annotations] == ["No convolution layers in this model"]
    json.loads(fig.to_json())


# ------------------------------------------------------------------------------ samples
def test_probability_figure_highlights_prediction_and_true_label(service):
    table = service.samples("mnist-cnn")
    wrong = np.flatnonzero(table.predictions != table.labels)
    assert wrong.size, "the CNN should get at least one digit wrong"
    i = int(wrong[0])
    s = service.sample("mnist-cnn", i)
    names = service.model_info("mnist-cnn").class_names
    fig = probability_figure(s.probabilities, names, s.label, s.prediction)
    bars = fig.data[0]
    assert np.allclose(bars.x, s.probabilities)
    assert list(bars.y) == [str(n) for n in names]
    colours = list(bars.marker.color)
    assert colours[s.prediction] == PRIMARY and colours[s.label] == SECOND
    assert all(c == NEUTRAL for k, c in enumerate(colours) if k not in (s.prediction, s.label))
    assert "predicted" in bars.text[s.prediction] and "true" in bars.text[s.label]
    assert "misclassified" in fig.layout.title.text and f"predicted {names[s.prediction]}" in fig.layout.title.text


def test_probability_figure_for_a_correct_prediction(service, idx):
    s = service.sample("mnist-cnn", idx)
    assert s.label == s.prediction
    fig = probability_figure(s.probabilities, service.model_info("mnist-cnn").class_names, s.label, s.prediction)
    colours = list(fig.data[0].marker.color)
    assert colours.count(PRIMARY) == 1 and SECOND not in colours
    assert "correct" in fig.layout.title.text


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


# ------------------------------------------------------------------------------ attribution
def test_ig_over_the_digit(service, idx):
    result = service.explain("mnist-cnn", idx, "integrated_gradients")
    a = result.attribution[0]
    fig = attribution_figure(result)
    base, overlay = image_sources(fig)
    assert png_size(base) == png_size(overlay) == (28, 28)
    hover = trace(fig, "values")
    assert np.allclose(hover.z, a, atol=1e-7)
    assert np.allclose(hover.customdata, result.inputs[0], atol=1e-6)     # the pixel's own value
    _, lo, hi = colour_bar(fig)
    assert lo == -hi and hi == pytest.approx(np.abs(a).max(), rel=1e-6)
    px = png_rgba(overlay)
    r, c = np.unravel_index(np.abs(a).argmax(), a.shape)
    end = scale_end(DIVERGING, -1 if a[r, c] > 0 else 0)
    assert px[r, c, 3] == 255 and np.allclose(px[r, c, :3], end, atol=2)   # strongest pixel: full colour
    assert (px[..., 3][a == 0] == 0).all()                                  # zero attribution: see-through
    title = fig.layout.title.text + " " + fig.layout.title.subtitle.text
    assert "Integrated gradients" in title and f"class {result.target}" in title
    assert "δ" not in title     # the completeness check is printed once, in full, under the map


def test_magnitude_maps_use_a_sequential_scale(service, idx):
    result = service.explain("mnist-cnn", idx, "saliency")            # abs=True by default
    assert result.attribution.min() >= 0
    scale, lo, hi = colour_bar(attribution_figure(result))
    assert lo == 0 and hi == pytest.approx(result.attribution.max(), rel=1e-6)
    assert scale[0][1] != pc.get_colorscale(DIVERGING)[0][1]


def test_tabular_attribution_bars_are_sorted_by_magnitude_and_named(service, tab_idx):
    info = service.model_info("breast-cancer-mlp")
    result = service.explain("breast-cancer-mlp", tab_idx, "integrated_gradients")
    fig = attribution_figure(result, feature_names=info.feature_names)
    bars = fig.data[0]
    x = np.asarray(bars.x)
    assert len(x) == min(20, len(info.feature_names))
    assert (np.diff(np.abs(x)) <= 1e-12).all()                              # largest |value| first
    expected = np.argsort(-np.abs(result.attribution), kind="stable")[:len(x)]
    # each row names the feature and this row's value of it (issue 12)
    assert list(bars.y) == [f"{info.feature_names[i]} = {float(result.inputs[i]):.3g}" for i in expected]
    assert np.allclose(x, result.attribution[expected])
    assert np.allclose(bars.customdata, result.inputs[expected])
    assert all((c == POSITIVE) == (v >= 0) for c, v in zip(bars.marker.color, x))
    assert fig.layout.yaxis.autorange == "reversed"


# ------------------------------------------------------------------------------ LIME
def test_lime_tabular_bars_are_the_top_features(service, tab_idx):
    info = service.model_info("breast-cancer-mlp")
    result = service.explain("breast-cancer-mlp", tab_idx, "lime", n_samples=300)
    fig = lime_figure(result, info.feature_names)
    bars = fig.data[0]
    top = result.extras["top_features"]
    assert list(bars.y) == [name for name, _ in top]
    assert np.allclose(bars.x, [w for _, w in top])
    index = [info.feature_names.index(name) for name, _ in top]
    assert np.allclose(bars.customdata, result.inputs[index])
    assert f"R² = {result.extras['score']:.2f}" in fig.layout.title.subtitle.text


def test_lime_image_shows_segment_weights_and_boundaries(service, idx):
    result = service.explain("mnist-cnn", idx, "lime", n_samples=300)      # 4-px grid segments
    fig = lime_figure(result)
    assert np.allclose(trace(fig, "values").z, result.attribution[0], atol=1e-7)
    lines = trace(fig, "segment boundaries")
    xs = np.array([v for v in lines.x if v is not None], float)
    ys = np.array([v for v in lines.y if v is not None], float)
    vertical = xs[0::2] == xs[1::2]
    assert set(xs[0::2][vertical]) == {3.5 + 4 * k for k in range(6)}     # between every 4th column
    assert set(ys[0::2][~vertical]) == {3.5 + 4 * k for k in range(6)}
    ranks = trace(fig, "top segment ranks")
    assert list(ranks.customdata) == [int(s) for s, _ in result.extras["top_features"]]


# ------------------------------------------------------------------------------ tree
def test_tree_layout_by_hand():
    #        0
    #      1   2
    #     3 4
    left, right = np.array([1, 3, -1, -1, -1]), np.array([2, 4, -1, -1, -1])
    x, depth = tree_layout(left, right)
    assert depth.tolist() == [0, 1, 1, 2, 2]
    assert x.tolist() == [1.25, 0.5, 2.0, 0.0, 1.0]


@pytest.mark.parametrize("model_id, depth", [("breast-cancer-mlp", 4), ("mnist-cnn", 6)])
def test_tree_has_one_marker_per_node_and_highlights_the_path(service, model_id, depth):
    result = service.explain(model_id, 1, "tree", max_depth=depth)
    n = len(result.children_left)
    fig = tree_figure(result)
    nodes = np.r_[trace(fig, "decision nodes").customdata, trace(fig, "leaves").customdata].astype(int)
    assert sorted(nodes.tolist()) == list(range(n))
    path = trace(fig, "sample's path")
    assert list(path.customdata) == result.path.tolist()
    assert int(path.customdata[-1]) == result.leaf
    x, d = tree_layout(result.children_left, result.children_right)
    assert np.allclose(path.y, d[result.path]) and np.allclose(path.x, x[result.path])
    edges = trace(fig, "sample's path edges")
    assert len([v for v in edges.x if v is None]) == len(result.path) - 1
    leaves = trace(fig, "leaves")
    majority = np.asarray(result.value).argmax(axis=1)
    colours = dict(zip(np.asarray(leaves.customdata, int).tolist(), leaves.marker.color))
    for a, b in [(i, j) for i in colours for j in colours]:
        assert (colours[a] == colours[b]) == (majority[a] == majority[b])
    texts = [a.text for a in fig.layout.annotations if a.name and a.name.startswith("edge")]
    assert len(texts) == len(result.path) - 1
    assert f"depth {depth}" in fig.layout.title.text and f"{100 * result.fidelity:.0f}%" in fig.layout.title.text


# ------------------------------------------------------------------------------ everything
def test_every_figure_serialises_and_its_images_decode(service, idx, acts, cnn_weights, tab_idx):
    info = service.model_info("breast-cancer-mlp")
    figs = [layer_activation_figure(la) for la in acts.layers]
    figs += [layer_weights_figure(lw) for lw in cnn_weights.layers]
    figs += [layer_weights_figure(lw) for lw in service.explain("mnist-mlp", 0, "weights").layers]
    for method in ("saliency", "gradient_x_input", "smoothgrad", "gradcam", "occlusion"):
        figs.append(attribution_figure(service.explain("mnist-cnn", idx, method)))
    figs.append(attribution_figure(service.explain("breast-cancer-mlp", tab_idx, "occlusion"), info.feature_names))
    figs.append(tree_figure(service.explain("wine-mlp", 0, "tree", max_depth=3)))
    for fig in figs:
        decoded = json.loads(fig.to_json())
        assert decoded["layout"]["title"]["text"]
        for t in decoded["data"]:
            if t["type"] == "image":
                w, h = png_size(t["source"])
                assert png_rgba(t["source"]).shape[:2] == (h, w)


def test_a_map_subtitle_is_short_lines_that_fit_half_a_row(service, idx):
    """Side by side, a map is about 450 px wide: one long subtitle line was cut off."""
    for method in ("gradcam", "integrated_gradients", "occlusion"):
        fig = attribution_figure(service.explain("mnist-cnn", idx, method))
        lines = fig.layout.title.subtitle.text.split("<br>")
        assert len(lines) >= 2 and max(len(line) for line in lines) <= 70, lines
        assert fig.layout.margin.t >= 56 + 18 * (len(lines) - 1)     # the top margin makes room for them


def test_hover_layers_are_painted_at_data_size(service, idx):
    """The see-through hover heatmaps are drawn at the data's size ('fast'), not the plot's:
    plotly encodes each as a PNG for the page, and at plot size that cost every redraw."""
    fig = attribution_figure(service.explain("mnist-cnn", idx, "integrated_gradients"))
    heatmaps = [t for t in fig.data if t.type == "heatmap"]
    assert heatmaps and all(t.zsmooth == "fast" for t in heatmaps)

"""Figure builders on real results from the trained default models (no browser).

What a viewer relies on is checked through the figure itself: the tiles an image holds,
which channels are outlined, the colour a value gets (PNG pixels decoded with Pillow),
the sort order and names of bars, the tree's nodes and highlighted path.

This file: the package's imports, the common helpers, the sample panel's figures and
checks over every figure; by topic: test_activation_figures, test_weight_figures,
test_attribution_figures (and LIME), test_tree_figures.
"""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np

from dashboard.figures import (DIVERGING, attribution_figure, digit_thumbnail_uri, empty_figure,
                               layer_activation_figure, layer_weights_figure, png_data_uri, probability_figure,
                               tree_figure)
from dashboard.figures.common import NEUTRAL, PRIMARY, SECOND
# colour_bar, image_sources and trace: other tests import them from here
from tests.dashboard.figure_helpers import (REPO, acts, cnn_weights, colour_bar, idx, image_sources,  # noqa: F401
                                            png_rgba, png_size, scale_end, tab_idx, trace)


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

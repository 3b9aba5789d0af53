"""Attribution and LIME figures on real results (no browser): maps, scales, sorted bars, segments."""
from __future__ import annotations

import numpy as np
import plotly.colors as pc
import pytest

from dashboard.figures import DIVERGING, attribution_figure, lime_figure
from dashboard.figures.common import POSITIVE
from tests.dashboard.figure_helpers import colour_bar, idx, image_sources, png_rgba, png_size, scale_end, tab_idx, trace


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

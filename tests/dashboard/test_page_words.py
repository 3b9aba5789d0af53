"""Issue 12: what the page says matches what it shows. Captions name the colours the data
has and the unit of the numbers; the output layer's bars are the classes; tabular bars carry
the row's values and panes side by side share one feature order; tree splits read as words;
ten class colours stay apart for colour-blind eyes; stale and silent messages are gone."""
from __future__ import annotations

import numpy as np
import pytest
from dash import html

from dashboard import ids
from dashboard.figures.activations import layer_activation_figure
from dashboard.figures.attribution import attribution_figure
from dashboard.figures.common import CLASS_COLOURS
from dashboard.figures.legend import signs
from dashboard.figures.tree_words import split_words
from dashboard.figures.weights import layer_weights_figure
from explain_core.methods.base import Attribution


def subtitle(fig) -> str:
    return fig.layout.title.subtitle.text.replace("<br>", " ")


def legend_matches_signs(fig, values, absolute: bool) -> None:
    """The colour key speaks of blue only when something is negative, of 'red raises' only
    when something is positive, and of direction not at all for absolute values."""
    sub = subtitle(fig)
    pos, neg = signs(values)
    assert "unit:" in sub
    if absolute:
        assert "blue" not in sub and "raises" not in sub
        assert "no direction" in sub or "positive evidence only" in sub
        return
    assert ("blue" in sub) == neg, sub
    assert ("red raises" in sub or "all red" in sub) == pos, sub


def made(method, a, params, inputs=None):
    a = np.asarray(a, dtype=np.float32)
    return Attribution(method, a, np.ones_like(a) if inputs is None else np.asarray(inputs, np.float32), 0, params)


@pytest.mark.parametrize("values", [[0.5, 0.2, 0.1], [0.5, -0.2, 0.1], [-0.5, -0.2, -0.1], [0.0, 0.0, 0.0]])
@pytest.mark.parametrize("shape", ["table", "image"])
def test_a_signed_method_says_blue_only_when_something_is_negative(values, shape):
    a = np.array(values, np.float32) if shape == "table" else np.resize(np.array(values, np.float32), (6, 6))
    fig = attribution_figure(made("integrated_gradients", a, {}), feature_names=("a", "b", "c"))
    legend_matches_signs(fig, a, absolute=False)
    if shape == "image":   # a signed method keeps the diverging scale, centred on 0, whatever the signs
        bar = [t for t in fig.data if t.name == "colour scale"][0]
        assert bar.marker.cmin == -bar.marker.cmax


@pytest.mark.parametrize("shape", ["table", "image"])
def test_absolute_values_are_one_colour_and_said_to_have_no_direction(shape):
    a = np.array([0.5, 0.2, 0.1], np.float32) if shape == "table" else np.linspace(0, 1, 36).reshape(6, 6)
    fig = attribution_figure(made("saliency", a, {"abs": True}), feature_names=("a", "b", "c"))
    legend_matches_signs(fig, a, absolute=True)
    assert "per unit of input" in subtitle(fig)


@pytest.mark.parametrize("model_id, sample", [("breast-cancer-mlp", 7), ("mnist-cnn", 42)])
@pytest.mark.parametrize("method, params", [("saliency", {"abs": True}), ("saliency", {"abs": False}),
                                            ("smoothgrad", {"abs": True}), ("smoothgrad", {"abs": False}),
                                            ("integrated_gradients", {}), ("gradient_x_input", {}),
                                            ("occlusion", {}), ("gradcam", {})])
def test_captions_of_real_maps_match_their_signs(service, model_id, sample, method, params):
    info = service.model_info(model_id)
    if method == "gradcam" and not info.conv_layers:
        pytest.skip("Grad-CAM needs a convolution layer")
    r = service.explain(model_id, sample, method, **params)
    fig = attribution_figure(r, feature_names=info.feature_names)
    shown = r.attribution if info.kind != "image" else r.attribution.reshape(r.attribution.shape[-2:])
    legend_matches_signs(fig, shown, absolute=params.get("abs", False) or method == "gradcam")


def test_table_bars_carry_the_rows_values_and_panes_share_one_order(service):
    from dashboard.tabs import gradients

    info = service.model_info("breast-cancer-mlp")
    x = service.sample("breast-cancer-mlp", 7).inputs
    out = gradients.render(service, "breast-cancer-mlp", 7, ids.PREDICTED, "integrated_gradients", {},
                           "saliency", {"abs": True})
    figs = [p.children[0].figure for p in out.children if isinstance(p, html.Div)]
    assert len(figs) == 2
    a, b = (list(f.data[0].y) for f in figs)
    assert a == b                                            # the same feature on the same row
    first = a[0]
    name, value = first.split(" = ")
    assert name in info.feature_names and float(value) == pytest.approx(x[info.feature_names.index(name)], rel=2e-3)
    ig = service.explain("breast-cancer-mlp", 7, "integrated_gradients")
    assert name == info.feature_names[int(np.argmax(np.abs(ig.attribution)))]


def test_the_output_layer_is_the_classes_and_most_active_is_the_largest_signed_value():
    from explain_core.methods.base import LayerActivation

    logits = np.array([-3.0, 2.0, -0.5, 0.1, -7, -1, -2, -4, -5, -6], np.float32)
    names = tuple(str(k) for k in range(10))
    fig = layer_activation_figure(LayerActivation("fc2", "dense", logits), class_names=names)
    axis = fig.layout.xaxis
    assert list(axis.ticktext) == list(names) and len(axis.tickvals) == 10     # every class named
    hot = np.asarray(fig.data[0].marker.color)
    assert np.flatnonzero(hot).tolist() == [1]                                  # the largest, not a negative one
    # hidden units: every highlighted one is positive when any is, ranked by the signed value
    units = np.array([-9, 0.3, -0.1, 0.2, -8], np.float32)
    fig = layer_activation_figure(LayerActivation("fc1", "dense", units), top_k=3)
    assert np.flatnonzero(np.asarray(fig.data[0].marker.color)).tolist() == [1, 3]
    assert len(fig.layout.xaxis.tickvals) == 5 and "signed" in subtitle(fig)


def test_mlp_activations_open_on_a_telling_layer(service):
    from dashboard.tabs.activations import default_layer

    assert default_layer(service.model_info("mnist-mlp")) == "fc3"       # the classes, not 'flatten'
    assert default_layer(service.model_info("mnist-cnn")) == "conv1"


def test_a_wide_weight_matrix_is_drawn_tall_enough_to_read(service):
    layer = [la for la in service.explain("mnist-cnn", 0, "weights").layers if la.name == "fc1"][0]
    fig = layer_weights_figure(layer)
    picture = [t for t in fig.data if t.name == "weights"][0]
    y0, y1 = sorted(fig.layout.yaxis.range)
    x0, x1 = fig.layout.xaxis.range
    assert picture.dy > 1 and (y1 - y0) / (x1 - x0) >= 0.3        # about 3:1, not a 64:1568 strip
    assert "zoom" in subtitle(fig)


@pytest.mark.parametrize("name, threshold, question, left, right", [
    ("note=greenhouse sample", 0.511, "note is greenhouse sample?", "no", "yes"),
    ("px(5,15)", 0.00196, "ink at pixel (5,15)?", "no (blank)", "yes (ink)"),
    ("px(13,14)", 0.525, "pixel (13,14) dark (ink above 52%)?", "no (light)", "yes (dark)"),
    ("worst radius", 17.6, "worst radius ≤ 17.6?", "yes", "no"),
])
def test_tree_splits_read_as_words(name, threshold, question, left, right):
    assert split_words(name, threshold) == (question, left, right)


def test_tree_text_and_figure_use_the_words(service):
    from dashboard.figures.tree import tree_figure
    from dashboard.figures.tree_words import rules_text

    result = service.explain("mnist-cnn", 42, "tree")
    text = rules_text(result)
    assert "px(" not in text and "pixel (" in text and "training samples here" in text
    fig = tree_figure(result)
    shown = " ".join(str(t) for tr in fig.data for t in (tr.text or ()) if t) + " ".join(
        str(h) for tr in fig.data for h in (tr.hovertext or ()))
    assert "px(" not in shown.split("as sklearn has it")[0]
    key = [a.text for a in fig.layout.annotations if a.name == "leaf classes"][0]
    assert "share" in key


def test_class_colours_8_and_9_stay_apart_for_colour_blind_eyes():
    from tests.dashboard.cvd import distance

    for kind in (None, "protan", "deutan", "tritan"):
        assert distance(CLASS_COLOURS[8], CLASS_COLOURS[9], kind) > 40, kind
        worst = min(distance(a, b, kind) for i, a in enumerate(CLASS_COLOURS) for b in CLASS_COLOURS[i + 1:])
        assert worst > 15, kind

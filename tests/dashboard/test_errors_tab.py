"""The errors-and-bias tab's callbacks as plain functions: what it renders per model, what a
confusion-cell click asks of the browser, what a mistake click opens, and bad inputs."""
from __future__ import annotations

import pytest
from dash import dcc, html

from dashboard import ids
from dashboard.tabs import errors as tab
from explain_core.errors import GlimpseError


def _walk(node):
    yield node
    children = getattr(node, "children", None)
    for c in children if isinstance(children, (list, tuple)) else [children] if children is not None else []:
        if not isinstance(c, (str, int, float)):
            yield from _walk(c)


def graphs(children) -> dict:
    found = {}
    for root in children:
        for n in _walk(root):
            if isinstance(n, dcc.Graph):
                key = n.id["type"] if isinstance(n.id, dict) else n.id
                found[key] = n.figure
    return found


@pytest.mark.parametrize("model_id, expected", [
    ("mnist-cnn", {ids.ERR_CONFUSION, ids.ERR_FIT, ids.ERR_RELIABILITY}),
    ("mnist-mlp", {ids.ERR_CONFUSION, ids.ERR_FIT, ids.ERR_RELIABILITY}),
    ("breast-cancer-mlp", {ids.ERR_CONFUSION, ids.ERR_FIT, ids.ERR_RELIABILITY, ids.ERR_SLICES}),
    ("seed-binary-mlp", {ids.ERR_CONFUSION, ids.ERR_FIT, ids.ERR_RELIABILITY, ids.ERR_SLICES}),
    ("diabetes-mlp", {ids.ERR_RESIDUALS, ids.ERR_FIT, ids.ERR_SLICES}),
])
def test_render_draws_the_figures_of_each_kind_of_model(service, model_id, expected):
    out = tab.render(service, model_id)
    assert isinstance(out, list), out          # not an alert
    assert set(graphs(out)) == expected


def test_render_with_a_feature_and_row_shares(service):
    names = service.dataset_for("breast-cancer-mlp").feature_names
    figs = graphs(tab.render(service, "breast-cancer-mlp", tab.SHARE, 2))
    assert figs[ids.ERR_SLICES].layout.title.text == f"Accuracy by {names[2]}"
    assert "share of each true class" in figs[ids.ERR_CONFUSION].layout.title.subtitle.text


def test_bad_feature_becomes_an_alert(service):
    out = tab.render(service, "breast-cancer-mlp", tab.COUNTS, 999)
    assert isinstance(out, html.Div) and "feature must be" in out.children


def test_feature_options_only_for_tables(service):
    options, style = tab.feature_options(service, "wine-mlp")
    assert [o["label"] for o in options] == list(service.dataset_for("wine-mlp").feature_names) and style == {}
    assert tab.feature_options(service, "mnist-cnn") == ([], tab.HIDDEN)


def test_confusion_click_on_worded_classes(service):
    click = {"points": [{"x": "1 (benign)", "y": "0 (malignant)"}]}
    assert tab.filter_request(service, "breast-cancer-mlp", click, [])[:2] == (0, 1)


def test_confusion_click_filters_the_browser(service):
    click = {"points": [{"curveNumber": 0, "x": "5", "y": "3", "z": 4}]}
    true_c, pred_c, flags, note = tab.filter_request(service, "mnist-cnn", click, [ids.MISCLASSIFIED])
    assert (true_c, pred_c) == (3, 5)
    assert set(flags) == {ids.MISCLASSIFIED, ids.HELD_OUT}
    assert "true class 3 predicted as 5" in note
    diag = {"points": [{"x": 1, "y": 1}]}       # plotly may send a number-like label as a number
    assert tab.filter_request(service, "mnist-cnn", diag, [ids.MISCLASSIFIED, ids.HELD_OUT])[2] == [ids.HELD_OUT]


@pytest.mark.parametrize("click", [
    None, {}, {"points": []}, {"points": [{"x": "1", "y": "10"}]}, {"points": [{"x": "-1", "y": "1"}]},
    {"points": [{"x": "1.5", "y": "3"}]}, {"points": [{"x": True, "y": "1"}]}, {"points": [{"x": "1"}]}, "points",
    {"points": [{"x": "1", "y": "x" * 10_000}]},
])
def test_bad_confusion_clicks_are_refused(service, click):
    with pytest.raises(GlimpseError):
        tab.filter_request(service, "mnist-cnn", click, [])


def test_mistake_click_opens_the_sample_in_the_last_per_sample_tab(service):
    sel, where = tab.open_request(service, "mnist-cnn", 17, {ids.LEVEL_SAMPLE: ids.TAB_LIME})
    assert sel == {"model": "mnist-cnn", "sample": 17} and where == ids.TAB_LIME
    assert tab.open_request(service, "mnist-cnn", 17, None)[1] == tab.OPEN_TAB
    assert tab.open_request(service, "mnist-cnn", 17, {ids.LEVEL_SAMPLE: "no-such-tab"})[1] == tab.OPEN_TAB
    for bad in (-1, 10**9, "x", 1.5, None):
        with pytest.raises(GlimpseError):
            tab.open_request(service, "mnist-cnn", bad, None)

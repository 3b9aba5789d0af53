"""The errors-and-bias model view in Chromium: it renders for the MNIST CNN and for tables,
a click on a confusion-matrix cell filters the sample browser to that (true, predicted)
pair, and a click on a mistake opens that sample in the per-sample tabs."""
from __future__ import annotations

import json

import numpy as np
from selenium.webdriver.common.actions.action_builder import ActionBuilder

from dashboard import ids
from tests.e2e.helpers import shoot

CELL_JS = """
var gd = document.querySelector(arguments[0] + ' .js-plotly-plot');
if (!gd || !gd._fullLayout || !gd._fullLayout.xaxis) return null;
var xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, r = gd.getBoundingClientRect();
return {x: r.left + xa._offset + xa.l2p(arguments[2]), y: r.top + ya._offset + ya.l2p(arguments[1])};
"""


def pattern_css(kind: str, index: int) -> str:
    return f"[id='{json.dumps({'index': index, 'type': kind}, separators=(',', ':'))}']"


def click_cell(page, true_c: int, pred_c: int):
    """A real mouse click on the confusion heatmap's (true, predicted) cell."""
    css = pattern_css(ids.ERR_CONFUSION, 0)
    page.js("document.querySelector(arguments[0]).scrollIntoView({block: 'center'});", css)
    at = page.until(lambda: page.js(CELL_JS, css, true_c, pred_c), 20, "the confusion matrix drawn")
    actions = ActionBuilder(page.driver)        # viewport coordinates of the cell's centre
    actions.pointer_action.move_to_location(int(at["x"]), int(at["y"])).click()
    actions.perform()


def open_view(page, model_id: str):
    page.open(f"?model={model_id}&tab={ids.TAB_ERRORS}")
    return page.wait_figures(ids.output(ids.TAB_ERRORS), lambda f: any("Confusion" in g["title"] or "Residuals" in
                                                                      g["title"] for g in f), 90, "the errors view")


def listed_count(page) -> int:
    return int(page.text(ids.BROWSER_COUNT).split(" of ")[0].replace(",", ""))


def worst_confusion(result) -> tuple[int, int]:
    off = result.confusion.copy()
    np.fill_diagonal(off, -1)
    t, p = np.unravel_index(np.argmax(off), off.shape)
    return int(t), int(p)


def check_filtered(page, result, true_c, pred_c):
    names = result.class_names
    page.until(lambda: listed_count(page) == result.confusion[true_c, pred_c], 30,
               f"the browser listing the {result.confusion[true_c, pred_c]} held-out samples of the cell")
    assert page.dropdown_text(f"#{ids.FILTER_TRUE}") == str(names[true_c])
    assert page.dropdown_text(f"#{ids.FILTER_PRED}") == str(names[pred_c])
    assert f"predicted as {pred_c}" in page.text(ids.ERR_NOTE)


def test_errors_view_for_the_mnist_cnn(glimpse):
    page = glimpse
    result = page.service.model_view("mnist-cnn", "errors")
    figs = open_view(page, "mnist-cnn")
    titles = [f["title"] for f in figs]
    assert any(t.startswith("Confusion matrix: ") for t in titles)
    assert result.gap.startswith(next(t for t in titles if t.startswith("Fits training data")))
    assert any(t.startswith("Calibration error (ECE)") for t in titles)
    assert not any("by " in t and "Accuracy" in t for t in titles)          # no slices for images
    gallery = page.js("return document.querySelectorAll('.mistake-gallery button.mistake').length")
    assert gallery == len(result.mistakes.ids) == 24
    shoot(page, "model-errors")

    true_c, pred_c = worst_confusion(result)
    click_cell(page, true_c, pred_c)
    check_filtered(page, result, true_c, pred_c)
    test = set(page.service._model("mnist-cnn").data.test_idx.tolist())
    listed = page.thumb_ids()
    table = page.service.samples("mnist-cnn")
    assert listed and all(i in test and table.labels[i] == true_c and table.predictions[i] == pred_c for i in listed)

    # the share toggle redraws the matrix as each row's share
    page.click(f"#{ids.ERR_NORMALISE} input[value='share']")
    page.wait_figures(ids.output(ids.TAB_ERRORS), lambda f: any("share of each true class" in g["subtitle"]
                                                                for g in f), 30, "the row-normalised matrix")

    sid = int(result.mistakes.ids[0])
    page.click(pattern_css(ids.ERR_MISTAKE, sid))
    page.until(lambda: page.sample_id() == sid, 30, f"mistake #{sid} selected")
    page.until(lambda: page.js("return document.querySelector('#%s .tab--selected').innerText" % ids.TABS)
               == "Gradient maps", 20, "the per-sample tab opened")
    page.idle()
    page.assert_clean()


def test_errors_view_for_a_table(glimpse):
    page = glimpse
    model = "breast-cancer-mlp"
    result = page.service.model_view(model, "errors")
    figs = open_view(page, model)
    titles = [f["title"] for f in figs]
    assert any(t.startswith(f"Accuracy by {result.slices.name}") for t in titles)
    names = page.service._model(model).data.feature_names
    other = names[0] if result.slices.feature != 0 else names[1]
    page.choose(ids.ERR_FEATURE, other)
    page.wait_figures(ids.output(ids.TAB_ERRORS), lambda f: any(g["title"] == f"Accuracy by {other}" for g in f),
                      30, f"the slices of {other}")
    shoot(page, "model-errors-tabular")

    true_c, pred_c = worst_confusion(result)
    click_cell(page, true_c, pred_c)
    check_filtered(page, result, true_c, pred_c)

    sid = int(result.mistakes.ids[0])
    row = f"{pattern_css(ids.ERR_MISTAKES_TABLE, 0)} td.dash-cell[data-dash-row='0']"
    page.click(row)
    page.until(lambda: page.sample_id() == sid, 30, f"mistake #{sid} selected")
    page.idle()
    page.assert_clean()


def test_errors_view_for_regression_and_a_single_logit(glimpse):
    page = glimpse
    figs = open_view(page, "diabetes-mlp")
    titles = [f["title"] for f in figs]
    assert any(t.startswith("Residuals on held-out data") for t in titles)
    assert any(t.startswith("Mean absolute error by") for t in titles)
    assert not any(t.startswith("Confusion") for t in titles)
    assert page.js("return document.querySelectorAll(arguments[0] + ' td.dash-cell').length",
                   pattern_css(ids.ERR_MISTAKES_TABLE, 0)) > 0
    figs = open_view(page, "seed-binary-mlp")
    confusion = next(f for f in figs if f["title"].startswith("Confusion"))
    assert confusion["traces"][0]["n_x"] == 2
    page.assert_clean()

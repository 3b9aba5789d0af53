"""Share and what-if in Chromium at 1366×768: a stroke drawn on the canvas changes the
prediction and the map; an edited table value changes them; presentation mode steps to
the next sample with →; Export report downloads a file naming the model's hash.

GLIMPSE_SHOTS=<folder> keeps the screenshots (docs/screenshots/ takes them from there)."""
from __future__ import annotations

import json
import time

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.actions.action_builder import ActionBuilder
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from dashboard import ids
from dashboard.tabs import whatif as whatif_tab
from dashboard.whatif import WHATIF_FEATURE
from tests.e2e.helpers import shoot

MAP_DATA_JS = """
var g = document.querySelector('#whatif-map .js-plotly-plot, #whatif-map.js-plotly-plot');
if (!g || !g.data) return null;
return JSON.stringify(g.data.map(function (t) { return [t.z, t.x, t.y, t.source]; })).length + ':' +
       JSON.stringify(g.data.map(function (t) { return [t.z, t.x, t.source]; })).slice(0, 4000);
"""


def prediction(page) -> str:
    return page.text("whatif-prediction")


def map_data(page):
    return page.js(MAP_DATA_JS)


def draw_a_one(page):
    """A vertical stroke down the middle of the what-if canvas, a "1", with the mouse at
    viewport coordinates (also tests/e2e/test_readme_shots.py)."""
    canvas = page.driver.find_element(By.ID, "whatif-canvas")
    page.js("arguments[0].scrollIntoView({block: 'center'});", canvas)
    left, top, w, h = page.js("var b = arguments[0].getBoundingClientRect();"
                              "return [b.left, b.top, b.width, b.height];", canvas)
    actions = ActionBuilder(page.driver)
    x = int(left + w / 2)
    actions.pointer_action.move_to_location(x, int(top + 0.18 * h)).pointer_down()
    for k in range(1, 9):
        actions.pointer_action.move_to_location(x + (1 if k % 2 else 0), int(top + (0.18 + 0.08 * k) * h))
    actions.pointer_action.pointer_up()
    actions.perform()


def test_a_stroke_on_the_canvas_changes_the_prediction_and_the_map(glimpse):
    page = glimpse
    page.open(f"?model=mnist-cnn&sample=3&tab={ids.TAB_WHATIF}")
    page.until(lambda: "for the edited sample" in prediction(page), 60, "the what-if prediction")
    first, first_map = prediction(page), page.until(lambda: map_data(page), 30, "the map")
    page.click("#whatif-clear")
    page.until(lambda: map_data(page) != first_map, 30, "the map of the cleared canvas")
    cleared, cleared_map = prediction(page), map_data(page)
    draw_a_one(page)
    released = time.monotonic()
    page.until(lambda: map_data(page) != cleared_map, 30, "the map of the drawn digit")
    page.until(lambda: prediction(page) != cleared, 10, "the new prediction")
    took = time.monotonic() - released
    drawn = prediction(page)
    # the blank canvas is a toss-up; the stroke is a confident 1
    assert drawn.startswith("The model says class 1 (") and float(drawn.split("(")[1].split("%")[0]) > 50, drawn
    page.idle()
    shoot(page, "whatif-draw")
    print(f"stroke released -> prediction shown: {took:.2f}s")
    # Undo brings the empty canvas back
    page.click("#whatif-undo")
    page.until(lambda: prediction(page) == cleared, 30, "the cleared canvas's prediction again")
    page.assert_clean()


def feature_input(page, j: int):
    """The j-th feature's <input> (Dash 4 may put the id on a wrapper around it)."""
    key = json.dumps({'index': j, 'type': WHATIF_FEATURE}, separators=(',', ':'))
    return page.js("var e = document.getElementById(arguments[0]);"
                   "return e && e.tagName !== 'INPUT' ? e.querySelector('input') : e;", key)


def size_features_to_their_largest(page, service):
    """Type each breast-cancer 'mean …' and 'worst …' feature's largest observed value into
    the what-if row (a benign row turns malignant); returns the observed maxima."""
    from explain_core.inputs import observed_range
    _, hi = observed_range(service.dataset_for("breast-cancer-mlp"))
    for j, name in enumerate(service.model_info("breast-cancer-mlp").feature_names):
        if name.startswith("worst") or name.startswith("mean"):
            el = feature_input(page, j)
            page.js("arguments[0].scrollIntoView({block: 'center'});", el)
            el.send_keys(Keys.CONTROL, "a")
            el.send_keys(f"{hi[j]:.6g}")
    return hi


def test_an_edited_table_value_changes_the_prediction_and_the_explanation(glimpse):
    page, service = glimpse, glimpse.service
    info = service.model_info("breast-cancer-mlp")
    t = service.samples("breast-cancer-mlp")
    import numpy as np
    benign = int(np.flatnonzero((t.predictions == 1) & t.is_test)[0])
    page.open(f"?model=breast-cancer-mlp&sample={benign}&tab={ids.TAB_WHATIF}")
    page.until(lambda: "for the edited sample" in prediction(page), 60, "the what-if prediction")
    assert "benign" in prediction(page)
    before = page.until(lambda: map_data(page), 30, "the map")
    table = page.text("out-" + ids.TAB_WHATIF)
    assert "Seen in the data" in table and info.feature_names[0] in table
    hi = size_features_to_their_largest(page, service)
    page.until(lambda: "malignant" in prediction(page), 30, "the prediction to turn malignant")
    page.until(lambda: map_data(page) != before, 30, "the explanation of the edited row")
    # an empty field asks for a number, never a traceback
    el = feature_input(page, 0)
    el.send_keys(Keys.CONTROL, "a")
    el.send_keys(Keys.BACKSPACE)
    page.until(lambda: "Type a number" in page.text("out-" + ids.TAB_WHATIF), 20, "the request for a number")
    el.send_keys(f"{hi[0]:.6g}")
    page.until(lambda: "malignant" in prediction(page), 30, "the prediction again")
    page.idle()
    page.js("document.querySelector('.whatif-edit').scrollTop = 0; window.scrollTo(0, 0);")
    shoot(page, "whatif-table")
    page.assert_clean()


def drawn_data(page, container: str):
    """What the container's figures draw (images' sources, values), to tell two samples' maps apart."""
    return page.js("return JSON.stringify(Array.from(document.querySelectorAll('#' + arguments[0] + "
                   "' .js-plotly-plot')).map(function (g) { return (g.data || []).map(function (t) {"
                   " return [t.source || null, t.z || null, t.x || null]; }); }));", container)


def test_presentation_mode_steps_through_the_linked_samples(glimpse):
    page = glimpse
    page.open("?model=mnist-cnn&sample=3&tab=gradients&present=1&samples=3,17,42")
    page.until(lambda: page.js("return document.body.classList.contains('presenting')"), 20, "presentation mode")
    out = ids.output(ids.TAB_GRADIENTS)
    page.wait_figures(out, timeout=60)
    page.idle()
    assert page.sample_id() == 3 and "1 of 3" in page.text(ids.PRESENT_BADGE)
    assert not page.js("return document.querySelector('.browser').offsetParent !== null")   # the browser is hidden
    before = drawn_data(page, out)
    ActionChains(page.driver).send_keys(Keys.ARROW_RIGHT).perform()
    page.until(lambda: page.sample_id() == 17, 20, "sample 17")
    page.until(lambda: drawn_data(page, out) not in (before, None), 30, "the next sample's map")
    assert "2 of 3" in page.text(ids.PRESENT_BADGE)
    page.idle()
    shoot(page, "presentation")
    ActionChains(page.driver).send_keys(Keys.ARROW_LEFT).perform()
    page.until(lambda: page.sample_id() == 3, 20, "back to sample 3")
    ActionChains(page.driver).send_keys(Keys.ESCAPE).perform()
    page.until(lambda: not page.js("return document.body.classList.contains('presenting')"), 10, "Esc leaves")
    page.assert_clean()


def test_export_report_downloads_the_view_and_copy_link_copies_the_address(glimpse, tmp_path):
    page, service = glimpse, glimpse.service
    page.driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)})
    page.open("?model=mnist-cnn&sample=5&tab=gradients")
    page.wait_figures(ids.output(ids.TAB_GRADIENTS), timeout=60)
    page.click(f"#{ids.SHARE_REPORT}")
    page.until(lambda: "Report saved" in page.text(ids.SHARE_STATUS), 60, "the report")
    path = page.until(lambda: next(iter(tmp_path.glob("glimpse-*.html")), None), 30, "the downloaded file")
    text = path.read_text(encoding="utf-8")
    assert service.model_info("mnist-cnn").hash in text and "n_steps" in text and "Plotly.newPlot" in text
    page.click(f"#{ids.SHARE_COPY}")
    page.until(lambda: "copied" in page.text(ids.SHARE_STATUS) or "model=mnist-cnn" in page.text(ids.SHARE_STATUS),
               10, "the copy link's answer")
    assert whatif_tab.LABEL
    page.assert_clean()

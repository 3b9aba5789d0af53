"""The README's screenshots of views reached by clicking (scripts/screenshots.py takes the ones a
deep link opens, then runs this module): each scene opens the view on a NON-debug server (no
Dash dev-tools overlay) at a 1366×768 viewport, does what a user does, waits until the view
shows what its caption says, and saves docs/screenshots/<name>.png.

    GLIMPSE_README_SHOTS=docs/screenshots pytest tests/e2e/test_readme_shots.py --headless

Without GLIMPSE_README_SHOTS the module is not collected (tests/e2e/conftest.py): the same views are tested, with their
assertions, by the feature tests (test_model_errors.py, test_share_and_whatif.py, ...)."""
from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from dashboard import ids
from tests.e2e.conftest import free_port

FOLDER = os.environ.get("GLIMPSE_README_SHOTS")
pytestmark = pytest.mark.skipif(not FOLDER, reason="README screenshots: set GLIMPSE_README_SHOTS=<folder>")
WIDTH, HEIGHT = 1366, 768
GRADIENTS = ids.output(ids.TAB_GRADIENTS)


@pytest.fixture
def page(dash_duo, service, background_manager):
    """The app on a non-debug server (as `python app.py` serves it), the viewport 1366×768."""
    from dashboard import create_app
    from tests.e2e import helpers

    app = create_app(service, background_manager=background_manager)
    assert app.glimpse_startup.wait(60), app.glimpse_startup.status()
    p = helpers.Page(dash_duo, service)
    p.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                             {"width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": False})
    dash_duo.start_server(app, port=free_port(), debug=False, use_reloader=False, dev_tools_hot_reload=False)
    return p


def titles(figs) -> str:
    return " ".join(f["title"] + " " + f["subtitle"] for f in figs)


def shows(page, container, words, timeout=180):
    return page.wait_figures(container, lambda f: words in titles(f), timeout, f"{words!r} in #{container}")


def frame(page, element_id: str) -> None:
    """Scroll `element_id` to just under the sticky header."""
    page.js("var e = document.getElementById(arguments[0]); if (!e) return;"
            "var head = document.querySelector('.app-header, header');"
            "var h = head ? head.getBoundingClientRect().height : 0;"
            "window.scrollBy(0, e.getBoundingClientRect().top - h - 8);", element_id)


def save(page, name: str) -> None:
    page.idle(120)
    time.sleep(0.8)          # plotly paints images asynchronously: let the last frame land
    Path(FOLDER).mkdir(parents=True, exist_ok=True)
    page.driver.save_screenshot(str(Path(FOLDER) / f"{name}.png"))


# ------------------------------------------------------------------------------ per sample
def test_precompute(page):
    page.open("?model=wine-mlp&tab=gradients&method=integrated_gradients")
    page.click(f"#{ids.PRECOMPUTE_TOGGLE}")
    page.until(lambda: "Integrated gradients" in page.text(ids.PRECOMPUTE_METHODS), 20, "the method choices")
    page.click(f"#{ids.PRECOMPUTE_START}")
    page.until(lambda: "Done:" in page.text(ids.PRECOMPUTE_MESSAGE), 300, "the precompute job to finish")
    save(page, "precompute")


def test_model_shap(page):
    page.open("?model=mnist-cnn&tab=shap")
    out = ids.output(ids.TAB_SHAP)
    shows(page, out, "KernelSHAP for class", 300)
    page.until(lambda: "holds to 1e-4" in page.text(out), 60, "the additivity line")
    frame(page, ids.TABS)
    save(page, "model-shap")


def test_model_gradient_shap(page):
    page.open("?model=mnist-cnn&tab=gradients")
    shows(page, GRADIENTS, "Integrated gradients")
    page.choose(ids.METHOD_A, "GradientSHAP")
    page.wait_figures(GRADIENTS, lambda f: f[0]["title"].startswith("GradientSHAP"), 120, "the GradientSHAP map")
    frame(page, GRADIENTS)
    save(page, "model-gradient-shap")


def test_model_units(page):
    out = ids.output(ids.TAB_UNITS)
    page.open("?model=mnist-cnn&tab=units")
    page.wait_figures(out, lambda f: "Unit contributions to class" in f[0]["title"], 120, "the bars")
    page.until(lambda: len(page.driver.find_elements(By.CSS_SELECTOR, f"#{ids.UNITS_TOP} .units-thumb")) == 12,
               90, "the first unit's top-activating digits")
    frame(page, out)
    save(page, "model-units")


def test_quality_and_quality_table(page):
    page.open("?model=mnist-cnn&sample=3&tab=gradients")
    shows(page, GRADIENTS, "Integrated gradients")
    page.idle()
    page.click(f"#{ids.QUALITY_RUN}")
    page.wait_figures(ids.QUALITY_OUT, lambda f: len(f) >= 2, 300, "the quality figures")
    frame(page, ids.QUALITY_OUT)
    save(page, "quality")
    page.click(f"#{ids.QUALITY_TABLE_RUN}")
    page.until(lambda: "Which method to trust for this sample?" in page.text(ids.QUALITY_TABLE_OUT), 400,
               "the which-method table")
    frame(page, ids.QUALITY_TABLE_OUT)
    save(page, "quality-table")


def stability_scene(page, search: str, tab: str, title: str, run: str, name: str) -> None:
    """A stochastic method's tab, its 'How stable is this over 5 seeds?' clicked."""
    page.open(search)
    shows(page, ids.output(tab), title)
    page.click(f"#{run}")
    page.until(lambda: "Stability over seeds" in page.text(ids.panel(tab)), 300, "the spread over seeds")
    frame(page, run)
    save(page, name)


def test_quality_lime_stability(page):
    stability_scene(page, "?model=breast-cancer-mlp&sample=9&tab=lime", ids.TAB_LIME, "LIME", ids.QUALITY_LIME_RUN,
                    "quality-lime-stability")


def test_quality_shap_stability(page):
    stability_scene(page, "?model=mnist-cnn&sample=3&tab=shap", ids.TAB_SHAP, "KernelSHAP", ids.QUALITY_SHAP_RUN,
                    "quality-shap-stability")


def test_robustness(page):
    sample = int(page.service.dataset_for("mnist-cnn").test_idx[0])
    page.open(f"?model=mnist-cnn&sample={sample}&tab={ids.TAB_ROBUST}")
    shows(page, ids.output(ids.TAB_ROBUST), "on the adversarial input", 300)
    frame(page, ids.TABS)
    save(page, "robustness")


def test_counterfactual(page):
    sample = int(page.service.dataset_for("breast-cancer-mlp").test_idx[0])
    page.open(f"?model=breast-cancer-mlp&sample={sample}&tab={ids.TAB_ROBUST}")
    page.until(lambda: page.text("robust-sentence").startswith("If "), 300, "a counterfactual sentence")
    shows(page, ids.output(ids.TAB_ROBUST), "Prediction before and after", 120)
    frame(page, ids.TABS)
    save(page, "counterfactual")


# ------------------------------------------------------------------------------ the whole model
def test_model_errors(page):
    page.open(f"?model=mnist-cnn&tab={ids.TAB_ERRORS}")
    shows(page, ids.output(ids.TAB_ERRORS), "Confusion matrix", 300)
    page.until(lambda: page.js("return document.querySelectorAll('.mistake-gallery button.mistake').length"),
               60, "the mistakes")
    frame(page, ids.TABS)
    save(page, "model-errors")


def test_model_errors_tabular(page):
    page.open(f"?model=breast-cancer-mlp&tab={ids.TAB_ERRORS}")
    shows(page, ids.output(ids.TAB_ERRORS), "Accuracy by", 300)
    page.js("var e = Array.from(document.querySelectorAll('#' + arguments[0] + ' .js-plotly-plot')).find("
            "function (g) { return ((g.layout.title || {}).text || '').indexOf('Accuracy by') === 0; });"
            "if (e) e.scrollIntoView({block: 'center'});", ids.output(ids.TAB_ERRORS))
    save(page, "model-errors-tabular")


def test_model_training(page):
    out = ids.output(ids.TAB_TRAINING)
    page.open(f"?model=mnist-cnn&tab={ids.TAB_TRAINING}")
    shows(page, out, "over the epochs", 300)
    page.choose(ids.TRAIN_LAYER, "fc1")
    page.click(f"#{ids.TRAIN_KIND} input[value='gradients']")
    shows(page, out, "fc1: gradients", 120)
    frame(page, ids.TABS)
    save(page, "model-training")


def test_model_layers(page):
    out = ids.output(ids.TAB_LAYERS)
    page.open(f"?model=mnist-cnn&tab={ids.TAB_LAYERS}")
    shows(page, out, "conv1 (Conv2d) now", 300)
    page.driver.find_element(By.XPATH, "//*[contains(@class, 'layers-table')]//td[@data-dash-column='layer']"
                                       "[normalize-space(.)='relu3']").click()
    shows(page, out, "relu3 (ReLU) now", 120)
    frame(page, ids.TABS)
    save(page, "model-layers")


def test_model_architecture(page):
    page.open(f"?model=mnist-cnn&sample=7&tab={ids.TAB_ARCH}")
    page.until(lambda: page.js("return window.cy && window.cy.nodes().length > 5"), 120, "the graph")
    page.until(lambda: "parameters" in page.text("arch-summary"), 60, "the summary")
    frame(page, ids.TABS)
    save(page, "model-architecture")


def test_model_pruning(page):
    out = ids.output(ids.TAB_PRUNING)
    page.open(f"?model=mnist-cnn&sample=11&tab={ids.TAB_PRUNING}")
    page.until(lambda: page.dropdown_text(f"#{ids.PRUNE_LAYER}").startswith("conv1"), 60, "the layer picker")
    page.choose(ids.PRUNE_LAYER, "fc1")
    page.wait_figures(out, lambda f: any(x["title"].startswith("Pruned:") for x in f), 300, "fc1 pruned")
    frame(page, ids.TABS)
    save(page, "model-pruning")


def test_robustness_curve(page):
    page.open(f"?model=breast-cancer-mlp&tab={ids.TAB_ROBUST_CURVE}")
    shows(page, ids.output(ids.TAB_ROBUST_CURVE), "held-out accuracy against ε", 300)
    frame(page, ids.TABS)
    save(page, "robustness-curve")


def test_quality_ranking(page):
    out = ids.output(ids.TAB_METHOD_RANKING)
    page.open(f"?model=breast-cancer-mlp&sample=9&tab={ids.TAB_METHOD_RANKING}")
    page.until(lambda: page.js("return !!document.getElementById('ranking-start')"), 60, "the ranking tab")
    page.click("#ranking-start")
    page.until(lambda: "Mean ± standard deviation" in page.text(out), 400, "the ranking")
    frame(page, ids.TABS)
    save(page, "quality-ranking")


# ------------------------------------------------------------------------------ share and demo
def test_export_report(page, tmp_path):
    page.driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)})
    page.open("?model=mnist-cnn&sample=3&tab=gradients")
    shows(page, GRADIENTS, "Integrated gradients")
    page.click(f"#{ids.SHARE_REPORT}")
    page.until(lambda: "Report saved" in page.text(ids.SHARE_STATUS), 120, "the report")
    path = page.until(lambda: next(iter(tmp_path.glob("glimpse-*.html")), None), 30, "the downloaded file")
    page.driver.get(path.resolve().as_uri())
    page.until(lambda: page.js("return document.querySelectorAll('.js-plotly-plot').length > 0"), 30, "the figures")
    time.sleep(1.0)
    page.driver.save_screenshot(str(Path(FOLDER) / "export-report.png"))


def test_presentation(page):
    page.open("?model=mnist-cnn&sample=3&tab=gradients&present=1&samples=3,17,42")
    page.until(lambda: page.js("return document.body.classList.contains('presenting')"), 30, "presentation mode")
    shows(page, GRADIENTS, "Integrated gradients")
    page.idle()
    ActionChains(page.driver).send_keys(Keys.ARROW_RIGHT).perform()
    page.until(lambda: page.sample_id() == 17 and "2 of 3" in page.text(ids.PRESENT_BADGE), 30, "sample 17")
    shows(page, GRADIENTS, "Integrated gradients")
    save(page, "presentation")


def test_whatif_draw(page):
    page.open(f"?model=mnist-cnn&sample=3&tab={ids.TAB_WHATIF}")
    page.until(lambda: "for the edited sample" in page.text("whatif-prediction"), 120, "the what-if prediction")
    page.click("#whatif-clear")
    page.idle()
    cleared = page.text("whatif-prediction")
    from tests.e2e.test_share_and_whatif import draw_a_one

    draw_a_one(page)
    page.until(lambda: page.text("whatif-prediction") != cleared, 60, "the new prediction")
    page.js("window.scrollTo(0, 0);")
    frame(page, ids.panel(ids.TAB_WHATIF))
    save(page, "whatif-draw")


def test_whatif_table(page):
    import numpy as np

    from tests.e2e.test_share_and_whatif import size_features_to_their_largest

    service = page.service
    t = service.samples("breast-cancer-mlp")
    benign = int(np.flatnonzero((t.predictions == 1) & t.is_test)[0])
    page.open(f"?model=breast-cancer-mlp&sample={benign}&tab={ids.TAB_WHATIF}")
    page.until(lambda: "for the edited sample" in page.text("whatif-prediction"), 120, "the what-if prediction")
    size_features_to_their_largest(page, service)
    page.until(lambda: "malignant" in page.text("whatif-prediction"), 60, "the prediction to turn malignant")
    page.js("document.querySelector('.whatif-edit').scrollTop = 0; window.scrollTo(0, 0);")
    frame(page, ids.TABS)
    save(page, "whatif-table")

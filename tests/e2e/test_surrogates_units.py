"""KernelSHAP (with its additivity line), GradientSHAP among the gradient maps and the unit
contributions (a bar click shows the unit's top-activating samples, a sample click opens
it) in headless Chromium at 1366×768, for the MNIST CNN and tabular models.

GLIMPSE_SHOTS=<folder> keeps the screenshots (docs/screenshots/model-shap.png and
model-units.png come from here)."""
from __future__ import annotations

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By

from dashboard import ids
from tests.e2e.helpers import shoot

SHAP_OUT, UNITS_OUT = ids.output(ids.TAB_SHAP), ids.output(ids.TAB_UNITS)


def _framed(page, element_id: str, name: str) -> None:
    """A screenshot with `element_id` scrolled to the top of the window (Dash's debug menu,
    on in the tests, hidden for it)."""
    page.js("document.querySelectorAll('[class*=dash-debug-menu]')"
            ".forEach(function (e) { e.style.display = 'none'; });"
            "document.getElementById(arguments[0]).scrollIntoView();", element_id)
    shoot(page, name)


def _title(figs) -> str:
    return " ".join(f["title"] + " " + f["subtitle"] for f in figs)


def test_kernel_shap_renders_with_its_additivity_line(glimpse):
    page = glimpse
    page.open("?model=mnist-cnn&tab=shap")
    figs = page.wait_figures(SHAP_OUT, lambda f: "KernelSHAP for class" in _title(f), 120, "KernelSHAP on the CNN")
    assert "segments" in figs[0]["subtitle"] and {"segment boundaries"} <= {t["name"] for t in figs[0]["traces"]}
    page.until(lambda: "holds to 1e-4" in page.text(SHAP_OUT), 30, "the additivity line")
    assert "the whole change of the explained score" in page.text(SHAP_OUT)   # plain words; formula under details
    assert "f(x) − f(baseline)" in page.js("return document.getElementById('shap-additivity-tech').textContent")
    page.idle()
    _framed(page, ids.panel(ids.TAB_SHAP), "model-shap")
    page.open("?model=breast-cancer-mlp&tab=shap")
    figs = page.wait_figures(SHAP_OUT, lambda f: "f(baseline)" in _title(f), 120, "the waterfall for a table")
    assert figs[0]["traces"][0]["type"] == "waterfall"
    page.until(lambda: "holds to 1e-4" in page.text(SHAP_OUT), 30, "the table's additivity line")
    _framed(page, SHAP_OUT, "model-shap-table")
    page.assert_clean()


def test_gradient_shap_is_among_the_gradient_maps(glimpse):
    page = glimpse
    page.open("?model=mnist-cnn&tab=gradients")
    out = ids.output(ids.TAB_GRADIENTS)
    page.wait_figures(out, lambda f: f[0]["title"].startswith("Integrated gradients"), 60, "the default map")
    page.choose(ids.METHOD_A, "GradientSHAP")
    figs = page.wait_figures(out, lambda f: f[0]["title"].startswith("GradientSHAP"), 60, "the GradientSHAP map")
    assert figs[0]["traces"]
    _framed(page, out, "model-gradient-shap")
    page.assert_clean()


def _top_head(page) -> str:
    return page.text(ids.UNITS_TOP)


def test_unit_contributions_and_a_bar_click(glimpse):
    page, service = glimpse, glimpse.service
    page.open("?model=mnist-cnn&tab=units")
    figs = page.wait_figures(UNITS_OUT, lambda f: "Unit contributions to class" in f[0]["title"], 60, "the bars")
    assert "Click a bar" in figs[0]["subtitle"]
    assert "unit contributions" in page.text(UNITS_OUT) and "+ bias" in page.text(UNITS_OUT)
    page.until(lambda: len(page.driver.find_elements(By.CSS_SELECTOR, f"#{ids.UNITS_TOP} .units-thumb")) == 12, 60,
               "the first unit's top-activating digits")
    before = _top_head(page)
    bars = page.driver.find_elements(By.CSS_SELECTOR, f"#{UNITS_OUT} .barlayer .point path")
    assert len(bars) >= 10
    # plotly's drag layer takes the click over the bar and names the bar under the pointer
    ActionChains(page.driver).move_to_element(bars[3]).pause(0.3).click().perform()   # the fourth bar
    page.until(lambda: _top_head(page) != before and "Unit " in _top_head(page), 30, "the clicked unit's samples")
    unit = int(_top_head(page).split("Unit ", 1)[1].split()[0])
    r = service.model_view("mnist-cnn", "unit_responses")
    thumbs = page.driver.find_elements(By.CSS_SELECTOR, f"#{ids.UNITS_TOP} .units-thumb")
    assert len(thumbs) == 12
    page.idle()
    _framed(page, UNITS_OUT, "model-units")
    thumbs[0].click()                                 # opens the unit's most activating digit
    page.until(lambda: page.sample_id() == int(r.top_ids[unit, 0]), 30, "the top-activating sample opened")
    page.assert_clean()


def test_unit_contributions_for_a_table(glimpse):
    page = glimpse
    page.open("?model=wine-mlp&tab=units")
    page.wait_figures(UNITS_OUT, lambda f: "Unit contributions to class" in f[0]["title"], 60, "the bars")
    page.until(lambda: len(page.driver.find_elements(By.CSS_SELECTOR, f"#{ids.UNITS_TOP} .units-table tr")) == 13,
               60, "the header and 12 top-activating rows")
    assert "alcohol" in page.text(ids.UNITS_TOP)
    page.assert_clean()

"""The Robustness tab in the browser: for the MNIST CNN the adversarial example (original,
perturbation, adversarial input), the prediction before and after, the minimal ε and the
maps of both; for the breast-cancer MLP the counterfactual sentences and their table; and
the model-level robustness curve. GLIMPSE_SHOTS=<folder> keeps robustness.png,
counterfactual.png and robustness-curve.png there (1366×768)."""
from __future__ import annotations

from dashboard import ids
from tests.e2e.helpers import shoot

OUT = ids.output(ids.TAB_ROBUST)


def open_page(page, search: str, timeout: int = 300):
    """page.open with room for a slow start (the robustness tabs run attacks on first view;
    on 2 shared cores the page's first load alone can pass page.open's minute)."""
    page.driver.get(page.duo.server_url.rstrip("/") + "/" + search)
    page.until(lambda: page.js("var m = document.getElementById(arguments[0]);"
                               "return !!m && m.style.display !== 'none';", ids.MAIN), timeout, "the main view")
    page.until(lambda: page.sample_text(), timeout, "the sample panel")


def show(page, element_id: str) -> None:
    """Scroll the tab's content into view for the screenshot."""
    page.js("var e = document.getElementById(arguments[0]); if (e) e.scrollIntoView({block: 'start'});", element_id)


def titles(figs) -> str:
    return " ".join(f["title"] + " " + f["subtitle"] for f in figs)


def test_adversarial_example_of_a_digit(glimpse):
    page, service = glimpse, glimpse.service
    sample = int(service.dataset_for("mnist-cnn").test_idx[0])
    open_page(page, f"?model=mnist-cnn&sample={sample}&tab={ids.TAB_ROBUST}")
    figs = page.wait_figures(OUT, lambda f: "Adversarial example" in titles(f) and "on the adversarial input"
                             in titles(f), 180, "the adversarial example and both maps")
    assert "Prediction before and after" in titles(figs)
    assert all(f["traces"] for f in figs)
    minimal = page.text("robust-minimal")
    assert minimal.startswith("Minimal ε that flips it:") or minimal.startswith("No ε up to"), minimal
    r = service.robustness("mnist-cnn", "adversarial", sample, attack="pgd", norm="linf", steps=20)
    assert f"{r.minimal.epsilon:.4g}" in minimal
    page.idle()
    show(page, ids.panel(ids.TAB_ROBUST))
    shoot(page, "robustness")
    page.assert_clean()


def test_counterfactuals_of_a_table_row(glimpse):
    page, service = glimpse, glimpse.service
    sample = int(service.dataset_for("breast-cancer-mlp").test_idx[0])
    open_page(page, f"?model=breast-cancer-mlp&sample={sample}&tab={ids.TAB_ROBUST}")
    page.until(lambda: page.text("robust-sentence").startswith("If "), 180, "a counterfactual sentence")
    sentence = page.text("robust-sentence")
    cfs = service.robustness("breast-cancer-mlp", "counterfactuals", sample)
    assert sentence == cfs.sentence(cfs.alternatives[0])
    assert "the model would say" in sentence
    rows = page.js("return document.querySelectorAll('#robust-cf-table tbody tr').length")
    assert rows == len(cfs.alternatives) >= 2
    page.until(lambda: page.text("robust-adv-row"), 60, "the adversarial row")
    page.wait_figures(OUT, lambda f: "Prediction before and after" in titles(f), 60, "the probabilities")
    page.idle()
    show(page, ids.panel(ids.TAB_ROBUST))
    shoot(page, "counterfactual")
    page.assert_clean()


def test_robustness_curve_of_the_model(glimpse):
    page = glimpse
    open_page(page, f"?model=breast-cancer-mlp&tab={ids.TAB_ROBUST_CURVE}")
    figs = page.wait_figures(ids.output(ids.TAB_ROBUST_CURVE), lambda f: "held-out accuracy against ε" in titles(f),
                             180, "the robustness curve")
    acc = page.service.model_info("breast-cancer-mlp").accuracy
    assert f"At ε = 0: {acc:.1%}" in titles(figs)
    page.idle()
    shoot(page, "robustness-curve")
    page.assert_clean()

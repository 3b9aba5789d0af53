"""KernelSHAP's stability button in Chromium at 1366×768: for the MNIST CNN it shows the
seed-to-seed agreement and the std map, for a table model the per-feature spread; a new
sample clears it (it belongs to the old one). GLIMPSE_SHOTS=<folder> keeps screenshots."""
from __future__ import annotations

import pytest

from dashboard import ids
from tests.e2e.helpers import shoot


@pytest.fixture(scope="module")
def service(settings):
    from tests.quality_service import service_with
    return service_with(settings, ["mnist-cnn", "wine-mlp"])


@pytest.mark.parametrize("model", ["mnist-cnn", "wine-mlp"])
def test_kernel_shap_stability_button(glimpse, model):
    page = glimpse
    page.open(f"?model={model}&tab={ids.TAB_SHAP}")
    page.wait_figures(ids.output(ids.TAB_SHAP), timeout=90, msg="the KernelSHAP figure")
    page.idle()
    page.js("document.getElementById(arguments[0]).scrollIntoView({block: 'center'});", ids.QUALITY_SHAP_RUN)
    page.click(f"#{ids.QUALITY_SHAP_RUN}")
    page.until(lambda: "Stability over seeds" in page.text(ids.QUALITY_SHAP_OUT), 120, "the stability check")
    text = page.text(ids.QUALITY_SHAP_OUT)
    assert "Over 5 seeds the maps agree on the order of the features" in text
    if model == "mnist-cnn":
        assert "std over seeds (max" in text
        assert page.js("return document.querySelectorAll('#' + arguments[0] + ' img.thumb-map').length",
                       ids.QUALITY_SHAP_OUT) == 1
    else:
        figs = page.wait_figures(ids.QUALITY_SHAP_OUT, timeout=30, msg="the spread figure")
        assert figs[0]["title"].startswith("Spread over 5 seeds")
    shoot(page, f"shap-stability-{model}")
    other = next(i for i in page.thumb_ids() if i != page.sample_id()) if model == "mnist-cnn" else None
    if other is not None:
        page.select_sample(other)
        page.until(lambda: not page.text(ids.QUALITY_SHAP_OUT).strip(), 30, "the old spread cleared")
    assert not [e for e in page.error_texts() if "quality" in e or "stab" in e], page.error_texts()   # none from it

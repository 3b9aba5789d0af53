"""The gradient tab's quality panel in Chromium at 1366×768: 'How far can I trust this map?'
draws the deletion/insertion curves and the randomisation check with their plain lines, and
'Which method to trust for this sample?' ranks every method, for the MNIST CNN and a table
model. GLIMPSE_SHOTS=<folder> keeps screenshots."""
from __future__ import annotations

import pytest

from dashboard import ids
from tests.e2e.helpers import shoot


@pytest.fixture(scope="module")
def service(settings):
    from tests.quality_service import service_with
    return service_with(settings, ["mnist-cnn", "breast-cancer-mlp"])


def _table_rows(page) -> int:
    return page.js("return document.querySelectorAll('#' + arguments[0] + ' table.method-table tbody tr').length",
                   ids.QUALITY_TABLE_OUT) or 0


@pytest.mark.parametrize("model, methods", [("mnist-cnn", 9), ("breast-cancer-mlp", 8)])
def test_quality_panel_and_method_table_render(glimpse, model, methods):
    page = glimpse
    page.open(f"?model={model}&tab={ids.TAB_GRADIENTS}")
    page.wait_figures(ids.output(ids.TAB_GRADIENTS), timeout=90, msg="the gradient map")
    page.idle()
    page.click(f"#{ids.QUALITY_RUN}")
    figs = page.wait_figures(ids.QUALITY_OUT, lambda f: len(f) >= 2, 120, "the quality figures")
    titles = " ".join(f["title"] for f in figs)
    assert "Deletion and insertion" in titles and "model is random" in titles
    curves = next(f for f in figs if f["title"] == "Deletion and insertion")
    assert [t["n_y"] for t in curves["traces"]] == ([51, 51] if model == "mnist-cnn" else [31, 31])
    text = page.text(ids.QUALITY_OUT)
    for words in ("Deletion area", "Insertion area", "Infidelity", "Max-sensitivity", "Randomisation ρ",
                  "lower is better"):
        assert words in text, words
    shoot(page, f"quality-{model}-scores")
    page.click(f"#{ids.QUALITY_TABLE_RUN}")
    page.until(lambda: _table_rows(page) == methods, 180, "the which-method table")
    table = page.text(ids.QUALITY_TABLE_OUT)
    assert "Which method to trust for this sample?" in table and "Integrated gradients" in table
    assert page.js("return document.querySelectorAll('#' + arguments[0] + ' td.best').length",
                   ids.QUALITY_TABLE_OUT) >= 6
    page.js("document.getElementById(arguments[0]).scrollIntoView({block: 'start'});", ids.QUALITY_OUT)
    shoot(page, f"quality-{model}-table")
    # a new sample clears the old scores (they belong to the other sample)
    other = next(i for i in page.thumb_ids() if i != page.sample_id()) if model == "mnist-cnn" else None
    if other is not None:
        page.select_sample(other)
        page.until(lambda: not page.text(ids.QUALITY_OUT).strip(), 30, "the old scores cleared")
    assert not [e for e in page.error_texts() if "quality" in e], page.error_texts()    # none from this panel

"""Every tab beyond the first five, at both levels, for the kinds of model that differ most
from the MNIST CNN: an RGB image model, a single-logit binary model and a regression.
Each shows something (a figure, a graph, words; a view that does not apply says so in
words) and nothing goes wrong in the page (no console error, no failed callback)."""
from __future__ import annotations

import pytest

from dashboard import ids
from dashboard.layout import TAB_LABELS
from tests.e2e.helpers import FIRST_TABS, shoot

LATER_TABS = [t for t in ids.TAB_NAMES if t not in FIRST_TABS]


@pytest.mark.slow
@pytest.mark.parametrize("model", ["shortcut-cnn", "seed-binary-mlp", "diabetes-mlp"])
def test_every_later_tab_shows_something_for(glimpse, model):
    page, service = glimpse, glimpse.service
    info = service.model_info(model)
    page.open(f"?model={model}")
    page.until(lambda: page.model_label().startswith(info.title), 20, "the model picker")
    shown = {}
    for tab in LATER_TABS:
        page.tab(TAB_LABELS[tab])
        shown[tab] = page.wait_content(ids.output(tab), 120)
        errors = [a for a in page.js(
            "return Array.from(document.getElementById(arguments[0]).querySelectorAll('.alert-error'))"
            ".map(function (e) { return e.innerText; });", ids.output(tab))]
        assert not errors, (tab, errors)
        shoot(page, f"every-view-{model}-{tab}")
    page.assert_clean()
    assert all(text.strip() for text in shown.values()), {t: v[:80] for t, v in shown.items()}

"""The tabs' render functions on image models of other shapes (no browser): LIME's patch
size and the gradient tab's per-channel view reach the engine and the figure."""
from __future__ import annotations

from dashboard import ids
from dashboard.tabs import gradients, lime
from tests.dashboard.test_callbacks import alerts, figures

RGB, SMALL = "shortcut-cnn", "digits-8x8-cnn"


def test_lime_patch_size_reaches_the_engine_and_is_checked_against_the_image(service):
    out = lime.render(service, RGB, 3, ids.PREDICTED, 200, None, 7)
    assert "16 segments" in figures(out)[0].layout.title.subtitle.text        # 28 / 7 = 4 a side
    refused = lime.render(service, RGB, 3, ids.PREDICTED, 200, None, 15)
    assert alerts(refused) and "patch must be between 2 and 14" in alerts(refused)[0]
    assert "patch must be between 2 and 4" in alerts(lime.render(service, SMALL, 3, ids.PREDICTED, 200, None, 5))[0]
    table = lime.render(service, "breast-cancer-mlp", 3, ids.PREDICTED, 200, None, 7)     # no patches in a table
    assert figures(table) and not alerts(table, kinds=("alert-error",))    # a bad-fit warning may show


def test_the_per_channel_view_reaches_the_figure(service):
    summed = figures(gradients.render(service, RGB, 3, ids.PREDICTED, "saliency", {}))
    split = figures(gradients.render(service, RGB, 3, ids.PREDICTED, "saliency", {}, per_channel=True))
    names = {t.name for t in split[0].data}
    assert {"red values", "green values", "blue values"} <= names and "values" not in names
    assert "values" in {t.name for t in summed[0].data}
    grey = figures(gradients.render(service, SMALL, 3, ids.PREDICTED, "saliency", {}, per_channel=True))
    assert "values" in {t.name for t in grey[0].data}              # one channel: nothing to split

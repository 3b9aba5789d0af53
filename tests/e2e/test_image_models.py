"""The RGB shortcut-digits model and the 8×8 digits model in the browser: every tab renders
with content and no console error, the RGB input shows beside its maps, the per-channel
view draws one panel per colour, the first layer's kernels show as colours, and the model
card states the training accuracy next to the held-out one.

GLIMPSE_SHOTS=<folder> keeps a 1366×768 screenshot of every tab of both models there.
"""
from __future__ import annotations

import pytest

from dashboard import ids
from dashboard.layout import TAB_LABELS
from tests.e2e.helpers import FIRST_TABS, shoot

RGB, SMALL = "shortcut-cnn", "digits-8x8-cnn"
# what each tab's first figure must show for each model (title or subtitle)
EXPECTED = {
    RGB: {ids.TAB_ACTIVATIONS: "conv1 — 16 feature maps (28×28)", ids.TAB_WEIGHTS: "conv1 — 16×3 kernels",
          ids.TAB_GRADIENTS: "left: the input", ids.TAB_LIME: "weight of each of 49 segments",
          ids.TAB_TREE: "Distilled tree", ids.TAB_SHAP: "Shapley value of each of 49 segments",
          ids.TAB_UNITS: "Unit contributions to class"},
    SMALL: {ids.TAB_ACTIVATIONS: "conv1 — 16 feature maps (8×8)", ids.TAB_WEIGHTS: "conv1 — 16 filters (3×3)",
            ids.TAB_GRADIENTS: "shown over the image", ids.TAB_LIME: "weight of each of 16 segments",
            ids.TAB_TREE: "Distilled tree", ids.TAB_SHAP: "Shapley value of each of 16 segments",
            ids.TAB_UNITS: "Unit contributions to class"},
}


def figure_text(figs) -> str:
    return " ".join(f["title"] + " " + f["subtitle"] for f in figs)


def trace_names(figs) -> set[str]:
    return {t["name"] for f in figs for t in f["traces"]}


@pytest.mark.parametrize("model", [RGB, SMALL])
def test_every_tab_renders_for_the_image_models(glimpse, model):
    page, service = glimpse, glimpse.service
    info = service.model_info(model)
    page.open(f"?model={model}")
    page.until(lambda: page.model_label().startswith(info.title), 20, "the model picker")
    page.until(lambda: len(page.thumb_ids()) == 40, 20, "a page of thumbnails")
    for tab in FIRST_TABS:
        page.tab(TAB_LABELS[tab])
        want = EXPECTED[model][tab]
        figs = page.wait_figures(ids.output(tab), lambda f: want in figure_text(f), 90, f"the {tab} tab: {want!r}")
        assert all(f["traces"] for f in figs), tab
        page.idle()
        shoot(page, f"images-{model}-{tab}")
    card = page.text(ids.MODEL_CARD)
    assert "Training accuracy" in card and f"{100 * info.train_accuracy:.1f}%" in card
    assert f"{100 * info.accuracy:.1f}%" in card
    page.assert_clean()


def test_the_rgb_maps_show_the_input_the_channels_and_colour_kernels(glimpse):
    page = glimpse
    page.open(f"?model={RGB}&tab=gradients")
    out = ids.output(ids.TAB_GRADIENTS)
    figs = page.wait_figures(out, lambda f: "input (RGB)" in trace_names(f), 60, "the RGB input beside the map")
    assert {"input", "attribution", "values"} <= trace_names(figs)
    page.click(f"#{ids.GRAD_CHANNELS} label")                    # one map per colour channel
    figs = page.wait_figures(out, lambda f: "blue values" in trace_names(f), 30, "the per-channel panels")
    assert {"red values", "green values", "blue values", "panel labels"} <= trace_names(figs)
    page.idle()
    shoot(page, "images-shortcut-cnn-per-channel")
    page.choose(ids.METHOD_A, "Grad-CAM")
    figs = page.wait_figures(out, lambda f: f[0]["title"].startswith("Grad-CAM"), 30)
    assert "all channels share it" in figs[0]["subtitle"]      # one value per pixel: no panels to split
    page.click(f"#{ids.GRAD_CHANNELS} label")
    page.js("window.scrollTo(0, 0)")                              # the tabs out from under the header
    page.tab(TAB_LABELS[ids.TAB_WEIGHTS])
    figs = page.wait_figures(ids.output(ids.TAB_WEIGHTS), lambda f: "RGB kernels" in trace_names(f), 30)
    page.assert_clean()


def test_a_grey_model_offers_no_per_channel_view(glimpse):
    page = glimpse
    page.open(f"?model={SMALL}&tab=gradients")
    page.wait_figures(ids.output(ids.TAB_GRADIENTS), lambda f: "values" in trace_names(f), 60)
    page.until(lambda: not page.duo.find_element(f"#{ids.GRAD_CHANNELS_WRAP}").is_displayed(), 10,
               "the per-channel toggle hidden")
    page.choose(ids.MODEL_SELECT, "Shortcut digits")
    page.until(lambda: page.duo.find_element(f"#{ids.GRAD_CHANNELS_WRAP}").is_displayed(), 20,
               "the per-channel toggle shown for RGB")
    page.assert_clean()


def test_lime_patch_size_follows_the_image(glimpse):
    page = glimpse
    out = ids.output(ids.TAB_LIME)
    page.open(f"?model={RGB}&tab=lime")
    page.wait_figures(out, lambda f: "49 segments" in figure_text(f), 60, "LIME's default 4-pixel patches")
    box = page.duo.find_element(f"#{ids.LIME_PATCH}")
    wrap = page.duo.find_element(f"#{ids.LIME_PATCH_WRAP}")    # the largest value is said, not the field's max
    page.until(lambda: box.get_attribute("placeholder") == "default (4)"
               and "from 2 to 14" in (wrap.get_attribute("title") or ""), 10,
               "the patch size's default and largest value for 28×28")
    box.send_keys("7\n")
    page.wait_figures(out, lambda f: "16 segments" in figure_text(f), 60, "7-pixel patches")
    page.choose(ids.MODEL_SELECT, "8×8 digits")
    page.until(lambda: box.get_attribute("placeholder") == "default (2)", 20, "the 8×8 default")
    page.choose(ids.MODEL_SELECT, "Breast cancer")
    page.until(lambda: not page.duo.find_element(f"#{ids.LIME_PATCH_WRAP}").is_displayed(), 20,
               "no patch size for a table")
    page.assert_clean()

"""The Attention tab in Chromium at 1366×768: for the ViT, the class token's attention per
layer × head, rollout beside the input and a token × token matrix that follows the pickers;
for the MNIST CNN, a plain sentence that it has no attention. Rollout is one of the gradient
maps, and the quality panel scores it. GLIMPSE_SHOTS=<folder> keeps screenshots;
GLIMPSE_DOC_SHOTS=1 writes docs/screenshots/attention.png."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from dashboard import ids
from tests.e2e.helpers import shoot

VIT = "mnist-vit"
OUT = ids.output(ids.TAB_ATTENTION)


@pytest.fixture(scope="module")
def service(settings):
    from tests.quality_service import service_with
    return service_with(settings, [VIT, "mnist-cnn"])


def _errors(page, container):
    return page.js("return Array.from(document.getElementById(arguments[0]).querySelectorAll('.alert-error'))"
                   ".map(function (e) { return e.innerText; });", container)


def test_attention_tab_for_the_vit(glimpse):
    page = glimpse
    sample = int(page.service.dataset_for(VIT).test_idx[1])
    page.open(f"?model={VIT}&sample={sample}&tab={ids.TAB_ATTENTION}")
    figs = page.wait_figures(OUT, lambda f: len(f) == 3, 90, "the three attention figures")
    titles = [f["title"] for f in figs]
    assert titles[0] == "The class token's attention, every layer × head"
    assert titles[1] == "Attention rollout"
    assert titles[2].startswith("layer 1, heads' mean")
    labels = next(t for t in figs[0]["traces"] if t["name"] == "tile labels")
    assert labels["n_text"] == 2 * (4 + 1)                      # 2 layers × (4 heads + their mean)
    assert "each row sums to 1" in page.text(OUT) and "not attribution" in page.text(OUT)
    if os.environ.get("GLIMPSE_DOC_SHOTS"):
        page.idle()
        page.driver.save_screenshot(str(Path(__file__).resolve().parents[2] / "docs" / "screenshots"
                                        / "attention.png"))
    page.choose(ids.ATTN_LAYER, "layer 2")
    page.choose(ids.ATTN_HEAD, "head 3")
    page.wait_figures(OUT, lambda f: len(f) == 3 and f[2]["title"].startswith("layer 2, head 3"), 30,
                      "the matrix of layer 2, head 3")
    assert not _errors(page, OUT)
    shoot(page, "attention-vit")
    page.assert_clean()


def test_attention_tab_says_a_cnn_has_no_attention(glimpse):
    page = glimpse
    page.open(f"?model=mnist-cnn&tab={ids.TAB_ATTENTION}")
    text = page.until(lambda: "no attention layers" in page.text(OUT) and page.text(OUT), 60, "the no-attention words")
    assert "This model has no attention layers" in text
    assert not _errors(page, OUT) and not page.figures(OUT)
    page.assert_clean()


def test_rollout_is_a_gradient_map_with_quality_scores(glimpse):
    page = glimpse
    page.open(f"?model={VIT}&tab={ids.TAB_GRADIENTS}&method=attention_rollout")
    figs = page.wait_figures(ids.output(ids.TAB_GRADIENTS), lambda f: f[0]["title"].startswith("Attention rollout"),
                             90, "the rollout map")
    assert "attention, not attribution" in figs[0]["subtitle"].replace("<br>", " ")
    page.idle()
    page.click(f"#{ids.QUALITY_RUN}")
    page.wait_figures(ids.QUALITY_OUT, lambda f: len(f) >= 2, 180, "the quality figures")
    text = page.text(ids.QUALITY_OUT)
    for words in ("Attention rollout", "Deletion area", "Insertion area", "Infidelity", "Max-sensitivity",
                  "Randomisation ρ"):
        assert words in text, words
    assert not _errors(page, ids.QUALITY_OUT)
    shoot(page, "attention-rollout-quality")
    page.assert_clean()


@pytest.mark.slow
def test_every_tab_shows_something_for_the_vit(glimpse):
    """Every tab of both levels, as test_every_view.py does for other kinds of model: a view
    that does not apply to a transformer says so in words, none fails."""
    from dashboard.layout import TAB_LABELS

    page = glimpse
    page.open(f"?model={VIT}")
    page.until(lambda: page.model_label().startswith("MNIST ViT"), 20, "the model picker")
    shown = {}
    for tab in ids.TAB_NAMES:
        page.tab(TAB_LABELS[tab])
        shown[tab] = page.wait_content(ids.output(tab), 120)
        assert not _errors(page, ids.output(tab)), (tab, _errors(page, ids.output(tab)))
        shoot(page, f"every-view-{VIT}-{tab}")
    page.assert_clean()
    assert set(shown) == set(ids.TAB_NAMES)        # wait_content saw a figure, a graph or words in every one

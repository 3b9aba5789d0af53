"""The Training history and Layers now views in the browser, for the MNIST CNN and for
table models: the curves end at the model card's accuracy, the ridgeline follows the layer
and kind picked, the layers table lists every layer and a row click shows that layer.
GLIMPSE_SHOTS=<folder> keeps model-training.png and model-layers.png there (1366×768)."""
from __future__ import annotations

from selenium.webdriver.common.by import By

from dashboard import ids
from tests.e2e.helpers import shoot

TRAINING, LAYERS = ids.output(ids.TAB_TRAINING), ids.output(ids.TAB_LAYERS)


def titles(figs) -> str:
    return " ".join(f["title"] + " " + f["subtitle"] for f in figs)


def test_training_history_of_the_cnn(glimpse):
    page, service = glimpse, glimpse.service
    page.open(f"?model=mnist-cnn&tab={ids.TAB_TRAINING}")
    figs = page.wait_figures(TRAINING, lambda f: "Accuracy per epoch" in titles(f) and "over the epochs"
                             in titles(f), 120, "the curves and the ridgeline")
    acc = service.model_info("mnist-cnn").accuracy
    assert f"held-out {acc:.1%}" in titles(figs)
    assert "Loss per epoch" in titles(figs)
    ridges = next(f for f in figs if "over the epochs" in f["title"])
    assert ridges["title"].startswith("conv1: weights") and len(ridges["traces"]) == 10     # one per epoch
    page.choose(ids.TRAIN_LAYER, "fc1")
    page.click(f"#{ids.TRAIN_KIND} input[value='gradients']")
    page.wait_figures(TRAINING, lambda f: "fc1: gradients" in titles(f), 60, "fc1's gradients")
    page.idle()
    shoot(page, "model-training")
    page.assert_clean()


def test_layers_of_the_cnn_and_a_row_click(glimpse):
    page, service = glimpse, glimpse.service
    page.open(f"?model=mnist-cnn&tab={ids.TAB_LAYERS}")
    page.wait_figures(LAYERS, lambda f: "conv1 (Conv2d) now" in titles(f), 120, "conv1's histograms")
    stats = service.model_view("mnist-cnn", "layer-stats")
    rows = page.js("return document.querySelectorAll('.layers-table tbody tr').length")
    assert rows == len(stats.layers) + 1          # a header row and one row per layer
    assert page.text(ids.LAYERS_SUMMARY).endswith(".") and "held-out rows" in page.text(ids.LAYERS_SUMMARY)
    cell = page.driver.find_element(
        By.XPATH, "//*[contains(@class, 'layers-table')]//td[@data-dash-column='layer'][normalize-space(.)='relu3']")
    cell.click()
    figs = page.wait_figures(LAYERS, lambda f: "relu3 (ReLU) now" in titles(f), 60, "relu3 after a row click")
    relu3 = stats.layer("relu3")
    assert f"{relu3.activations.n:,} values" in " ".join(" ".join(f["annotations"]) for f in figs)
    page.idle()
    shoot(page, "model-layers")
    page.assert_clean()


def test_both_views_of_table_models(glimpse):
    page, service = glimpse, glimpse.service
    page.open(f"?model=wine-mlp&tab={ids.TAB_TRAINING}")
    figs = page.wait_figures(TRAINING, lambda f: "Accuracy per epoch" in titles(f), 120, "wine's curves")
    ridges = next(f for f in figs if "over the epochs" in f["title"])
    assert len(ridges["traces"]) == 30 and "30 of 80 epochs" in ridges["subtitle"]
    assert "Recorded while Glimpse trained this model (80 epochs)" in page.text(ids.TRAIN_NOTE)
    page.open(f"?model=diabetes-mlp&tab={ids.TAB_TRAINING}")
    figs = page.wait_figures(TRAINING, lambda f: "Mean absolute error per epoch" in titles(f), 120,
                             "the regression's curves")
    assert f"R² {service.model_info('diabetes-mlp').r2:.3f}" in titles(figs)
    page.open(f"?model=seed-binary-mlp&tab={ids.TAB_LAYERS}")
    page.wait_figures(LAYERS, lambda f: "fc1 (Linear) now" in titles(f), 120, "the seed model's layers")
    stats = service.model_view("seed-binary-mlp", "layer-stats")
    dead = sum(s.dead for s in stats.layers if s.dead is not None)
    assert page.text(ids.LAYERS_SUMMARY).startswith(f"{dead} of 20 ReLU units never fire on the 250 held-out rows")
    page.choose(ids.LAYERS_PICK, "relu2")
    page.wait_figures(LAYERS, lambda f: "relu2 (ReLU) now" in titles(f), 60, "relu2 from the picker")
    page.idle()
    page.assert_clean()

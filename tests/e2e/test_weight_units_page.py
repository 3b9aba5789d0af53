"""The weights tab draws a dense layer unit by unit in the browser: the CNN's fc1 (64 × 1568)
as its strongest units' rows of 32 channel maps, one unit as 32 maps of 7×7; the MLP's first
layer as 28×28 images. The whole matrix stays one click away; conv layers show no unit picker."""
from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from dashboard import ids
from tests.e2e.helpers import shoot

OUT = ids.output(ids.TAB_WEIGHTS)


def titled(page, words, msg):
    return page.wait_figures(OUT, lambda figs: len(figs) == 1 and words in figs[0]["title"], 60, msg)


def view(page, label):
    page.driver.find_element(By.XPATH, f"//*[@id='{ids.WEIGHT_VIEW}']//label[normalize-space(.)='{label}']").click()


def per_unit_shown(page) -> bool:
    return page.js("return document.getElementById(arguments[0]).offsetParent !== null", ids.WEIGHT_PER_UNIT)


def set_unit(page, n):
    box = page.duo.find_element(f"#{ids.WEIGHT_UNIT}")
    box.clear()
    box.send_keys(str(n), Keys.ENTER)


def test_cnn_fc1_and_mlp_fc1_are_drawn_unit_by_unit(glimpse):
    page = glimpse
    page.open("?model=mnist-cnn&sample=3&tab=weights")
    titled(page, "conv1 — 16 filters", "conv1's filters")
    assert not per_unit_shown(page)                       # a convolution has no unit view
    page.choose(ids.WEIGHT_LAYER, "fc1 (Linear)")
    page.until(lambda: per_unit_shown(page), 20, "the unit controls")
    titled(page, "fc1 — its 8 strongest units, each as a row of 32 channel maps (7×7)", "the strongest units")
    page.idle()
    shoot(page, "weights-fc1-strongest")
    view(page, "One unit")
    set_unit(page, 5)
    titled(page, "fc1 — unit 5's 1568 weights as 32 channel maps (7×7)", "unit 5's channel maps")
    page.idle()
    shoot(page, "weights-fc1-unit")
    set_unit(page, 64)                                    # one past the last unit: said in words
    page.until(lambda: any("from 0 to 63" in a for a in page.alerts()), 20, "the unit's range in words")
    view(page, "Whole layer")
    titled(page, "weight matrix 64 units × 1568 inputs", "the whole matrix")

    page.choose(ids.MODEL_SELECT, "MNIST MLP")
    page.until(lambda: "mnist-mlp" in page.driver.current_url, 30, "the MLP")
    page.choose(ids.WEIGHT_LAYER, "fc1 (Linear)")
    view(page, "One unit")
    set_unit(page, 7)
    titled(page, "fc1 — unit 7's 784 weights as a 28×28 image", "the MLP unit's image")
    page.idle()
    shoot(page, "weights-mlp-unit")
    page.assert_clean()

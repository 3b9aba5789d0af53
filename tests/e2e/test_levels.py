"""The page's two levels: 'This sample' (why this sample?) and 'The whole model'."""
from __future__ import annotations

from selenium.webdriver.common.by import By

from dashboard import ids
from dashboard.layout import TAB_LABELS, TAB_LEVELS

MODEL_TABS = [TAB_LABELS[t] for t in ids.TAB_NAMES if TAB_LEVELS[t] == ids.LEVEL_MODEL]
SAMPLE_TABS = [TAB_LABELS[t] for t in ids.TAB_NAMES if TAB_LEVELS[t] == ids.LEVEL_SAMPLE]


def test_tab_labels_are_unique():
    """A label names one tab: users (and page.tab) tell them apart by it."""
    labels = list(TAB_LABELS.values())
    assert len(labels) == len(set(labels)), labels


def shown_tabs(page) -> list[str]:
    return [e.text.replace("\n", " ") for e in page.driver.find_elements(By.CSS_SELECTOR, f"#{ids.TABS} .tab")
            if e.is_displayed()]


def level_of(page) -> str:
    return page.js("var c = document.querySelector('#%s input:checked'); return c && c.value;" % ids.LEVEL)


def click_level(page, words: str):
    label = page.driver.find_element(By.XPATH, f"//*[@id='{ids.LEVEL}']//label[contains(., '{words}')]")
    label.click()


def search(page) -> str:
    return page.js("return location.search")


def test_a_link_to_a_model_view_opens_the_model_level_and_the_switch_goes_back_and_forth(glimpse):
    page = glimpse
    assert MODEL_TABS and SAMPLE_TABS
    page.open(f"?model=mnist-cnn&sample=3&tab={ids.TAB_ERRORS}")
    page.until(lambda: level_of(page) == ids.LEVEL_MODEL, 20, "the model level chosen by the link")
    page.until(lambda: shown_tabs(page) == [t.replace("\n", " ") for t in MODEL_TABS], 10, "only model tabs shown")
    assert not page.driver.find_element(By.ID, ids.TARGET_NOTE).is_displayed()   # per-sample words hidden

    click_level(page, "This sample")
    page.until(lambda: f"tab={ids.TAB_GRADIENTS}" in search(page), 10, "the gradient maps reopened")
    page.until(lambda: shown_tabs(page) == SAMPLE_TABS, 10, "only per-sample tabs shown")
    assert page.driver.find_element(By.ID, ids.TARGET_NOTE).is_displayed()

    page.tab(TAB_LABELS[ids.TAB_LIME])
    click_level(page, "The whole model")
    page.until(lambda: f"tab={ids.TAB_ERRORS}" in search(page), 10, "the model tab last shown")
    click_level(page, "This sample")
    page.until(lambda: f"tab={ids.TAB_LIME}" in search(page), 10, "the per-sample tab last shown (LIME)")
    page.assert_clean()

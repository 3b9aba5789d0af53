"""IG's steps 'auto' in a real browser: the default map states the steps it used, a number
typed into the steps field replaces it and goes into the address, 'auto' typed back takes it
out again, and a link with a.n_steps=auto opens the adaptive map."""
from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from dashboard import ids

from .helpers import shoot

pytestmark = pytest.mark.e2e
STEPS = "input[id*='\"name\":\"n_steps\"'][id*='\"slot\":\"a\"']"


def _address(page) -> dict:
    return {k: v[0] for k, v in parse_qs(urlparse(page.driver.current_url).query).items()}


def _type(page, text: str) -> None:
    field = page.driver.find_elements("css selector", STEPS)[0]
    field.clear()
    field.send_keys(text + "\n")


def test_auto_steps_are_the_default_and_a_number_replaces_them(glimpse):
    page = glimpse
    page.open("?model=mnist-cnn&sample=42&tab=gradients")
    out = ids.output(ids.TAB_GRADIENTS)
    page.wait_figures(out, timeout=120)
    r = page.service.explain("mnist-cnn", 42, "integrated_gradients")
    steps = r.extras["steps_used"]
    page.until(lambda: f"Steps: {steps}, chosen for this sample" in page.text("map-note-a"), 60, "the steps used")
    page.js("document.getElementById('map-note-a').scrollIntoView({block: 'center'});")
    shoot(page, "ig-auto-note")
    page.click(".settings-summary")
    page.until(lambda: page.driver.find_elements("css selector", STEPS), 20, "the steps field")
    assert page.driver.find_elements("css selector", STEPS)[0].get_attribute("value") == "auto"
    shoot(page, "ig-auto-steps")
    _type(page, "64")
    page.until(lambda: _address(page).get("a.n_steps") == "64", 60, "64 steps in the address")
    page.until(lambda: "Steps:" not in page.text("map-note-a") and "Completeness" in page.text("map-note-a"), 60,
               "the fixed-step map")
    _type(page, "auto")
    page.until(lambda: "a.n_steps" not in _address(page), 60, "the default left out of the address")
    page.until(lambda: f"Steps: {steps}, chosen" in page.text("map-note-a"), 60, "the adaptive map again")
    _type(page, "lots")
    page.until(lambda: "n_steps must be 'auto' or a whole number" in page.text(out), 60, "the refusal in words")
    page.open("?model=mnist-cnn&sample=42&tab=gradients&method=integrated_gradients&a.n_steps=auto")
    page.wait_figures(out, timeout=120)
    page.until(lambda: f"Steps: {steps}, chosen" in page.text("map-note-a"), 60, "the linked adaptive map")
    page.assert_clean()

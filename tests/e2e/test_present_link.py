"""Presentation mode keeps its place in the address (issue 12's leftover): `present=` and
`samples=` survive every arrow-key step, a reload reopens the mode on the sample it was on,
and Esc leaves the mode and takes both out of the address."""
from __future__ import annotations

from urllib.parse import parse_qs, urlparse

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys

from dashboard import ids

LINK = "?model=mnist-cnn&sample=3&tab=gradients&present=1&samples=3,17,42"


def query(page) -> dict:
    return {k: v[0] for k, v in parse_qs(urlparse(page.driver.current_url).query).items()}


def presenting(page) -> bool:
    return page.js("return document.body.classList.contains('presenting')")


def step(page, key, sample):
    ActionChains(page.driver).send_keys(key).perform()
    page.until(lambda: page.sample_id() == sample, 20, f"sample {sample}")
    page.until(lambda: query(page).get("sample") == str(sample), 20, f"sample={sample} in the address")
    page.idle()


def test_present_and_samples_survive_each_step_and_a_reload(glimpse):
    page = glimpse
    page.open(LINK)
    page.until(lambda: presenting(page), 20, "presentation mode")
    page.idle()
    for sample in (17, 42):
        step(page, Keys.ARROW_RIGHT, sample)
        q = query(page)
        assert q.get("present") == "1" and q.get("samples") == "3,17,42", q
        assert q.get("tab") == "gradients", q
    page.driver.refresh()
    page.open()
    page.until(lambda: presenting(page), 20, "presentation mode after the reload")
    page.idle()
    assert page.sample_id() == 42
    assert "3 of 3" in page.text(ids.PRESENT_BADGE)
    q = query(page)
    assert q.get("present") == "1" and q.get("samples") == "3,17,42", q
    step(page, Keys.ARROW_LEFT, 17)      # still stepping through the linked list after the reload
    assert "2 of 3" in page.text(ids.PRESENT_BADGE)
    assert query(page).get("present") == "1"

    ActionChains(page.driver).send_keys(Keys.ESCAPE).perform()
    page.until(lambda: not presenting(page), 10, "Esc leaves presentation mode")
    page.until(lambda: "present" not in query(page) and "samples" not in query(page), 10,
               "present= and samples= gone from the address")
    assert query(page).get("sample") == "17"
    page.select_sample(page.thumb_ids()[0])      # a later address the page writes stays without them
    page.idle()
    q = query(page)
    assert "present" not in q and "samples" not in q, q
    page.assert_clean()

"""Issue 12 in the browser at 1366×768: the explanation and the selected sample show without
scrolling on every per-sample tab, the header does not grow with its notes, messages are not
stale or silent, and a link carries every control of the view."""
from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from dashboard import ids
from tests.e2e.helpers import shoot

PLACES_JS = """
var out = document.getElementById(arguments[0]);
var g = out && out.querySelector('.js-plotly-plot');
if (!g || !g._fullLayout || !g._fullLayout._size) return null;
var r = g.getBoundingClientRect(), s = g._fullLayout._size;
var sample = document.getElementById(arguments[1]).getBoundingClientRect();
return {top: r.top, plotTop: r.top + s.t, plotHeight: s.h, viewport: window.innerHeight, scrollY: window.scrollY,
        sampleTop: sample.top, sampleBottom: sample.bottom, sampleHeight: sample.height};
"""
SAMPLE_TABS = (ids.TAB_ACTIVATIONS, ids.TAB_WEIGHTS, ids.TAB_GRADIENTS, ids.TAB_LIME, ids.TAB_TREE)
FIRST_ROW = 24      # px: one bar of a table's chart, the top rows of an image


@pytest.mark.parametrize("model_id, sample", [("mnist-cnn", 42), ("breast-cancer-mlp", 7)])
def test_the_explanation_and_the_sample_show_without_scrolling(glimpse, model_id, sample):
    page = glimpse
    for tab in SAMPLE_TABS:
        page.open(f"?model={model_id}&sample={sample}&tab={tab}")
        page.wait_figures(ids.output(tab), timeout=120)
        page.idle(120)
        at = page.until(lambda: page.js(PLACES_JS, ids.output(tab), ids.SAMPLE_INFO), 20, "the figure's place")
        shoot(page, f"first-view-{model_id}-{tab}")
        assert at["scrollY"] == 0, at
        assert 0 <= at["top"] < at["viewport"], f"{tab}: the figure's top edge is below the fold: {at}"
        assert at["plotTop"] + FIRST_ROW <= at["viewport"], f"{tab}: its first row of content is not shown: {at}"
        assert 0 <= at["sampleTop"] and at["sampleTop"] + min(at["sampleHeight"], 60) <= at["viewport"], (tab, at)
    page.assert_clean()


def test_the_notes_on_the_data_open_over_the_page_not_inside_the_header(glimpse):
    page = glimpse
    noted = next(m for m in page.service.model_ids() if page.service.model_info(m).notes)
    page.open(f"?model={noted}")
    page.until(lambda: page.js("return !!document.querySelector('.card-notes summary')"), 20, "the notes")
    height = lambda: page.js("return document.querySelector('header.topbar').getBoundingClientRect().height")
    before = height()
    page.click(".card-notes summary")
    page.until(lambda: page.js("return document.querySelector('.card-notes').open"), 5, "the notes open")
    assert height() == before
    assert before <= 72          # the model card's lines and the notes line, never the notes themselves


def test_a_link_to_a_missing_model_says_what_it_shows(glimpse):
    page = glimpse
    page.open("?model=nope&sample=3")
    from dashboard.samples import first_held_out

    first = first_held_out(page.service, "mnist-cnn")
    alert = page.until(lambda: page.text(ids.SELECTION_ALERT), 20, "the link's message")
    shown = page.sample_id()
    assert f"#{shown}" in alert and "first held-out sample" in alert
    assert "held-out" in page.sample_text()                  # what it says it shows
    assert shown == first


def test_invalid_numbers_are_named_not_replaced_by_defaults(glimpse):
    page = glimpse
    page.open("?model=breast-cancer-mlp&sample=7&tab=lime")
    out = ids.output(ids.TAB_LIME)
    page.wait_figures(out, timeout=120)
    box = page.duo.find_element(f"#{ids.LIME_SAMPLES}")
    box.clear()
    box.send_keys("-5\n")
    page.until(lambda: "n_samples" in page.text(out), 60, "LIME's refusal of −5 samples")
    assert not page.figures(out)
    page.open("?model=breast-cancer-mlp&sample=7&tab=gradients")
    out = ids.output(ids.TAB_GRADIENTS)
    page.wait_figures(out, timeout=120)
    page.click(".settings-summary")
    steps = f"input[id*='\"name\":\"n_steps\"'][id*='\"slot\":\"a\"']"
    page.until(lambda: page.driver.find_elements("css selector", steps), 20, "the steps field")
    field = page.driver.find_elements("css selector", steps)[0]
    field.clear()
    field.send_keys("0\n")
    page.until(lambda: "n_steps" in page.text(out), 60, "IG's refusal of 0 steps")


def test_a_filter_that_hides_the_selected_sample_says_so(glimpse):
    page = glimpse
    page.open("?model=mnist-cnn&sample=42")
    label = int(page.service.sample("mnist-cnn", 42).label)
    other = (label + 1) % 10
    page.choose(ids.FILTER_TRUE, str(other))
    page.until(lambda: "#42 is not among them" in page.text(ids.BROWSER_COUNT), 30, "the hidden-selection note")
    shoot(page, "hidden-selection")


def test_a_long_computation_says_what_it_computes(glimpse):
    page = glimpse
    page.open("?model=mnist-cnn&sample=42&tab=lime")
    out = ids.output(ids.TAB_LIME)
    page.wait_figures(out, timeout=120)
    page.idle(60)
    box = page.duo.find_element(f"#{ids.LIME_SAMPLES}")
    box.clear()
    box.send_keys("6000\n")
    words = page.until(lambda: page.js("var w = document.querySelector('#%s .busy-words');"
                                       "return w && w.offsetParent !== null ? w.innerText : null;"
                                       % ids.loading(ids.TAB_LIME)), 30, "the spinner's words")
    assert "6,000 model calls" in words


LINKS = [
    # every control that changes the view, each away from its default
    ("mnist-cnn", 42, "gradients", {"method": "smoothgrad", "compare": "occlusion", "target": "3",
                                    "a.n_samples": "7", "a.noise_level": "0.3", "a.abs": "0", "b.window": "6",
                                    "b.stride": "3"}),
    ("mnist-cnn", 42, "gradients", {"method": "integrated_gradients", "target": "5", "a.n_steps": "20",
                                    "a.baseline": "mean", "a.rule": "riemann_trapezoid"}),
    ("mnist-cnn", 42, "activations", {"layer": "conv2", "target": "2"}),
    ("mnist-cnn", 42, "weights", {"wlayer": "fc1"}),
    ("mnist-cnn", 42, "weights", {"wlayer": "fc1", "wview": "unit", "wunit": "5"}),
    ("mnist-cnn", 42, "lime", {"lime_samples": "300", "lime_kernel": "0.5", "lime_patch": "7", "target": "1"}),
    ("breast-cancer-mlp", 7, "tree", {"depth": "2", "target": "1"}),
]


@pytest.mark.parametrize("model_id, sample, tab, extras", LINKS)
def test_a_copied_link_reopens_every_control(glimpse, model_id, sample, tab, extras):
    page = glimpse
    base = {"model": model_id, "sample": str(sample), "tab": tab}
    query = "&".join(f"{k}={v}" for k, v in {**base, **extras}.items())
    page.open("?" + query)
    page.wait_figures(ids.output(tab), timeout=120)
    wanted = {**base, **extras}

    def address():
        return {k: v[0] for k, v in parse_qs(urlparse(page.driver.current_url).query).items()}
    page.until(lambda: address() == wanted, 60, f"the address to describe the view {wanted}")
    page.idle(120)
    assert address() == wanted
    if "target" in extras and tab != "weights":
        page.until(lambda: any(f"class {extras['target']}" in f["title"] for f in page.figures(ids.output(tab)))
                   or tab in ("activations", "tree"), 60, "the linked class explained")
    # copy the link, open it again: the same view
    link = page.driver.current_url
    page.driver.get(page.duo.server_url)
    page.open("?" + urlparse(link).query)
    page.wait_figures(ids.output(tab), timeout=120)
    page.until(lambda: address() == wanted, 60, "the same view from the copied link")
    page.assert_clean()

"""What a sample click costs the page (issue 12, speed): one request for the sample panel and
one for the visible tab, nothing else; the panel's image and texts are updated in place
(no new components mounted); the quality scores of the old sample are cleared by the map's
own request, not by callbacks of their own."""
from __future__ import annotations

from dashboard import ids
from tests.e2e.test_browse import RECORD_REQUESTS_JS

MODEL = "mnist-cnn"


def _mark_panel(page):
    page.js("var i = document.getElementById(arguments[0]); if (i) { i.__seen = true; }", ids.SAMPLE_IMG)


def _same_panel(page) -> bool:
    return bool(page.js("var i = document.getElementById(arguments[0]); return !!i && i.__seen === true;",
                        ids.SAMPLE_IMG))


def test_a_click_sends_two_requests_and_updates_the_sample_panel_in_place(glimpse):
    page, service = glimpse, glimpse.service
    page.open()
    grad = ids.output(ids.TAB_GRADIENTS)
    page.wait_figures(grad)
    page.idle()
    thumbs = page.thumb_ids()
    table = service.samples(MODEL)
    names = service.model_info(MODEL).class_names
    # one with the same verdict (right or wrong) as the one shown: the panel keeps its shape
    shown = page.sample_id()
    right = table.labels[shown] == table.predictions[shown]
    other = next(i for i in thumbs if i != shown and (table.labels[i] == table.predictions[i]) == right)
    _mark_panel(page)
    page.js(RECORD_REQUESTS_JS)
    page.select_sample(other)
    page.wait_figures(grad, lambda f: page.service.cached(MODEL, other, "integrated_gradients"))
    page.idle()
    sent = page.js("return window.__dashOutputs")
    assert len(sent) == 2, sent
    assert any(grad in o for o in sent) and any(ids.SAMPLE_INFO in o for o in sent), sent
    assert _same_panel(page), "the sample panel was built anew instead of updated in place"
    assert page.sample_id() == other
    assert page.text(ids.SAMPLE_TRUE) == names[table.labels[other]]
    assert page.text(ids.SAMPLE_PRED) == names[table.predictions[other]]
    prob = 100 * float(service.sample(MODEL, other).probabilities[table.predictions[other]])
    assert page.text(ids.SAMPLE_PROB).strip() == f"({prob:.1f}%)"
    # the large image is the clicked thumbnail's digit
    src = page.js("return document.getElementById(arguments[0]).getAttribute('src')", ids.SAMPLE_IMG)
    thumb = page.js("var want = arguments[0], b = Array.from(document.querySelectorAll('#%s button.thumb'))"
                    ".find(function (b) { return JSON.parse(b.id).index === want; });"
                    "return b ? b.style.backgroundImage : '';"
                    % ids.THUMB_GRID, other)
    assert src.startswith("data:image/") and src in thumb
    page.assert_clean()


def test_a_new_sample_clears_the_quality_scores_without_a_request_of_their_own(glimpse):
    page = glimpse
    page.open(f"?model={MODEL}&tab={ids.TAB_GRADIENTS}")
    grad = ids.output(ids.TAB_GRADIENTS)
    page.wait_figures(grad, timeout=90)
    page.idle()
    page.click(f"#{ids.QUALITY_RUN}")
    page.wait_figures(ids.QUALITY_OUT, lambda f: len(f) >= 2, 120, "the quality figures")
    page.idle()
    page.js(RECORD_REQUESTS_JS)
    other = next(i for i in page.thumb_ids() if i != page.sample_id())
    page.select_sample(other)
    page.until(lambda: not page.text(ids.QUALITY_OUT).strip(), 30, "the old scores cleared")
    page.idle()
    sent = page.js("return window.__dashOutputs")
    assert not [o for o in sent if ids.QUALITY_OUT in o or ids.QUALITY_TABLE_OUT in o], sent
    # another method clears them too (the scores were for the first method)
    page.click(f"#{ids.QUALITY_RUN}")
    page.wait_figures(ids.QUALITY_OUT, lambda f: len(f) >= 2, 120, "the quality figures again")
    page.choose(ids.METHOD_A, "Saliency")
    page.until(lambda: not page.text(ids.QUALITY_OUT).strip(), 30, "the scores cleared by a method switch")
    page.assert_clean()

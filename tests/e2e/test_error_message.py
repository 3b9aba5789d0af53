"""A callback that fails on the server: the page says so with a reference (the log has the
traceback), keeps what it showed, and a click puts the message away."""
from __future__ import annotations

import logging

from dashboard import ids


def test_a_failing_callback_shows_a_reference_and_a_click_dismisses_it(glimpse, monkeypatch, caplog):
    page, service = glimpse, glimpse.service
    page.open()
    page.idle()
    sample_before = page.sample_text()

    # The fault sits where the tab's callback asks the service, before its cache: the session's
    # service may already hold this digit's tree (test_browse draws it), and a fault inside the
    # computation (service._tree) would then never run.
    explain = service.explain

    def broken(model_id, sample_id, method, *args, **kw):
        if method == "tree":
            raise RuntimeError("the tree fell over")
        return explain(model_id, sample_id, method, *args, **kw)

    monkeypatch.setattr(service, "explain", broken)
    with caplog.at_level(logging.ERROR, logger="glimpse.errors"):
        page.tab("Distilled tree")
        page.until(lambda: "Something went wrong (ref " in page.text(ids.PAGE_MESSAGE), 30, "the page message")
    message = page.text(ids.PAGE_MESSAGE)
    ref = message.split("(ref ")[1][:6]
    assert "the tree fell over" not in message
    assert any(ref in r.getMessage() and r.exc_info for r in caplog.records)
    assert page.sample_text() == sample_before                      # nothing the page showed is lost
    page.click(f"#{ids.PAGE_MESSAGE} .alert")
    page.until(lambda: page.text(ids.PAGE_MESSAGE) == "", 10, "the message put away")


def test_numbers_typed_into_a_parameter_reach_the_engine_as_numbers(glimpse):
    """dcc.Input(type=number) sends numbers: one typed in is used as it is, and one the
    engine refuses is named in the tab (the engine takes no numbers spelled as text)."""
    from selenium.webdriver.common.keys import Keys

    page = glimpse
    page.open()
    page.idle()
    page.tab("LIME")
    out = ids.output(ids.TAB_LIME)
    page.until(lambda: "perturbed samples" in page.text(out), 60, "the LIME fit note")

    def type_into(element_id, text):
        field = page.driver.find_element("id", element_id)
        field.send_keys(Keys.CONTROL, "a")
        field.send_keys(Keys.DELETE)
        field.send_keys(text, Keys.ENTER)

    type_into(ids.LIME_SAMPLES, "120")
    page.until(lambda: "over 120 perturbed samples" in page.text(out), 60, "LIME on 120 samples")
    type_into(ids.LIME_KERNEL, "0")
    page.until(lambda: "kernel_width must be between" in page.text(out), 30, "kernel_width named")
    assert page.text(ids.PAGE_MESSAGE) == ""

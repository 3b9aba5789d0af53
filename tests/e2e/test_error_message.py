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

    def broken(*args, **kw):
        raise RuntimeError("the tree fell over")

    monkeypatch.setattr(service, "_tree", broken)
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

"""The page under its Content-Security-Policy (dashboard/security.py) in headless Chromium:
every tab renders with no CSP violation, and a refused upload's message shows in the page."""
from __future__ import annotations

import pytest

from dashboard import ids
from dashboard.layout import TAB_LABELS


@pytest.fixture
def small_upload_limit(monkeypatch):
    """A 10 KB file limit for the app the `glimpse` fixture builds after this one."""
    monkeypatch.setenv("GLIMPSE_MAX_UPLOAD_MB", "0.01")


def test_every_tab_renders_under_the_csp_with_no_violation(glimpse):
    page = glimpse
    page.open()
    for tab, label in TAB_LABELS.items():     # both levels: page.tab switches the level
        page.tab(label)
        page.wait_content(ids.output(tab))
    page.assert_clean()     # a CSP violation is a console error ("Refused to …")
    # and the policy is in force: an inline script that Dash did not list by hash does not run
    page.js("var s = document.createElement('script'); s.textContent = 'window.inlineRan = true;';"
            "document.head.appendChild(s);")
    assert page.js("return window.inlineRan === true") is False


def test_an_upload_over_the_limit_is_refused_with_a_message(small_upload_limit, glimpse, tmp_path):
    """The browser refuses the file before reading it (assets/upload-limit.js); where that
    check is bypassed, the server's 413 message shows instead."""
    page = glimpse
    page.open()
    big = tmp_path / "big.csv"
    big.write_bytes(b"a,b,label\n" + b"1,2,0\n" * 400_000)          # 2.4 MB, about 3.2 MB as a request
    page.click(f"#{ids.UPLOAD_TOGGLE}")
    page.upload(ids.CSV_UPLOAD, big)
    banner = "#glimpse-server-error"
    page.until(lambda: page.duo.find_elements(banner), 30, "the browser's message")
    assert page.text("glimpse-server-error").startswith(
        "big.csv is 2.3 MB; the upload limit is 0.0 MB (GLIMPSE_MAX_UPLOAD_MB). Choose a smaller file.")
    assert not page.text(ids.CSV_PREVIEW)                             # nothing was sent or parsed
    assert not any("413" in e["message"] for e in page.console())
    page.click(f"{banner} button")
    page.until(lambda: not page.duo.find_elements(banner), 5, "the message dismissed")

    # a request that skips the browser's check (a script, an old page) is refused unread by the server
    page.js("fetch('/_dash-update-component', {method: 'POST', headers: {'Content-Type': 'application/json'},"
            " body: 'x'.repeat(3000000)});")
    page.until(lambda: page.duo.find_elements(banner), 30, "the server's message")
    assert page.text("glimpse-server-error").startswith(
        "The file is larger than the 0.01 MB limit (GLIMPSE_MAX_UPLOAD_MB).")
    logs = [e["message"] for e in page.console()]
    assert any("413" in m for m in logs), logs
    assert not any("Content Security Policy" in m for m in logs), logs

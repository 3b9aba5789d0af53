"""Headless Debian Chromium for the scripts that drive the app (latency bench, screenshots)."""
from __future__ import annotations

import shutil
import socket
import time

# --disable-background-networking & co.: on this closed network Chromium's own
# connections otherwise hang or are refused many at a time.
CHROME_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def browser(width: int = 1366, height: int = 768, extra_flags: tuple[str, ...] = ()):
    """A selenium Chrome driver on Debian's chromium and chromedriver."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options

    options = Options()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in (*CHROME_FLAGS, f"--window-size={width},{height}", *extra_flags):
        options.add_argument(flag)
    return webdriver.Chrome(options=options)


def wait_for(driver, script: str, timeout: float, what: str, *args, poll: float = 0.02) -> None:
    """Run `script` in the page until it returns something truthy, or a TimeoutError."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if driver.execute_script(script, *args):
            return
        time.sleep(poll)
    raise TimeoutError(f"waited {timeout:.0f} s for {what}")

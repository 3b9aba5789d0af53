"""Browser tests: dash.testing's `dash_duo` driving Debian's headless Chromium.

Run with `pytest tests/e2e --headless`. Without chromium/chromedriver these tests skip,
except under CI=true, where a missing browser is a failure (CI must run them).
"""
from __future__ import annotations

import os
import shutil
import socket

import pytest

# The README screenshot scenes run only when asked for (scripts/screenshots.py sets
# GLIMPSE_README_SHOTS): they test nothing the browser tests do not, so a plain run does not
# collect them (21 skips in every CI report otherwise).
collect_ignore = [] if os.environ.get("GLIMPSE_README_SHOTS") else ["test_readme_shots.py"]
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
WINDOW = (1366, 768)
CHROME_FLAGS = ("--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--disable-dev-shm-usage", f"--window-size={WINDOW[0]},{WINDOW[1]}")


def chromium_path() -> str | None:
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


def missing_browser() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    missing = [what for what, path in (("chromium", chromium_path()), ("chromedriver", shutil.which("chromedriver")))
               if path is None]
    try:
        import dash.testing.browser  # noqa: F401  (dash[testing] brings selenium)
    except ImportError as e:
        missing.append(f"dash[testing] ({e})")
    return ", ".join(missing) + " not found" if missing else None


def pytest_collection_modifyitems(config, items):
    """Mark the browser tests e2e; without a browser, skip them (a skip mark acts before
    dash_duo is set up, so a missing dash[testing] skips too), except under CI=true."""
    here = os.path.dirname(__file__)
    why = missing_browser()
    for item in items:
        if str(item.fspath).startswith(here):
            item.add_marker(pytest.mark.e2e)
            if why and os.environ.get("CI") != "true":
                item.add_marker(pytest.mark.skip(reason=f"browser tests need Debian's Chromium: {why}"))


def pytest_setup_options():
    """dash.testing's hook: the Chrome options its webdriver starts with (--headless is
    added by dash when pytest runs with --headless)."""
    from selenium.webdriver.chrome.options import Options

    options = Options()
    path = chromium_path()
    if path:
        options.binary_location = path
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    return options


@pytest.fixture(scope="session", autouse=True)
def _browser_available():
    """Under CI=true a missing browser fails every browser test instead of skipping it."""
    why = missing_browser()
    if why is not None and os.environ.get("CI") == "true":
        pytest.fail(f"browser tests must run under CI=true, but {why} "
                    "(apt-get install -y chromium chromium-driver)", pytrace=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def background_manager(tmp_path):
    """A fresh copy of the app's default manager per test (CSV training runs as a
    background job in a thread of the server, never a fork)."""
    import diskcache

    from dashboard.background import ThreadJobManager

    cache = diskcache.Cache(str(tmp_path / "dash-background"))
    yield ThreadJobManager(cache)
    cache.close()


@pytest.fixture
def glimpse(dash_duo, service, background_manager):
    """Start the app on the session's trained service; returns a helpers.Page."""
    from dashboard import create_app
    from tests.e2e import helpers   # selenium: imported only where a browser test runs

    app = create_app(service, background_manager=background_manager)
    assert app.glimpse_startup.wait(60), app.glimpse_startup.status()
    page = helpers.Page(dash_duo, service)     # before the first page load: it hooks console.error
    # debug=True turns on Dash's prop-type checks and puts callback errors in the page.
    dash_duo.start_server(app, port=free_port(), debug=True, use_reloader=False, dev_tools_hot_reload=False)
    return page

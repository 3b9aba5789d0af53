"""What the browser tests do to the page and read back from it.

Figures are read from the DOM: each dcc.Graph renders a `.js-plotly-plot` div that
holds plotly's `_fullData` (the traces drawn) and `layout` (title, annotations, shapes).
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
from pathlib import Path

from dash.testing.wait import until
from selenium.webdriver.common.by import By

from dashboard import ids

# Console entries that are not errors of the app. Chromium logs a 404 for /favicon.ico
# when a page has none; Glimpse serves assets/favicon.ico, so none is expected, but a
# missing favicon is not what these tests are about.
BENIGN = ("favicon.ico",)

# The first five per-sample tabs, which every kind of model is checked through figure by figure;
# the later tabs and the model views are checked for every kind of model in test_every_view.py.
FIRST_TABS = (ids.TAB_ACTIVATIONS, ids.TAB_WEIGHTS, ids.TAB_GRADIENTS, ids.TAB_LIME, ids.TAB_TREE)

# the options of the open dcc.Dropdown menu (checklists use role=option too)
MENU_OPTIONS = "//*[contains(concat(' ', @class, ' '), ' dash-dropdown-options ')]/*[@role='option']"

FIGURES_JS = """
var root = document.getElementById(arguments[0]);
if (!root) return null;
return Array.from(root.querySelectorAll('.js-plotly-plot')).map(function (g) {
  var lay = g.layout || {};
  var t = lay.title || {};
  return {
    title: String(typeof t === 'string' ? t : (t.text || '')),
    subtitle: String((t.subtitle && t.subtitle.text) || ''),
    annotations: (lay.annotations || []).map(function (a) { return String(a.text || ''); }),
    shapes: (lay.shapes || []).length,
    traces: (g._fullData || []).map(function (t) {
      var n = function (v) { return v ? v.length : 0; };
      return {name: t.name || '', type: t.type, n_x: n(t.x), n_y: n(t.y), n_text: n(t.text),
              n_customdata: n(t.customdata), has_source: !!t.source,
              line_width: t.line ? t.line.width : null};
    }),
  };
});
"""


# Dash logs callback and prop-type errors with console.error(errorObject); the webdriver
# log then says only "... Object". This keeps their text where the tests can read it.
CAPTURE_ERRORS_JS = """
window.__glimpseErrors = [];
var original = console.error;
console.error = function () {
  try {
    window.__glimpseErrors.push(Array.from(arguments).map(function (a) {
      if (a instanceof Error) return a.message + (a.stack ? '\\n' + a.stack.split('\\n').slice(0, 3).join('\\n') : '');
      if (typeof a === 'object') { try { return JSON.stringify(a).slice(0, 2000); } catch (e) { return String(a); } }
      return String(a);
    }).join(' '));
  } catch (e) {}
  return original.apply(console, arguments);
};
"""


class Page:
    """The Glimpse page in dash_duo's browser, plus the service behind it."""

    def __init__(self, dash_duo, service):
        self.duo = dash_duo
        self.driver = dash_duo.driver
        self.service = service
        self.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": CAPTURE_ERRORS_JS})

    # ---------------------------------------------------------------- waiting
    def until(self, fn, timeout=20, msg="condition"):
        last = {}

        def check():
            last["value"] = fn()
            return last["value"]
        try:
            return until(check, timeout=timeout, poll=0.1)
        except Exception as e:
            raise AssertionError(f"timed out after {timeout}s waiting for {msg}; last value {last.get('value')!r}; "
                                 f"page alerts: {self.alerts()}; console errors: {self.error_texts()}") from e

    def js(self, script, *args):
        return self.driver.execute_script(script, *args)

    def open(self, search: str = ""):
        """Load the page (with a deep link's query) and wait until the main view shows a sample.
        The plain page is already loaded by dash_duo.start_server."""
        url = self.duo.server_url.rstrip("/") + "/" + search
        if search or not self.driver.current_url.startswith(self.duo.server_url.rstrip("/")):
            self.driver.get(url)
        self.until(lambda: self.js("var m = document.getElementById(arguments[0]);"
                                   "return !!m && m.style.display !== 'none';", ids.MAIN), 60, "the main view")
        self.until(lambda: self.sample_text(), 30, "the sample panel")
        self.until(lambda: self.js("return document.querySelectorAll('#%s button.thumb, #%s td.dash-cell').length"
                                   % (ids.THUMB_GRID, ids.SAMPLE_TABLE)), 30, "the sample browser")

    def idle(self, timeout=30):
        """Wait until no Dash callback is pending (no element is marked loading)."""
        self.until(lambda: not self.js("return document.querySelector('[data-dash-is-loading=\"true\"]') !== null"),
                   timeout, "callbacks to finish")

    # ---------------------------------------------------------------- reading
    def text(self, element_id: str) -> str:
        return self.js("var e = document.getElementById(arguments[0]); return e ? e.innerText : null;", element_id) \
            or ""

    def sample_text(self) -> str:
        return self.text(ids.SAMPLE_INFO)

    def sample_id(self) -> int | None:
        """The '#12' of the sample panel."""
        t = self.sample_text()
        if "#" not in t:
            return None
        return int(t.split("#", 1)[1].split()[0])

    def figures(self, container_id: str) -> list[dict]:
        return self.js(FIGURES_JS, container_id) or []

    def wait_figures(self, container_id: str, check=lambda figs: True, timeout=60, msg=None):
        """The figures in a container once there is at least one and `check(figs)` holds."""
        return self.until(lambda: (lambda f: f if f and check(f) else None)(self.figures(container_id)),
                          timeout, msg or f"figures in #{container_id}")

    def wait_content(self, container_id: str, timeout=90) -> str:
        """Wait until a tab's output shows something (a figure, a graph, words) and nothing is
        loading; returns its text."""
        script = ("var r = document.getElementById(arguments[0]); if (!r) return null;"
                  "var drawn = r.querySelector('.js-plotly-plot, canvas, img, table');"
                  "return (drawn || r.innerText.trim()) ? (r.innerText || ' ') : null;")
        text = self.until(lambda: self.js(script, container_id), timeout, f"content in {container_id}")
        self.idle(timeout)
        return text

    def model_label(self) -> str:
        return self.dropdown_text(f"#{ids.MODEL_SELECT}")

    def error_texts(self) -> list[str]:
        try:
            return self.js("return window.__glimpseErrors || []") or []
        except Exception:   # noqa: BLE001 - only used in failure messages
            return []

    def alerts(self) -> list[str]:
        try:
            return self.js("return Array.from(document.querySelectorAll('[role=alert], .dash-fe-error__title'))"
                           ".map(function (e) { return e.innerText; });") or []
        except Exception:   # noqa: BLE001 - only used in failure messages
            return []

    def console(self) -> list[dict]:
        return [e for e in self.duo.get_logs() if not any(b in e.get("message", "") for b in BENIGN)]

    def assert_clean(self):
        """No errors in the browser console, no Dash error in the page (debug mode shows
        callback exceptions and prop-type errors there)."""
        texts = self.js("return window.__glimpseErrors || []")
        errors = self.console()
        assert errors == [], f"browser console errors: {json.dumps(errors, indent=1)}; their text: {texts}"
        fe = self.js("return Array.from(document.querySelectorAll('.dash-fe-error__title, .dash-debug-alert'))"
                     ".map(function (e) { return e.innerText; });")
        assert not fe, f"Dash reports errors in the page: {fe}"

    # ---------------------------------------------------------------- acting
    def click(self, css: str):
        """Click the first displayed element matching css (a DataTable keeps hidden copies of
        some cells)."""
        self.until(lambda: any(e.is_displayed() for e in self.driver.find_elements(By.CSS_SELECTOR, css)), 10,
                   f"a visible {css}")
        el = next(e for e in self.driver.find_elements(By.CSS_SELECTOR, css) if e.is_displayed())
        self.js("arguments[0].scrollIntoView({block: 'center'});", el)
        el.click()
        return el

    def click_thumb(self, sample_id: int):
        sel = f'button[id=\'{{"index":{int(sample_id)},"type":"{ids.THUMB}"}}\']'
        self.until(lambda: self.driver.find_elements(By.CSS_SELECTOR, sel), 20, f"thumbnail {sample_id}")
        self.click(sel)

    def thumb_ids(self) -> list[int]:
        raw = self.js("return Array.from(document.querySelectorAll('#' + arguments[0] + ' button.thumb'))"
                      ".map(function (b) { return b.id; });", ids.THUMB_GRID) or []
        return [json.loads(r)["index"] for r in raw]

    def ringed_thumb(self) -> int | None:
        """The sample id of the thumbnail the selection ring is drawn over (None: no ring shown)."""
        raw = self.js("""
            var ring = document.getElementById(arguments[0]);
            if (!ring || ring.offsetParent === null) return null;
            var r = ring.getBoundingClientRect();
            var hit = Array.from(document.querySelectorAll('#' + arguments[1] + ' button.thumb')).filter(function (b) {
              var t = b.getBoundingClientRect();
              return Math.abs(t.left - r.left) < 3 && Math.abs(t.top - r.top) < 3 &&
                     Math.abs(t.width - r.width) < 3 && Math.abs(t.height - r.height) < 3;
            });
            return hit.length === 1 ? hit[0].id : null;""", ids.THUMB_RING, ids.THUMB_GRID)
        return json.loads(raw)["index"] if raw else None

    def select_sample(self, sample_id: int, timeout=30):
        self.click_thumb(sample_id)
        self.until(lambda: self.sample_id() == sample_id, timeout, f"sample #{sample_id} in the sample panel")

    def tab(self, label: str):
        """Click a tab's header; a tab of the other level ('This sample' / 'The whole model')
        first switches the level, as a user would."""
        xpath = f"//div[@id='{ids.TABS}']//div[contains(@class,'tab')][normalize-space(.)='{label}']"
        el = self.driver.find_element(By.XPATH, xpath)
        if not el.is_displayed():
            level = ids.LEVEL_MODEL if "tab--model" in (el.get_attribute("class") or "") else ids.LEVEL_SAMPLE
            self.driver.find_element(By.XPATH, f"//*[@id='{ids.LEVEL}']//label[.//input[@value='{level}']]").click()
            self.until(lambda: el.is_displayed(), 10, f"the {level} level's tabs")
        self.js("arguments[0].scrollIntoView({block: 'center'});", el)   # not under the sticky header
        el.click()
        self.until(lambda: "tab--selected" in (el.get_attribute("class") or ""), 10, f"tab {label!r} selected")

    def choose(self, dropdown: str, label: str, timeout=10):
        """Pick the option of a dcc.Dropdown (an id, or a CSS selector starting with '#' or '.')
        whose visible label starts with `label`."""
        css = dropdown if dropdown[0] in "#." else f"#{dropdown}"
        self.click(css)
        opt = MENU_OPTIONS + f"[starts-with(normalize-space(.), '{label}')]"
        self.until(lambda: self.driver.find_elements(By.XPATH, opt), timeout, f"option {label!r} of {css}")
        el = self.driver.find_element(By.XPATH, opt)
        self.js("arguments[0].scrollIntoView({block: 'nearest'});", el)
        # the menu moves while it opens (and scrolls to the current value): a click before it
        # settles lands on another option
        seen = []
        self.until(lambda: seen.append(el.rect) or (len(seen) > 2 and seen[-1] == seen[-2] == seen[-3]), 5,
                   "the menu to settle")
        el.click()
        self.until(lambda: self.dropdown_text(css).startswith(label), timeout, f"{css} showing {label!r}")

    def dropdown_text(self, css: str) -> str:
        return self.js("var v = document.querySelector(arguments[0] + ' .dash-dropdown-value');"
                       "return v ? v.innerText : '';", css) or ""

    def dropdown_options(self, css: str) -> list[str]:
        """The labels a dcc.Dropdown offers (opens it, reads the menu, closes it with Escape)."""
        from selenium.webdriver.common.action_chains import ActionChains
        from selenium.webdriver.common.keys import Keys

        self.click(css)
        self.until(lambda: self.driver.find_elements(By.XPATH, MENU_OPTIONS), 10,
                   f"the options of {css}")
        labels = [e.text.strip() for e in self.driver.find_elements(By.XPATH, MENU_OPTIONS)]
        ActionChains(self.driver).send_keys(Keys.ESCAPE).perform()
        self.until(lambda: self.duo.find_element(css).get_attribute("aria-expanded") == "false", 5,
                   "the menu to close")
        return labels

    def upload(self, upload_id: str, path):
        """Send a file to a dcc.Upload through its hidden <input type=file>."""
        inp = self.duo.find_element(f"#{upload_id} input[type=file]")
        inp.send_keys(str(path))


def shoot(page, name: str) -> None:
    """A screenshot into $GLIMPSE_SHOTS when it is set (for looking at what a test saw)."""
    folder = os.environ.get("GLIMPSE_SHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.driver.save_screenshot(str(Path(folder) / f"{name}.png"))


@contextlib.contextmanager
def removing_new_uploads(service, pattern: str = "csv-*"):
    """Models a test adds to the store (matching `pattern`) leave it when the block ends."""
    from explain_core.uploads import uploads_root

    before = {p.name for p in uploads_root(service.store).glob(pattern)}
    yield
    for p in uploads_root(service.store).glob(pattern):
        if p.name not in before:
            shutil.rmtree(p, ignore_errors=True)

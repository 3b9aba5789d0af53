"""Dashboard latency as a user feels it: click -> figure painted, in headless Chromium.

    python -m bench latency [--clicks 20] [--slow-clicks 8] [--starts 3] [--model-store DIR]
                            [--plain] [--out bench/results/latency.json]
    (or python -m bench.latency ...)

Starts the app as a subprocess on a free port with a fresh temporary cache (the default
model store unless --model-store; if it holds no models yet, a first start trains them
and that time is reported apart), then measures:

  warm_start          process start -> first figure painted (stored models, data copies in the
                      cache folder, no result cached), --starts times after a first start;
                      also when the server answered and when the page left its start-up panel
  cold_gradient_map   a thumbnail click whose integrated-gradients map is not cached yet
  cached_sample_click a click back to a sample whose map is cached
  tab_switch          switching between tabs of a sample already computed
  method_switch_cold / method_switch_warm   the gradient method picker, first time / again
  cold_lime / cold_occlusion               a click to a new sample on those views
  draw_prediction     What if?: a stroke drawn on the canvas (pointer events) -> the new
                      prediction shown, the page quiet (its map drawn)
  server RSS          sampled every 0.25 s (the server process and its children)

A measurement starts in the page (performance.now()) just before a JavaScript click and
ends two animation frames after the page went quiet: no Dash request in flight, Dash's
callback queue empty, no component marked loading, and (for a sample click) the figure
changed. A click that needs no request (a tab already up to date) is quiet after two frames.

Server time: the server runs as `python app.py --timing`, whose Server-Timing header
(dashboard/timing.py) splits every Dash request into total, compute (service.explain),
figure (the figure builders) and json (Dash's serialisation of the response); payload
bytes come from the browser's resource timing. --plain leaves the header off (client-side
numbers only).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import numpy as np

from bench import chrome
from bench.chrome import free_port

ROOT = Path(__file__).resolve().parent.parent
TARGETS_MS = {"cached_sample_click": 150, "cold_gradient_map": 400, "cold_lime": 1500, "cold_occlusion": 1500,
              "tab_switch": 200, "warm_start": 5000, "draw_prediction": 300}
RSS_TARGET_MB = 1200
GRADIENT_METHODS = ("saliency", "gradient_x_input", "smoothgrad", "gradcam", "occlusion", "integrated_gradients")


# ============================================================================ the driver side
class Server:
    """The app in a subprocess. Results are cached in its memory (cache type 'simple'), so
    every start begins with no result cached; cache_dir keeps the data copies."""

    def __init__(self, model_store: str | None, plain: bool, cache_dir: str):
        self.port = free_port()
        env = dict(os.environ, GLIMPSE_CACHE_DIR=cache_dir, GLIMPSE_CACHE_TYPE="simple")
        if model_store:
            env["GLIMPSE_MODEL_STORE"] = model_store
        cmd = [sys.executable, "app.py", "--port", str(self.port)] + ([] if plain else ["--timing"])
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.url = f"http://127.0.0.1:{self.port}/"
        self.rss_peak = 0
        self.rss_last = 0
        self._stop = threading.Event()
        threading.Thread(target=self._watch_rss, daemon=True).start()

    def wait_http(self, timeout: float = 120) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited: {self.proc.stderr.read().decode()[-2000:]}")
            try:
                urllib.request.urlopen(self.url, timeout=1)
                return
            except OSError:
                time.sleep(0.05)
        raise TimeoutError("the server did not answer")

    def _rss(self) -> int:
        import psutil

        try:
            p = psutil.Process(self.proc.pid)
            return p.memory_info().rss + sum(c.memory_info().rss for c in p.children(recursive=True))
        except psutil.Error:
            return 0

    def _watch_rss(self) -> None:
        while not self._stop.is_set():
            rss = self._rss()
            if rss:
                self.rss_last = rss
                self.rss_peak = max(self.rss_peak, rss)
            time.sleep(0.25)

    def stop(self) -> None:
        self._stop.set()
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


# Counts the page's Dash requests (fetch) so "quiet" can be told apart from "between two
# chained callbacks"; installed before every page load.
TRACK_JS = """
window.__lat = {inflight: 0, completed: 0};
var originalFetch = window.fetch;
window.fetch = function (url) {
  var dash = String(url).indexOf('_dash-update-component') >= 0;
  if (dash) window.__lat.inflight++;
  var p = originalFetch.apply(this, arguments);
  if (dash) p.finally(function () { window.__lat.inflight--; window.__lat.completed++; });
  return p;
};
try { performance.setResourceTimingBufferSize(100000); } catch (e) {}
window.__lat.longtasks = [];
try {
  new PerformanceObserver(function (list) {
    list.getEntries().forEach(function (e) { window.__lat.longtasks.push([e.startTime, e.duration]); });
  }).observe({type: 'longtask', buffered: true});
} catch (e) {}
"""

# Shared by the page-side measurements below: Dash's callback queue is empty; the Dash
# requests that started after t0, with their Server-Timing split.
HELPERS_JS = """
function dashIdle() {   // no callback of Dash's queue waiting, running or being applied
  var s = window.store && window.store.getState ? window.store.getState().callbacks : null;
  if (!s) return true;
  return ['requested', 'prioritized', 'blocked', 'executing', 'watched', 'stored'].every(function (k) {
    return !s[k] || s[k].length === 0;
  });
}
function dashRequests(t0) {
  return performance.getEntriesByType('resource').filter(function (e) {
    return e.name.indexOf('_dash-update-component') >= 0 && e.startTime >= t0 - 1;
  }).map(function (e) {
    var st = {};
    (e.serverTiming || []).forEach(function (s) { st[s.name] = s.duration; });
    return {start: e.startTime - t0, duration: e.duration, bytes: e.encodedBodySize, server: st};
  });
}
"""

MEASURE_JS = HELPERS_JS + """
var el = arguments[0], rootId = arguments[1], expectChange = arguments[2], timeoutMs = arguments[3];
var done = arguments[arguments.length - 1];
function signature() {
  var root = document.getElementById(rootId);
  if (!root) return '';
  return Array.from(root.querySelectorAll('.js-plotly-plot')).map(function (g) {
    var t = (g.layout || {}).title || {};
    return [typeof t === 'string' ? t : t.text].concat((g._fullData || []).map(function (d) {
      return [d.name, d.type, d.x ? d.x.length : 0, d.source ? d.source.length + d.source.slice(-48) : '',
              d.z ? d.z.length : 0].join(':');
    })).join('|');
  }).join('||') + '#' + root.innerText.length;
}
function quiet() {   // a click that needs no request (a tab already up to date) is quiet too
  return window.__lat.inflight === 0 && frames >= 2 && dashIdle() &&
         !document.querySelector('[data-dash-is-loading="true"]');
}
var before = signature(), frames = 0;
var t0 = performance.now();
el.click();
function finish() {
  var t1 = performance.now();
  var reqs = dashRequests(t0);
  // main-thread tasks over 50 ms (React, Plotly) inside the measured interval
  var busy = window.__lat.longtasks.filter(function (t) { return t[0] + t[1] > t0 && t[0] < t1; })
    .reduce(function (a, t) { return a + Math.min(t[0] + t[1], t1) - Math.max(t[0], t0); }, 0);
  done({ms: t1 - t0, changed: signature() !== before, requests: reqs, longtask_ms: busy});
}
function tick() {
  frames++;
  if (performance.now() - t0 > timeoutMs) { done({error: 'timeout', ms: performance.now() - t0}); return; }
  if (quiet() && (!expectChange || signature() !== before)) {
    requestAnimationFrame(function () { requestAnimationFrame(function () {
      if (quiet()) finish(); else requestAnimationFrame(tick);
    }); });
    return;
  }
  requestAnimationFrame(tick);
}
requestAnimationFrame(tick);
"""


# After a stroke drawn on the what-if canvas (real pointer events from Chromium's input, see
# measure_drawing): the time from the pointer's release until the prediction line shows a new
# text and the page is quiet (the same rule as MEASURE_JS). arguments: the text before, the
# timeout.
DRAW_WAIT_JS = HELPERS_JS + """
var before = arguments[0], timeoutMs = arguments[1], done = arguments[arguments.length - 1];
function said() { var p = document.getElementById('whatif-prediction'); return p ? p.innerText : ''; }
function quiet() {
  return window.__lat.inflight === 0 && dashIdle() && !document.querySelector('[data-dash-is-loading="true"]');
}
var t0 = window.__lat.up;
function tick() {
  var now = performance.now();
  if (now - t0 > timeoutMs) { done({error: 'timeout', ms: now - t0, said: said(), quiet: quiet()}); return; }
  if (quiet() && said() !== before) {
    requestAnimationFrame(function () { requestAnimationFrame(function () {
      if (!quiet()) { requestAnimationFrame(tick); return; }
      var t1 = performance.now();
      var reqs = dashRequests(t0);
      done({ms: t1 - t0, said: said(), requests: reqs, longtask_ms: 0});
    }); });
    return;
  }
  requestAnimationFrame(tick);
}
requestAnimationFrame(tick);
"""


def browser():
    driver = chrome.browser()
    driver.set_script_timeout(120)
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": TRACK_JS})
    return driver


class Page:
    def __init__(self, driver, server: Server):
        self.d = driver
        self.server = server

    def js(self, script, *args):
        return self.d.execute_script(script, *args)

    def wait(self, script, timeout, what, *args):
        chrome.wait_for(self.d, script, timeout, what, *args)

    def wait_figure(self, container: str, timeout: float = 120) -> None:
        self.wait("var c = document.getElementById(arguments[0]);"
                  "return !!c && c.querySelector('.js-plotly-plot .main-svg') !== null && window.__lat &&"
                  "window.__lat.inflight === 0 && !document.querySelector('[data-dash-is-loading=\"true\"]');",
                  timeout, f"a figure in #{container}", container)

    def measure(self, element, container: str, expect_change: bool, timeout_ms: int = 60000) -> dict:
        out = self.d.execute_async_script(MEASURE_JS, element, container, expect_change, timeout_ms)
        if out.get("error"):
            what = (element.text or element.get_attribute("id") or "?").strip()[:40]
            raise TimeoutError(f"no change painted in #{container} {out['ms']:.0f} ms after a click on {what!r}")
        return out

    def thumb(self, sample_id: int):
        from selenium.webdriver.common.by import By

        return self.d.find_element(By.CSS_SELECTOR, f'button[id=\'{{"index":{sample_id},"type":"thumb"}}\']')

    def thumb_ids(self) -> list[int]:
        raw = self.js("return Array.from(document.querySelectorAll('#thumb-grid button.thumb')).map(b => b.id)")
        return [json.loads(r)["index"] for r in raw]

    def tab(self, label: str):
        from selenium.webdriver.common.by import By

        return self.d.find_element(By.XPATH, f"//div[@id='tabs']/div[normalize-space(.)='{label}']")

    def method_option(self, title_start: str):
        """Open the method picker and return its option (the click itself is measured)."""
        from selenium.webdriver.common.by import By

        self.d.find_element(By.ID, "method-a").click()
        xpath = ("//*[contains(concat(' ', @class, ' '), ' dash-dropdown-options ')]/*[@role='option']"
                 f"[starts-with(normalize-space(.), '{title_start}')]")
        self.wait("return document.evaluate(arguments[0], document, null, 9, null).singleNodeValue !== null",
                  10, "the method menu", xpath)
        option = self.d.find_element(By.XPATH, xpath)
        seen = []   # the menu moves while it opens (it scrolls to the current value): let it settle
        while len(seen) < 3 or not seen[-1] == seen[-2] == seen[-3]:
            seen.append(option.rect)
            time.sleep(0.03)
        return option


def record(results: list, kind: str, out: dict, **extra) -> None:
    reqs = out.get("requests", [])

    def total(key):
        vals = [r["server"].get(key) for r in reqs if key in r["server"]]
        return round(float(sum(vals)), 2) if vals else None
    results.append({"kind": kind, "ms": round(out["ms"], 2), "requests": len(reqs),
                    "longtask_ms": round(out.get("longtask_ms", 0.0), 1),
                    "bytes": int(sum(r["bytes"] or 0 for r in reqs)), "server_ms": total("total"),
                    "compute_ms": total("compute"), "figure_ms": total("figure"), "json_ms": total("json"),
                    # [start after the click, duration, server total, bytes] per Dash request
                    "timeline": [[round(r["start"], 1), round(r["duration"], 1),
                                  round(r["server"].get("total", float("nan")), 1), r["bytes"]] for r in reqs],
                    **extra})


# ============================================================================ the scenario
def start(driver, model_store, plain, cache_dir) -> tuple[dict, Server]:
    """Process start -> the server answers -> the first figure is painted (ms)."""
    server = Server(model_store, plain, cache_dir)
    server.wait_http()
    http = time.perf_counter()
    page = Page(driver, server)
    driver.get(server.url)
    page.wait("var m = document.getElementById('main'); return !!m && m.style.display !== 'none';", 300,
              "the models to load")
    ready = time.perf_counter()
    page.wait_figure("out-gradients", 120)
    done = time.perf_counter()
    ms = lambda t: round((t - server.started) * 1000, 1)  # noqa: E731
    return {"http_ms": ms(http), "models_ready_ms": ms(ready), "first_figure_ms": ms(done)}, server


def run_scenario(page: Page, methods_titles: dict, clicks: int, slow_clicks: int, results: list) -> None:
    grad = "out-gradients"
    samples = [i for i in page.thumb_ids()][1:clicks + 1]     # the first one is already shown
    first = page.thumb_ids()[0]
    # cold integrated-gradients maps, then the same samples again (cached)
    for i in samples:
        record(results, "cold_gradient_map", page.measure(page.thumb(i), grad, True), sample=i)
    for i in [first] + samples[:-1]:
        record(results, "cached_sample_click", page.measure(page.thumb(i), grad, True), sample=i)
    # tab switches on a computed sample: visit each tab once (cold), then measure switches
    tabs = ("Layer activations", "Filter weights", "Gradient maps")
    outs = {"Layer activations": "out-activations", "Filter weights": "out-weights", "Gradient maps": grad}
    for label in tabs:
        page.measure(page.tab(label), outs[label], False)
    for _ in range(max(2, clicks // 6)):
        for label in tabs:
            record(results, "tab_switch", page.measure(page.tab(label), outs[label], False), tab=label)
    # method switches: first time for a sample (cold), then again (warm); the last method is
    # integrated gradients, cached by the thumbnail click, so its first switch is not cold
    current = samples[-2]
    for i in [s for s in samples if s != current][:2]:
        page.measure(page.thumb(i), grad, True)
        for cold in (True, False):
            for m in GRADIENT_METHODS:
                out = page.measure(page.method_option(methods_titles[m]), grad, True)
                if not (cold and m == "integrated_gradients"):
                    record(results, "method_switch_cold" if cold else "method_switch_warm", out, method=m,
                           sample=i)
    # occlusion on new samples (the method stays selected while clicking)
    page.measure(page.method_option(methods_titles["occlusion"]), grad, True)
    fresh = [i for i in page.thumb_ids() if i not in samples and i != first]
    for i in fresh[:slow_clicks]:
        record(results, "cold_occlusion", page.measure(page.thumb(i), grad, True), sample=i)
    # LIME on new samples
    page.measure(page.tab("LIME"), "out-lime", False)
    for i in fresh[slow_clicks:2 * slow_clicks]:
        record(results, "cold_lime", page.measure(page.thumb(i), "out-lime", True), sample=i)
    measure_drawing(page, slow_clicks, results)


def measure_drawing(page: Page, strokes: int, results: list) -> None:
    """What if?: a stroke on the canvas -> the new prediction shown (and the map with it).
    The stroke is real mouse input (CDP Input.dispatchMouseEvent: pointer events as a user's
    mouse sends them); strokes alternate between two places, so each gives a new drawing."""
    page.measure(page.tab("What if?"), "out-whatif", False)
    page.wait("return !!document.getElementById('whatif-prediction') && !!document.getElementById('whatif-canvas')",
              60, "the what-if editor")
    page.js("document.getElementById('whatif-canvas').scrollIntoView({block: 'center'});"
            "if (!window.__lat.upHooked) { window.__lat.upHooked = true;"
            "  document.addEventListener('pointerup', function () { window.__lat.up = performance.now(); }, true); }")
    ink = ("var c = document.getElementById('whatif-canvas'), d = c.getContext('2d')"
           ".getImageData(0, 0, c.width, c.height).data, s = 0;"
           "for (var i = 0; i < d.length; i += 4) { s += 255 - d[i]; } return s;")
    said = "var p = document.getElementById('whatif-prediction'); return p ? p.innerText : '';"
    page.wait("return (function () {" + ink + "})() > 0;", 60, "the sample painted on the canvas")

    def mouse(kind, x, y, buttons):
        page.d.execute_cdp_cmd("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y, "button": "left",
                                                            "buttons": buttons, "clickCount": 1})
    for k in range(strokes + 1):
        # each stroke on a cleared canvas (its answer awaited, not timed), in one of two places
        first = page.js(said)
        page.d.find_element("id", "whatif-clear").click()
        page.wait("return (function () {" + ink + "})() === 0 && window.__lat.inflight === 0 && "
                  "(function () {" + said + "})() !== arguments[0];", 60, "the cleared canvas's answer", first)
        time.sleep(0.2)
        left, top, w, h = page.js("var b = document.getElementById('whatif-canvas').getBoundingClientRect();"
                                  "return [b.left, b.top, b.width, b.height];")
        before = page.js(said)
        x = left + w * (0.35 + 0.3 * (k % 2))
        mouse("mousePressed", x, top + 0.2 * h, 1)
        for j in range(1, 9):
            mouse("mouseMoved", x, top + (0.2 + 0.075 * j) * h, 1)
        mouse("mouseReleased", x, top + 0.8 * h, 0)
        out = page.d.execute_async_script(DRAW_WAIT_JS, before, 30000)
        if out.get("error"):
            raise TimeoutError(f"no new prediction {out['ms']:.0f} ms after a stroke: {out}, before {before!r}")
        if k:   # the first stroke also warms the explanation of a drawing
            record(results, "draw_prediction", out)


def summarise(results: list, starts: list, rss_peak: int, rss_last: int) -> dict:
    kinds: dict = {}
    for r in results:
        kinds.setdefault(r["kind"], []).append(r)
    summary = {}
    for kind, rows in kinds.items():
        ms = np.array([r["ms"] for r in rows])
        entry = {"n": len(rows), "p50_ms": round(float(np.percentile(ms, 50)), 1),
                 "p95_ms": round(float(np.percentile(ms, 95)), 1), "max_ms": round(float(ms.max()), 1)}
        for key in ("server_ms", "compute_ms", "figure_ms", "json_ms", "bytes", "requests", "longtask_ms"):
            vals = [r[key] for r in rows if r.get(key) is not None]
            if vals:
                entry[f"{key}_p50"] = round(float(np.percentile(vals, 50)), 1)
        if kind in TARGETS_MS:
            entry["target_p95_ms"] = TARGETS_MS[kind]
            entry["meets_target"] = bool(entry["p95_ms"] <= TARGETS_MS[kind])
        summary[kind] = entry
    if starts:
        ms = np.array(starts)
        summary["warm_start"] = {"n": len(starts), "p50_ms": round(float(np.percentile(ms, 50)), 1),
                                 "p95_ms": round(float(np.percentile(ms, 95)), 1), "max_ms": round(float(ms.max()), 1),
                                 "target_p95_ms": TARGETS_MS["warm_start"],
                                 "meets_target": bool(np.percentile(ms, 95) <= TARGETS_MS["warm_start"])}
    summary["server_rss"] = {"peak_mb": round(rss_peak / 2**20, 1), "end_mb": round(rss_last / 2**20, 1),
                             "target_mb": RSS_TARGET_MB, "meets_target": rss_peak / 2**20 <= RSS_TARGET_MB}
    return summary


def table(summary: dict) -> str:
    head = f"{'measure':<22}{'n':>4}{'p50 ms':>9}{'p95 ms':>9}{'target':>8}  {'ok':<4}{'server':>8}" \
           f"{'compute':>9}{'figure':>8}{'json':>7}{'bytes':>9}{'reqs':>6}{'busy':>6}"
    lines = [head, "-" * len(head)]
    for kind, e in summary.items():
        if kind == "server_rss":
            continue

        def get(key, fmt="{:.0f}"):
            return fmt.format(e[key]) if key in e else "-"
        ok = "" if "meets_target" not in e else ("yes" if e["meets_target"] else "NO")
        lines.append(f"{kind:<22}{e['n']:>4}{e['p50_ms']:>9.0f}{e['p95_ms']:>9.0f}{get('target_p95_ms'):>8}  "
                     f"{ok:<4}{get('server_ms_p50'):>8}{get('compute_ms_p50'):>9}{get('figure_ms_p50'):>8}"
                     f"{get('json_ms_p50'):>7}{get('bytes_p50'):>9}{get('requests_p50'):>6}{get('longtask_ms_p50'):>6}")
    r = summary["server_rss"]
    lines.append(f"server RSS: peak {r['peak_mb']:.0f} MB, at the end {r['end_mb']:.0f} MB "
                 f"(target {r['target_mb']} MB: {'yes' if r['meets_target'] else 'NO'})")
    lines.append("server/compute/figure/json/bytes/reqs: medians of the sums over the Dash requests a measurement "
                 "waited for; busy: browser main-thread long tasks (React, Plotly) inside it")
    return "\n".join(lines)


def ensure_trained(driver, model_store, plain, cache_dir) -> dict | None:
    """Train the default models once if the store has none; returns that start's time (ms)."""
    sys.path.insert(0, str(ROOT))
    from explain_core import ExplanationService, Settings

    settings = Settings.from_env(model_store=model_store, cache_dir=tempfile.mkdtemp(prefix="glimpse-check-"))
    stored = ExplanationService(settings).models_stored()
    shutil.rmtree(settings.cache_dir, ignore_errors=True)
    if stored:
        return None
    print("the model store has no models yet: a first start trains them …", flush=True)
    times, server = start(driver, model_store, plain, cache_dir)
    server.stop()
    print(f"first start (training): first figure after {times['first_figure_ms']:.0f} ms", flush=True)
    return times


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench latency", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--clicks", type=int, default=20, help="samples for the cold/cached click series")
    p.add_argument("--slow-clicks", type=int, default=8, help="samples for the LIME and occlusion series")
    p.add_argument("--starts", type=int, default=3,
                   help="warm starts to time (after one start that fills the empty cache folder)")
    p.add_argument("--model-store", help="trained models (default: the app's default store)")
    p.add_argument("--plain", action="store_true", help="run `python app.py` (no server-side split)")
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "latency.json")
    args = p.parse_args(argv)

    sys.path.insert(0, str(ROOT))
    from explain_core.methods.registry import METHODS

    titles = {m: METHODS[m].title for m in GRADIENT_METHODS}
    load_before = os.getloadavg()
    cache_dir = tempfile.mkdtemp(prefix="glimpse-latency-")
    driver = browser()
    results, starts, server = [], [], None
    try:
        first_start = ensure_trained(driver, args.model_store, args.plain, cache_dir)
        for k in range(args.starts + 1):
            times, server = start(driver, args.model_store, args.plain, cache_dir)
            starts.append(times)
            print(f"start {k + 1}{' (empty cache folder)' if k == 0 and first_start is None else ''}: "
                  f"answers after {times['http_ms']:.0f} ms, models ready (page shown) after "
                  f"{times['models_ready_ms']:.0f} ms, first figure after {times['first_figure_ms']:.0f} ms",
                  flush=True)
            if k < args.starts:
                server.stop()
        run_scenario(Page(driver, server), titles, args.clicks, args.slow_clicks, results)
        rss_peak, rss_last = server.rss_peak, server.rss_last
    finally:
        driver.quit()
        if server is not None:
            server.stop()
        shutil.rmtree(cache_dir, ignore_errors=True)
    # the first start builds the data copies in the empty cache folder unless training did
    warm = starts if first_start is not None else starts[1:]
    summary = summarise(results, [t["first_figure_ms"] for t in warm], rss_peak, rss_last)
    from bench.machine import machine_info

    doc = {"summary": summary, "first_start_training_ms": first_start, "plain": args.plain,
           "model_store": args.model_store or "default", "clicks": args.clicks, "slow_clicks": args.slow_clicks,
           "load_average_before": [round(v, 2) for v in load_before], "machine": machine_info(),
           "measurements": results, "starts": starts,
           "start_empty_cache_folder": None if first_start is not None else starts[0]}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=1))
    print(table(summary))
    print(f"load average before {doc['load_average_before']}, after {[round(v, 2) for v in os.getloadavg()]}; "
          f"written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

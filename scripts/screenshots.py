"""Screenshots of every view for the docs: docs/screenshots/*.png.

    python scripts/screenshots.py [--model-store DIR] [--out docs/screenshots]

Starts `python app.py` on a free port (default model store unless --model-store; a first
start trains the default models), drives headless Chromium at 1366x768 through the tabs,
a side-by-side comparison, the upload panel and a tabular model, saves one PNG per view
and stops the server. Then the views reached by clicking (the whole-model tabs, the trust
panels, export, presentation, what-if: tests/e2e/test_readme_shots.py) are taken the same
way, on a non-debug server at 1366x768, by pytest (the test model store).
"""
from __future__ import annotations

import argparse
import base64
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import chrome  # noqa: E402
from bench.chrome import free_port  # noqa: E402
from dashboard import ids  # noqa: E402  (ids only: no server code is imported)

WIDTH, HEIGHT = 1366, 768
MAX_HEIGHT = 1500           # a full-page shot is cut here (the tree and weight grids are tall)

GRADIENTS, LIME = ids.output(ids.TAB_GRADIENTS), ids.output(ids.TAB_LIME)
# (file name, deep link, what to do on the page, the output to wait for, text it must then show:
#  in its HTML or a figure title)
VIEWS = (
    ("01-gradients-integrated.png", "?model=mnist-cnn&sample=42&tab=gradients&method=integrated_gradients",
     None, GRADIENTS, "Integrated gradients"),
    ("02-gradients-compare.png",
     "?model=mnist-cnn&sample=42&tab=gradients&method=integrated_gradients&compare=gradcam",
     None, GRADIENTS, "Grad-CAM"),
    ("03-activations.png", "?model=mnist-cnn&sample=42&tab=activations", None, ids.output(ids.TAB_ACTIVATIONS),
     "conv1"),
    ("04-weights.png", "?model=mnist-cnn&sample=42&tab=weights", ("choose", ids.WEIGHT_LAYER, "conv2"),
     ids.output(ids.TAB_WEIGHTS), "conv2"),
    # the CNN's fc1 (64 × 1568) drawn unit by unit: its strongest units' 32 channel maps
    ("weights-fc1.png", "?model=mnist-cnn&sample=42&tab=weights", ("choose", ids.WEIGHT_LAYER, "fc1"),
     ids.output(ids.TAB_WEIGHTS), "strongest units"),
    ("05-lime.png", "?model=mnist-cnn&sample=42&tab=lime", None, LIME, "LIME"),
    ("06-tree.png", "?model=mnist-cnn&sample=42&tab=tree", None, ids.output(ids.TAB_TREE), "Distilled tree"),
    ("07-upload.png", "?model=mnist-cnn&sample=42&tab=gradients", ("upload",), ids.CSV_PREVIEW, "569 rows"),
    ("08-tabular-gradients.png", "?model=breast-cancer-mlp&sample=7&tab=gradients&method=integrated_gradients",
     None, GRADIENTS, "Integrated gradients"),
    ("09-tabular-lime.png", "?model=breast-cancer-mlp&sample=7&tab=lime", None, LIME, "LIME"),
    # a held-out 0 whose corner square has class 2's colour: the CNN says 2, the maps say why
    ("shortcut-digits.png",
     "?model=shortcut-cnn&sample=446&tab=gradients&method=integrated_gradients&compare=occlusion",
     None, GRADIENTS, "Occlusion"),
)

SHOWS_JS = """
var c = document.getElementById(arguments[0]);
if (!c) return false;
var titles = Array.from(c.querySelectorAll('.js-plotly-plot')).map(function (g) {
  var t = (g.layout || {}).title || {}; return typeof t === 'string' ? t : (t.text || ''); });
return (c.innerText + ' ' + titles.join(' ')).indexOf(arguments[1]) >= 0;
"""


def start_server(port: int, model_store: str | None, cache_dir: str) -> subprocess.Popen:
    cmd = [sys.executable, "app.py", "--port", str(port)]
    if model_store:
        cmd += ["--model-store", model_store]
    env = dict(os.environ, GLIMPSE_CACHE_DIR=cache_dir)
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env)
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"app.py exited with {proc.returncode}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1)
            return proc
        except OSError:
            time.sleep(0.3)
    proc.terminate()
    raise SystemExit("app.py did not answer within 60 s")


def browser():
    driver = chrome.browser(WIDTH, HEIGHT, extra_flags=("--hide-scrollbars",))
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": False})
    return driver


def wait(driver, script: str, timeout: float, what: str, *args):
    chrome.wait_for(driver, script, timeout, what, *args, poll=0.2)


def settle(driver, container: str, text: str = "", timeout: float = 300):
    """Until the container shows `text`, no callback is pending, and two frames were painted."""
    wait(driver, "var m = document.getElementById(arguments[0]); return m && m.style.display !== 'none';",
         timeout, "the models to load", ids.MAIN)
    wait(driver, SHOWS_JS, timeout, f"{text!r} in #{container}", container, text)
    wait(driver, "return !document.querySelector('[data-dash-is-loading=\"true\"]');", timeout, "callbacks")
    time.sleep(0.6)   # plotly draws images asynchronously; let the last frame land
    driver.execute_async_script("var done = arguments[0];"
                                "requestAnimationFrame(function () { requestAnimationFrame(done); });")


def choose(driver, dropdown_id: str, label: str):
    from selenium.webdriver.common.by import By

    driver.find_element(By.ID, dropdown_id).click()
    xpath = ("//*[contains(concat(' ', @class, ' '), ' dash-dropdown-options ')]/*[@role='option']"
             f"[starts-with(normalize-space(.), '{label}')]")
    wait(driver, "return document.evaluate(arguments[0], document, null, 9, null).singleNodeValue !== null;",
         10, f"option {label}", xpath)
    time.sleep(0.4)   # the menu scrolls to the current value as it opens
    driver.find_element(By.XPATH, xpath).click()


def upload_csv(driver, folder: Path):
    """Open the upload panel and preview a breast-cancer CSV."""
    import numpy as np
    from selenium.webdriver.common.by import By
    from sklearn.datasets import load_breast_cancer

    df = load_breast_cancer(as_frame=True).frame
    df["diagnosis"] = np.where(df.pop("target") == 1, "benign", "malignant")
    path = folder / "breast_cancer.csv"
    df.to_csv(path, index=False)
    driver.find_element(By.ID, ids.UPLOAD_TOGGLE).click()
    driver.find_element(By.CSS_SELECTOR, f"#{ids.CSV_UPLOAD} input[type=file]").send_keys(str(path))


def shoot(driver, path: Path):
    """The page from the top, as tall as its content (up to MAX_HEIGHT)."""
    driver.execute_script("window.scrollTo(0, 0)")
    height = min(int(driver.execute_script("return document.documentElement.scrollHeight")), MAX_HEIGHT)
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": WIDTH, "height": max(height, HEIGHT), "scale": 1}})
    path.write_bytes(base64.b64decode(shot["data"]))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model-store", help="trained models (default: the app's default store)")
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    p.add_argument("--only", help="comma-separated file names to take (default: all)")
    args = p.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    only = set(args.only.split(",")) if args.only else None
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="glimpse-shots-") as tmp:
        server = start_server(port, args.model_store, str(Path(tmp) / "cache"))
        driver = None
        try:
            driver = browser()
            for name, link, action, container, text in VIEWS:
                if only and name not in only:
                    continue
                t0 = time.perf_counter()
                driver.get(f"http://127.0.0.1:{port}/{link}")
                settle(driver, ids.SAMPLE_INFO)
                if action and action[0] == "choose":
                    settle(driver, container)
                    choose(driver, action[1], action[2])
                elif action and action[0] == "upload":
                    settle(driver, ids.output(ids.TAB_GRADIENTS))
                    upload_csv(driver, Path(tmp))
                settle(driver, container, text)
                shoot(driver, args.out / name)
                print(f"{name}: {time.perf_counter() - t0:.1f} s")
        finally:
            if driver is not None:
                driver.quit()
            server.terminate()
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                server.kill()
    run_scenes(args.out, only)
    return 0


def run_scenes(out: Path, only: set | None) -> None:
    """The clicked-to views, each a function of tests/e2e/test_readme_shots.py (test_<name>)."""
    if only is not None:
        names = [n[:-4].replace("-", "_") for n in only if n not in {v[0] for v in VIEWS}]
        if not names:
            return
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--headless",
           str(ROOT / "tests" / "e2e" / "test_readme_shots.py")]
    if only is not None:
        cmd += ["-k", " or ".join(f"test_{n}" for n in names)]
    subprocess.run(cmd, cwd=ROOT, env=dict(os.environ, GLIMPSE_README_SHOTS=str(out.resolve())), check=False)


if __name__ == "__main__":
    raise SystemExit(main())

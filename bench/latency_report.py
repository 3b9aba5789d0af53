"""The dashboard latency section of docs/PERFORMANCE.md, from bench/results/latency.json and,
when there, bench/results/latency_before.json (a run before the speed work, side by side)."""
from __future__ import annotations

LATENCY_COLUMNS = ("measure", "n", "p50 ms", "p95 ms", "target p95", "met", "server ms", "compute", "figure",
                   "json", "bytes", "requests", "browser busy ms")
COMPARE_COLUMNS = ("measure", "target p95", "before p95 ms", "after p95 ms", "before requests", "after requests",
                   "met after")


def _helpers():
    from .report import _ok, md_table   # report imports this module at its top
    return _ok, md_table


def latency_rows(result: dict) -> list[list[str]]:
    """One row per measure of bench/results/latency.json (medians of the per-click sums over
    its Dash requests for the server split; busy: browser long tasks inside the measurement)."""
    _ok, _ = _helpers()
    rows = []
    for kind, e in result["summary"].items():
        if kind == "server_rss":
            continue

        def get(key, spec=".0f"):
            return "—" if e.get(key) is None else format(e[key], spec)
        rows.append([kind, e["n"], f"{e['p50_ms']:.0f}", f"{e['p95_ms']:.0f}",
                     "—" if "target_p95_ms" not in e else f"≤ {e['target_p95_ms']}",
                     _ok(e.get("meets_target")), get("server_ms_p50"), get("compute_ms_p50"), get("figure_ms_p50"),
                     get("json_ms_p50"), get("bytes_p50"), get("requests_p50"), get("longtask_ms_p50")])
    return rows


def compare_rows(before: dict, after: dict) -> list[list[str]]:
    """p95 and requests per measure, before and after, for every measure of either run."""
    _ok, _ = _helpers()
    b, a = before["summary"], after["summary"]
    rows = []
    for kind in [*a, *(k for k in b if k not in a)]:
        if kind == "server_rss":
            continue
        eb, ea = b.get(kind, {}), a.get(kind, {})
        target = ea.get("target_p95_ms", eb.get("target_p95_ms"))

        def cell(e, key, spec=".0f"):
            return "—" if e.get(key) is None else format(e[key], spec)
        rows.append([kind, "—" if target is None else f"≤ {target}", cell(eb, "p95_ms"), cell(ea, "p95_ms"),
                     cell(eb, "requests_p50"), cell(ea, "requests_p50"), _ok(ea.get("meets_target"))])
    rb, ra = b["server_rss"], a["server_rss"]
    rows.append(["server RSS peak (MB)", f"≤ {ra['target_mb']}", f"{rb['peak_mb']:.0f}", f"{ra['peak_mb']:.0f}", "—", "—",
                 _ok(ra["meets_target"])])
    return rows


def starts_lines(r: dict) -> list[str]:
    out = []
    for i, t in enumerate(r.get("starts", [])):
        first = i == 0 and r.get("start_empty_cache_folder") is not None
        out.append(f"- start {i + 1}{' (empty cache folder, not counted)' if first else ''}: server answers "
                   f"after {t['http_ms'] / 1000:.1f} s, page shown (models ready) after "
                   f"{t['models_ready_ms'] / 1000:.1f} s, first figure after {t['first_figure_ms'] / 1000:.1f} s")
    return out


def latency_markdown(r: dict, analysis: str = "", before: dict | None = None) -> list[str]:
    _ok, md_table = _helpers()
    rss = r["summary"]["server_rss"]
    out = ["## Dashboard latency", "",
           f"`python -m bench latency` (bench/latency.py): headless Chromium clicking through the app, "
           f"{r['clicks']} samples for the click series, {r['slow_clicks']} for LIME and occlusion; click → "
           f"figure painted, measured in the page. Server split from the app's Server-Timing header "
           f"(`GLIMPSE_TIMING=1`). Load average before the run: {', '.join(map(str, r['load_average_before']))}.",
           "", md_table(LATENCY_COLUMNS, latency_rows(r)), "",
           f"- Server RSS: peak {rss['peak_mb']:.0f} MB, at the end {rss['end_mb']:.0f} MB "
           f"(target ≤ {rss['target_mb']} MB: {_ok(rss['meets_target'])})", *starts_lines(r)]
    if before:
        out += ["", "### Before and after the speed work (issue 12)", "",
                f"Before: bench/results/latency_before.json, the same command on the code before this work "
                f"(load average {', '.join(map(str, before['load_average_before']))} when it started); after: the "
                f"table above.", "", md_table(COMPARE_COLUMNS, compare_rows(before, r)), "",
                "Starts before:", *starts_lines(before)]
    return out + [""] + ([analysis.strip(), ""] if analysis.strip() else [])

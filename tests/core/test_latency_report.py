"""The latency section of docs/PERFORMANCE.md shows the run before the speed work beside the
latest one (bench/latency_report.py), from the JSON results alone."""
from __future__ import annotations

from bench.latency_report import compare_rows, latency_markdown


def run(click_p95: float, requests: int, rss: float, draw: bool) -> dict:
    summary = {"cached_sample_click": {"n": 5, "p50_ms": click_p95 - 10, "p95_ms": click_p95, "max_ms": click_p95,
                                       "requests_p50": requests, "target_p95_ms": 150,
                                       "meets_target": click_p95 <= 150},
               "server_rss": {"peak_mb": rss, "end_mb": rss, "target_mb": 1200, "meets_target": rss <= 1200}}
    if draw:
        summary["draw_prediction"] = {"n": 3, "p50_ms": 200, "p95_ms": 250, "max_ms": 260, "target_p95_ms": 300,
                                      "meets_target": True}
    return {"summary": summary, "clicks": 5, "slow_clicks": 3, "load_average_before": [0.5, 0.4, 0.3],
            "starts": [{"http_ms": 1000, "models_ready_ms": 3000, "first_figure_ms": 4000}]}


def test_before_and_after_side_by_side():
    before, after = run(212, 4, 706, draw=False), run(140, 2, 600, draw=True)
    rows = {r[0]: r for r in compare_rows(before, after)}
    assert rows["cached_sample_click"][1:] == ["≤ 150", "212", "140", "4", "2", "met"]
    assert rows["draw_prediction"][2:4] == ["—", "250"]          # measured only after
    assert rows["server RSS peak (MB)"][2:4] == ["706", "600"]
    text = "\n".join(latency_markdown(after, "Where the time goes.", before))
    assert "### Before and after" in text and "Where the time goes." in text
    assert "\n".join(latency_markdown(after)).count("Before and after") == 0   # no before run: no comparison

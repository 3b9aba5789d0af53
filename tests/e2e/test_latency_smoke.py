"""The dashboard latency bench at its smallest sizes, so it cannot rot (no timing asserted)."""
from __future__ import annotations

import json


def test_the_latency_bench_runs_and_writes_its_summary(settings, service, tmp_path):
    from bench import latency

    assert service.models_stored()      # the session's models: the bench's servers only load them
    out = tmp_path / "latency.json"
    assert latency.main(["--clicks", "2", "--slow-clicks", "1", "--starts", "0",
                         "--model-store", str(settings.model_store), "--out", str(out)]) == 0
    doc = json.loads(out.read_text())
    summary = doc["summary"]
    for kind in ("cold_gradient_map", "cached_sample_click", "tab_switch", "cold_occlusion", "cold_lime"):
        assert summary[kind]["n"] >= 1 and summary[kind]["p95_ms"] > 0
    # the server split comes from the app's Server-Timing header
    clicks = [m for m in doc["measurements"] if m["kind"] == "cold_gradient_map"]
    assert all(m["server_ms"] is not None and m["compute_ms"] is not None for m in clicks)
    assert summary["server_rss"]["peak_mb"] > 0

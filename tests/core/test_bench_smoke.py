"""The performance harness end to end at tiny sizes: JSON, tables and markdown (no timing asserts)."""
from __future__ import annotations

import json
import math

import pytest

from bench.__main__ import parse, run
from bench.config import METHOD_CASES, tiny
from bench.report import COLUMNS

PEERS = {"occlusion": 2, "lime": 3, "kernel_shap": 3}


def _number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


@pytest.fixture(scope="module")
def smoke(service, tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    lines = []
    results = run("all", tiny(out_dir=out, docs_dir=out), service=service, echo=lines.append)
    return out, results, "\n".join(lines)


def test_every_case_has_a_row_per_peer_with_numeric_agreement(smoke):
    out, _, _ = smoke
    rows = json.loads((out / "methods.json").read_text())["rows"]
    for case in METHOD_CASES:
        mine = [r for r in rows if r["case"] == case]
        assert len(mine) == PEERS.get(case.removeprefix("tabular_"), 1), case
        for r in mine:
            a = r["agreement"]
            assert _number(a["value"]), (case, a)
            assert isinstance(a["ok"], bool)
            if a["metric"] == "spearman":
                for key in ("top5", "self_peer", "self_ours", "top5_self_peer", "top5_self_ours"):
                    assert _number(a[key]), (case, key, a)
            else:
                assert a["metric"] == "max_rel_err"
            for side in ("ours_ms", "peer_ms"):
                assert _number(r[side]["median"]) and r[side]["p90"] >= r[side]["median"] > 0
            assert _number(r["ratio"]) and r["ratio"] > 0
            if r["target"] is not None:
                assert isinstance(r["time_ok"], bool)
    ig = [r for r in rows if r["method"] == "integrated_gradients"]
    assert ig and all(_number(r["agreement"]["delta_ours"]) and _number(r["agreement"]["delta_peer"]) for r in ig)


def test_deterministic_methods_match_captum(smoke):
    out, _, _ = smoke
    rows = json.loads((out / "methods.json").read_text())["rows"]
    for r in rows:
        if r["agreement"]["metric"] == "max_rel_err":
            assert r["agreement"]["value"] < 1e-3, (r["case"], r["peer"], r["agreement"])


def test_stdout_table_lists_every_case(smoke):
    _, results, text = smoke
    header = next(line for line in text.splitlines() if line.startswith("case "))
    assert all(col in header for col in COLUMNS)
    table_lines = [line.split()[0] for line in text.splitlines() if line and line.split()[0] in METHOD_CASES]
    for case in METHOD_CASES:
        assert case in table_lines
    assert len(results["methods"]["rows"]) == sum(PEERS.get(c.removeprefix("tabular_"), 1) for c in METHOD_CASES)


def test_precompute_result_is_served_from_cache(smoke):
    out, _, _ = smoke
    runs = json.loads((out / "precompute.json").read_text())["runs"]
    assert [p["model"] for p in runs] == ["mnist-cnn", "mnist-mlp"]
    for p in runs:
        assert p["samples"] == 8 and p["explain_forward_calls"] == 0 and p["explain_hits"] >= p["explain_checked"] > 0
        assert p["max_rel_err_vs_captum"] < 1e-3
        assert all(_number(p[k]) for k in ("precompute_s", "captum_ms_per_sample", "speedup_vs_captum"))


def test_scale_covers_every_method_and_size(smoke):
    out, _, _ = smoke
    s = json.loads((out / "scale.json").read_text())
    for method, points in s["samples"].items():
        assert set(points) == {"1", "2"}, method
        assert all(_number(p["seconds"]) and p["seconds"] > 0 for p in points.values())
        assert set(s["input_size"][method]) == {"28", "56"}
    assert {"integrated_gradients", "lime", "kernel_shap", "occlusion"} <= set(s["samples"])


def test_markdown_is_generated_from_the_json(smoke):
    out, results, _ = smoke
    md = (out / "PERFORMANCE.md").read_text()
    m = results["methods"]["machine"]
    assert f"torch threads: {m['torch_threads']}" in md and m["cpu"] in md
    for case in METHOD_CASES:
        assert f"| {case} |" in md
    assert "## Dataset precompute" in md and "## Scale" in md
    pytest.importorskip("matplotlib")
    for png in ("perf_scale_samples.png", "perf_scale_input.png"):
        assert (out / png).stat().st_size > 1000
        assert f"]({png})" in md


def test_cli_flags_reach_the_config(tmp_path):
    command, cfg, _ = parse(["methods", "--tiny", "--image-samples", "3", "--cases", "lime,saliency",
                             "--out", str(tmp_path), "--sizes", "1,5"])
    assert command == "methods" and cfg.image_samples == 3 and cfg.cases == ("lime", "saliency")
    assert cfg.out_dir == tmp_path and cfg.scale_sizes == (1, 5)
    with pytest.raises(SystemExit):
        parse(["methods", "--cases", "nonsense"])

"""Tables for stdout and docs/PERFORMANCE.md, built only from the JSON results."""
from __future__ import annotations

import json
from pathlib import Path

from .dataset_ig_report import dataset_ig_markdown
from .dataset_ig_report import load as load_dataset_ig
from .latency_report import latency_markdown
from .load_report import load_markdown, load_runs
from .scale_page_report import load as load_scale_page
from .scale_page_report import scale_page_markdown

COLUMNS = ("case", "peer", "ours ms (med/p90)", "peer ms (med/p90)", "ratio", "target", "time",
           "agreement", "value", "peer self", "ours self", "top-5", "top-5 peer self", "agree")


def _f(v, spec=".3f") -> str:
    return "—" if v is None else format(v, spec)


def _ok(v) -> str:
    return "—" if v is None else ("met" if v else "MISSED")


def method_rows(result: dict) -> list[list[str]]:
    out = []
    for r in result["rows"]:
        a = r["agreement"]
        value_spec = ".1e" if a["metric"] == "max_rel_err" else ".3f"
        out.append([
            r["case"], r["peer"],
            f"{r['ours_ms']['median']:.2f} / {r['ours_ms']['p90']:.2f}",
            f"{r['peer_ms']['median']:.2f} / {r['peer_ms']['p90']:.2f}",
            f"{r['ratio']:.3f}", "—" if r["target"] is None else f"≤ {r['target']}", _ok(r["time_ok"]),
            a["metric"], _f(a["value"], value_spec), _f(a.get("self_peer")), _f(a.get("self_ours")),
            _f(a.get("top5"), ".2f"), _f(a.get("top5_self_peer"), ".2f"), _ok(a["ok"]),
        ])
    return out


def text_table(header, rows) -> str:
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) if rows else len(str(h))
              for i, h in enumerate(header)]
    line = lambda cells: "  ".join(str(c).ljust(w) for c, w in zip(cells, widths))
    return "\n".join([line(header), line(["-" * w for w in widths])] + [line(r) for r in rows])


def md_table(header, rows) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def methods_text(result: dict) -> str:
    return text_table(COLUMNS, method_rows(result))


def precompute_rows(result: dict) -> list[list[str]]:
    r = result
    return [
        ["samples", f"{r['samples']}"],
        ["Glimpse precompute (IG, cross-sample batches)", f"{r['precompute_s']:.1f} s ({r['precompute_ms_per_sample']:.2f} ms/sample)"],
        ["Captum IG per-sample loop", f"{r['captum_ms_per_sample']:.2f} ms/sample on {r['captum_subset']} digits "
                                      f"→ {r['captum_extrapolated_s']:.1f} s extrapolated to {r['samples']}"],
        ["Glimpse IG per-sample loop (what explain() does)", f"{r['ours_loop_ms_per_sample']:.2f} ms/sample"],
        ["model floor: bare forward+backward of the path points (default memory order)",
         f"{r['floor_batched_ms_per_sample']:.2f} ms/sample "
         f"in {r['rows_per_call']}-row calls, {r['floor_single_ms_per_sample']:.2f} ms/sample one digit per call"],
        ["Captum loop / batched floor",
         f"{r['captum_ms_per_sample'] / r['floor_batched_ms_per_sample']:.1f}×"],
        ["speed-up vs Captum loop", f"{r['speedup_vs_captum']:.1f}× (target ≥ {r['target']}×: {_ok(r['target_ok'])})"],
        ["speed-up vs our own per-sample loop", f"{r['speedup_vs_ours_loop']:.1f}×"],
        ["max relative error vs Captum (subset)", f"{r['max_rel_err_vs_captum']:.1e}"],
        ["explain() after precompute", f"{r['explain_forward_calls']} forward calls for {r['explain_checked']} digits "
                                       f"(cache hits {r['explain_hits']})"],
    ]


def precompute_runs(result: dict) -> list[dict]:
    return result.get("runs") or [result]     # results written before the per-model runs: one run


def precompute_text(result: dict) -> str:
    return "\n\n".join(f"{r['model']}\n" + text_table(("precompute", "value"), precompute_rows(r))
                       for r in precompute_runs(result))


def scale_rows(result: dict) -> list[list[str]]:
    sizes = result["sizes"]
    rows = []
    for method, points in result["samples"].items():
        cells = [method]
        for n in sizes:
            p = points.get(str(n))
            cells.append("—" if p is None else f"{p['seconds']:.3f}{'*' if p['extrapolated'] else ''}")
        rows.append(cells)
    return rows


def input_rows(result: dict) -> list[list[str]]:
    rows = []
    for method, p in result["input_size"].items():
        rows.append([method, f"{p['28']:.2f}", f"{p['56']:.2f}", f"{p['56'] / p['28']:.2f}×"])
    return rows


def scale_text(result: dict) -> str:
    a = text_table(["method"] + [f"N={n} (s)" for n in result["sizes"]], scale_rows(result))
    b = text_table(("method", "28×28 ms/sample", "56×56 ms/sample", "growth"), input_rows(result))
    return a + "\n(* extrapolated linearly from the largest measured N)\n\n" + b


# ---------------------------------------------------------------------------- markdown
def _machine(m: dict) -> str:
    libs = ", ".join(f"{k} {v}" for k, v in m["versions"].items() if v)
    load = m.get("load_average")
    return (f"- CPU: {m['cpu']}, {m['cores']} cores; torch threads: {m['torch_threads']}\n"
            f"- Python {m['python']} on {m['platform']}\n- Libraries: {libs}\n"
            + (f"- Load average when the run finished: {', '.join(map(str, load))} "
               f"(other processes shared the machine)\n" if load else ""))


def _targets(result: dict) -> str:
    lines = []
    for r in result["rows"]:
        if r["target"] is None and r["agreement"]["metric"] == "max_rel_err":
            continue
        t = "" if r["target"] is None else f"time {r['ratio']:.3f}× (target ≤ {r['target']}×) {_ok(r['time_ok'])}; "
        lines.append(f"- {r['case']} vs {r['peer']}: {t}agreement {_ok(r['agreement']['ok'])}")
    return "\n".join(lines)


def markdown(results: dict[str, dict], analysis: str = "", plots: list[str] = ()) -> str:
    parts = ["# Performance", "",
             "Generated by `python -m bench report` from `bench/results/*.json`; do not edit by hand "
             "(the analysis section comes from `bench/analysis.md`). Reproduce everything with "
             "`python -m bench all`.", ""]
    first = next((r for r in results.values() if "machine" in r), None)
    if first:
        parts += ["## Machine", "", _machine(first["machine"])]
    m = results.get("methods")
    if m:
        c = m["config"]
        parts += ["## Methods against Captum, lime and shap", "",
                  f"Run {m['created']} in {m['wall_s']:.0f} s. Image model `{m['models']['image']}` on "
                  f"{c['image_samples']} held-out digits, tabular model `{m['models']['tabular']}` on "
                  f"{c['tabular_samples']} held-out rows; occlusion, LIME and KernelSHAP on the first "
                  f"{c['slow_samples']} of them ({c['slow_reps']} repetition(s); the others {c['reps']}). "
                  f"Targets are the models' predictions. Every contender runs on the same sample back to "
                  f"back in a rotating order after {c['warmup']} warm-up call(s); *ratio* is the median "
                  f"over those rounds of ours / peer. Seed-to-seed agreement uses the first "
                  f"{c['agreement_samples']} samples.", "",
                  "Agreement: *max_rel_err* = max |ours − peer| / max |peer| (deterministic methods; "
                  "met when ≤ 1e-3); *spearman* = rank correlation of the per-feature / per-patch weights "
                  "(pixel maps for SmoothGrad), *top-5* = overlap of the 5 largest |weights|; met when both "
                  "are ≥ the peer library's own seed-0-vs-seed-1 value − 0.05. IG rows also give the mean "
                  "relative completeness delta of ours / Captum below.", "",
                  md_table(COLUMNS, method_rows(m)), ""]
        for r in m["rows"]:
            if r.get("floor_ms"):
                f = r["floor_ms"]["median"]
                parts.append(f"- {r['case']}: one bare forward+backward over the same rows in PyTorch's default "
                             f"memory order (the model floor) "
                             f"takes {f:.2f} ms median; per round, ours = {r['ours_over_floor']:.2f}× floor, "
                             f"{r['peer']} = {r['peer_over_floor']:.2f}× floor")
        for r in m["rows"]:
            if r["method"] == "integrated_gradients":
                a = r["agreement"]
                parts.append(f"- {r['case']}: relative completeness delta ours {_f(a['delta_ours'], '.2e')}, "
                             f"Captum {_f(a['delta_peer'], '.2e')}")
        parts += ["", "Settings per case:", ""]
        seen = set()
        for r in m["rows"]:
            if r["case"] not in seen:
                seen.add(r["case"])
                parts.append(f"- {r['case']}: {r['settings']}")
        parts += ["", "### Targets", "", _targets(m), ""]
    p = results.get("precompute")
    if p:
        parts += ["## Dataset precompute", ""]
        for r in precompute_runs(p):
            parts += [f"### `{r['model']}`", "", f"Run {r['created']}. IG with {r['n_steps']} Gauss–Legendre "
                      f"steps, zero baseline. Captum's per-sample loop was timed on {r['captum_subset']} digits and "
                      f"extrapolated per sample; the timings were interleaved chunk by chunk with the "
                      f"precompute run.", "", md_table(("precompute", "value"), precompute_rows(r)), ""]
    s = results.get("scale")
    if s:
        parts += ["## Scale", "", f"Run {s['created']}. Seconds to explain N digits with each method "
                  f"(`{s['model']}`; batched across samples where the method has attribute_batch, else "
                  f"a loop). * = extrapolated linearly (a point predicted to take over "
                  f"{s['cap_s']:.0f} s is not measured).", "",
                  md_table(["method"] + [f"N={n} (s)" for n in s["sizes"]], scale_rows(s)), "",
                  f"Input size: ms per sample on {s['input_samples']} digits (median of 3 rounds alternating the "
                  f"two sizes), 28×28 vs the same digits "
                  f"upsampled to 56×56, through a CNN of the same architecture with its dense layer "
                  f"widened for the larger map. {s['input_note']}", "",
                  md_table(("method", "28×28 ms/sample", "56×56 ms/sample", "growth"), input_rows(s)), ""]
        for png in plots:
            parts += [f"![{Path(png).stem}]({Path(png).name})", ""]
    if results.get("dataset_ig"):
        parts += dataset_ig_markdown(results["dataset_ig"], md_table)
    lat = results.get("latency")
    if lat:
        notes = Path(__file__).parent / "latency_analysis.md"
        parts += latency_markdown(lat, notes.read_text() if notes.exists() else "", results.get("latency_before"))
    if results.get("load"):
        notes = Path(__file__).parent / "load_analysis.md"
        parts += load_markdown(results["load"], md_table, notes.read_text() if notes.exists() else "")
    if results.get("scale_page"):
        notes = Path(__file__).parent / "scale_page_analysis.md"
        parts += scale_page_markdown(results["scale_page"], md_table, notes.read_text() if notes.exists() else "")
    if analysis.strip():
        parts += ["## Analysis", "", analysis.strip(), ""]
    return "\n".join(parts)


def load_results(out_dir: Path) -> dict[str, dict]:
    results = {}
    for name in ("methods", "precompute", "scale", "latency", "latency_before"):
        path = Path(out_dir) / f"{name}.json"
        if path.exists():
            results[name] = json.loads(path.read_text())
    load = load_runs(out_dir)
    if load:
        results["load"] = load
    scale_page = load_scale_page(out_dir)
    if scale_page:
        results["scale_page"] = scale_page
    dataset_ig = load_dataset_ig(out_dir)
    if dataset_ig:
        results["dataset_ig"] = dataset_ig
    return results


def write_markdown(out_dir: Path, docs_dir: Path, analysis_path: Path | None = None) -> Path:
    results = load_results(out_dir)
    analysis = analysis_path.read_text() if analysis_path and analysis_path.exists() else ""
    plots = sorted(str(p) for p in Path(docs_dir).glob("perf_scale_*.png"))
    docs_dir = Path(docs_dir)
    docs_dir.mkdir(parents=True, exist_ok=True)
    path = docs_dir / "PERFORMANCE.md"
    path.write_text(markdown(results, analysis, plots))
    return path

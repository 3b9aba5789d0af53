"""The "Load" section of docs/PERFORMANCE.md, from bench/results/load*.json (python -m bench
load) and bench/results/fairness.json (python -m bench fairness), plus bench/load_analysis.md."""
from __future__ import annotations

import json
from pathlib import Path

COLUMNS = ("run", "gunicorn", "users (LIME flood)", "s", "requests", "errors", "cached p50 / p95 ms",
           "uncached p50 / p95 ms", "LIME 20k p50 ms", "targets")


def load_runs(out_dir: Path) -> dict[str, dict]:
    """{file stem: result} of every load run, the main one (load.json) first."""
    paths = sorted(Path(out_dir).glob("load*.json"), key=lambda p: (p.stem != "load", p.stem))
    runs = {p.stem: json.loads(p.read_text()) for p in paths}
    fair = Path(out_dir) / "fairness.json"
    if fair.exists():
        runs["fairness"] = json.loads(fair.read_text())
    return runs


def _pair(e: dict) -> str:
    return "—" if not e.get("n") else f"{e['p50_ms']:.0f} / {e['p95_ms']:.0f}"


def _met(r: dict) -> str:
    t = r["targets_ms"]
    ok = (r["error_count"] == 0 and r["cached"].get("p95_ms", 0) <= t["cached"]
          and r["uncached"].get("p95_ms", 0) <= t["uncached"])
    return "met" if ok else "MISSED"


def rows(runs: dict[str, dict]) -> list[list]:
    out = []
    for name, r in runs.items():
        if name == "fairness":
            continue
        floods = r.get("flood_users", 1 if r.get("flood_user", True) else 0)
        out.append([name, f"-w {r['workers']} --threads {r['threads']}", f"{r['users']} ({floods})",
                    f"{r['seconds']:.0f}", r["requests"], r["error_count"], _pair(r["cached"]),
                    _pair(r["uncached"]), "—" if not r["flood"].get("n") else f"{r['flood']['p50_ms']:.0f}",
                    _met(r)])
    return out


def load_markdown(runs: dict[str, dict], md_table, analysis: str = "") -> list[str]:
    main = runs.get("load")
    out = ["## Load", ""]
    if main:
        out += [f"`python -m bench load` (bench/load.py): {main['users']} users as threads, each with its own "
                f"cookie session, POSTing the page's own callback requests to `gunicorn app:server` with the "
                f"{main['cache']} cache; users wait {main.get('think_s', '0.1,0.5').replace(',', '–')} s between "
                f"clicks. *cached*: a gradient map every user viewed in the warm-up; *uncached*: integrated "
                f"gradients or saliency on a sample nobody viewed yet; the flood users send LIME at 20,000 "
                f"samples back to back. Targets: 0 errors, cached p95 ≤ {main['targets_ms']['cached']} ms, "
                f"cheap uncached p95 ≤ {main['targets_ms']['uncached']} ms during the flood. Load average "
                f"after the main run: {', '.join(f'{v:.1f}' for v in main.get('load_average', ()))}.", ""]
    out += [md_table(COLUMNS, rows(runs)), ""]
    fair = runs.get("fairness")
    if fair:
        out += [f"`python -m bench fairness` (in one process, threads for clients, no result cache): an "
                f"uncached integrated-gradients map of `{fair['model']}` takes "
                f"{1000 * fair['ig_alone_s']['p50']:.1f} ms (p50 of {fair['reps']}) alone and "
                f"{1000 * fair['ig_during_flood_s']['p50']:.1f} ms (max {1000 * fair['ig_during_flood_s']['max']:.1f}) "
                f"while two clients run LIME at {fair['lime_samples']:,} samples: {fair['ratio_p50']:.1f}×.", ""]
    if analysis.strip():
        out += [analysis.strip(), ""]
    return out

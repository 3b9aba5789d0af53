"""python -m bench methods|precompute|scale|all|report|profile|latency [options]

    python -m bench all                      everything at the default sizes, the dashboard latency too when
                                             chromium is installed (~15 min on 2 quiet cores)
    python -m bench methods --image-samples 10 --reps 1
    python -m bench precompute --precompute-samples 1000
    python -m bench scale --sizes 1,10,100
    python -m bench report                   regenerate docs/PERFORMANCE.md from bench/results/*.json
    python -m bench profile --case lime      cProfile of ours and each peer on one case
    python -m bench latency --clicks 5       the dashboard in headless Chromium (bench/latency.py; its own
                                             options: python -m bench latency --help)
    python -m bench load --seconds 60        20 users and a LIME flood against gunicorn -w 2 (bench/load.py)
    python -m bench fairness                 an uncached IG map while two clients run LIME at 20,000 samples
    python -m bench scale-page               glimpse.show on 70,000 digits and 100,000 rows: first page, clicks
    python -m bench quality                  the quality panel and 'which method' table on the CNN; infidelity and
                                             max-sensitivity against Captum's (bench/quality.py)
    python -m bench robustness               FGSM and PGD-20 per digit on the CNN against Captum's (bench/robustness.py)
    python -m bench dataset-ig               IG for all 5,000 digits to 1% completeness each vs Captum's per-digit
                                             loop at its defaults (bench/dataset_ig.py; --digits N, --captum-every k)
    python -m bench all --tiny --out /tmp/b --docs /tmp/b   smallest sizes (what the smoke test runs)
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

from .config import METHOD_CASES, BenchConfig, tiny


def _ints(text: str) -> tuple[int, ...]:
    return tuple(int(v) for v in text.split(",") if v.strip())


def parse(argv=None) -> tuple[str, BenchConfig, argparse.Namespace]:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("command", choices=("methods", "precompute", "scale", "all", "report", "profile", "latency"))
    p.add_argument("--tiny", action="store_true", help="smallest sizes: a smoke run")
    p.add_argument("--out", type=Path, help="folder for the JSON results (default bench/results)")
    p.add_argument("--docs", type=Path, help="folder for PERFORMANCE.md and plots (default docs)")
    p.add_argument("--cases", help=f"comma-separated subset of {','.join(METHOD_CASES)}")
    p.add_argument("--case", default="lime", help="the case to profile")
    for flag, field, kind in (
            ("--image-samples", "image_samples", int), ("--tabular-samples", "tabular_samples", int),
            ("--slow-samples", "slow_samples", int), ("--reps", "reps", int), ("--slow-reps", "slow_reps", int),
            ("--warmup", "warmup", int), ("--agreement-samples", "agreement_samples", int),
            ("--steps", "n_steps", int), ("--smooth-samples", "smooth_samples", int),
            ("--lime-samples", "lime_samples", int), ("--shap-samples", "shap_samples", int),
            ("--batched-ppe", "batched_ppe", int), ("--precompute-samples", "precompute_samples", int),
            ("--captum-subset", "captum_subset", int), ("--scale-cap", "scale_cap_s", float),
            ("--threads", "threads", int)):
        p.add_argument(flag, dest=field, type=kind)
    p.add_argument("--sizes", type=_ints, dest="scale_sizes", help="scale: sample counts, e.g. 1,10,100,1000")
    p.add_argument("--no-plots", action="store_true")
    args = p.parse_args(argv)
    cfg = tiny() if args.tiny else BenchConfig()
    over = {k: v for k, v in vars(args).items() if k in BenchConfig.__dataclass_fields__ and v is not None}
    if args.cases:
        unknown = set(args.cases.split(",")) - set(METHOD_CASES)
        if unknown:
            p.error(f"unknown case(s) {', '.join(sorted(unknown))}; known: {', '.join(METHOD_CASES)}")
        over["cases"] = tuple(args.cases.split(","))
    if args.out:
        over["out_dir"] = args.out
    if args.docs:
        over["docs_dir"] = args.docs
    if args.no_plots:
        over["plots"] = False
    return args.command, replace(cfg, **over), args


def _save(cfg: BenchConfig, name: str, result: dict) -> Path:
    cfg.out_dir.mkdir(parents=True, exist_ok=True)
    path = cfg.out_dir / f"{name}.json"
    path.write_text(json.dumps(result, indent=1, default=str))
    return path


def run(command: str, cfg: BenchConfig, service=None, echo=print) -> dict:
    """Run one command (or all), write JSON + markdown, echo the tables; returns the results."""
    from . import report

    results = {}
    t0 = time.perf_counter()
    if command in ("methods", "all"):
        from .method_bench import run_methods

        echo("methods: ours vs Captum / lime / shap (interleaved)")
        results["methods"] = run_methods(cfg, service, echo)
        echo(f"wrote {_save(cfg, 'methods', results['methods'])}\n")
        echo(report.methods_text(results["methods"]) + "\n")
    if command in ("precompute", "all"):
        from .precompute_bench import run_precompute

        echo("precompute: IG for the whole data set vs a per-sample Captum loop")
        results["precompute"] = run_precompute(cfg, service, echo)
        echo(f"wrote {_save(cfg, 'precompute', results['precompute'])}\n")
        echo(report.precompute_text(results["precompute"]) + "\n")
    if command in ("scale", "all"):
        from .plots import scale_plots
        from .scale_bench import run_scale

        echo("scale: time vs samples and vs input size")
        results["scale"] = run_scale(cfg, service, echo)
        echo(f"wrote {_save(cfg, 'scale', results['scale'])}")
        if cfg.plots:
            for path in scale_plots(results["scale"], cfg.docs_dir):
                echo(f"wrote {path}")
        echo("\n" + report.scale_text(results["scale"]) + "\n")
    md = report.write_markdown(cfg.out_dir, cfg.docs_dir, Path(__file__).parent / "analysis.md")
    echo(f"wrote {md} ({time.perf_counter() - t0:.0f} s in all)")
    return results


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["latency"]:   # its own options; its results go into `report` like the others
        from .latency import main as latency_main

        return latency_main(argv[1:])
    if argv[:1] in (["load"], ["fairness"], ["scale-page"], ["quality"], ["robustness"], ["dataset-ig"]):   # their own options (python -m bench load --help)
        from importlib import import_module

        return import_module(f".{argv[0].replace('-', '_')}", __package__).main(argv[1:])
    command, cfg, args = parse(argv)
    if command == "profile":
        from .profile import profile_case

        print(profile_case(cfg, args.case))
        return 0
    run(command, cfg)
    if command == "all" and not args.tiny:      # the dashboard too, where a browser is installed
        import shutil

        if shutil.which("chromium") and shutil.which("chromedriver"):
            from . import report
            from .latency import main as latency_main

            print("latency: the dashboard in headless Chromium")
            latency_main(["--out", str(cfg.out_dir / "latency.json")])
            print(f"wrote {report.write_markdown(cfg.out_dir, cfg.docs_dir, Path(__file__).parent / 'analysis.md')}")
        else:
            print("latency: skipped (needs Debian's chromium and chromium-driver); python -m bench latency runs it")
    return 0


if __name__ == "__main__":
    sys.exit(main())

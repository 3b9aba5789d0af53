"""docs/perf_scale_*.png from the scale results (skipped when matplotlib is missing)."""
from __future__ import annotations

from pathlib import Path


def scale_plots(result: dict, docs_dir: Path) -> list[Path]:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    docs_dir = Path(docs_dir)
    docs_dir.mkdir(parents=True, exist_ok=True)
    paths = []

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for method, points in result["samples"].items():
        ns = [int(n) for n in points]
        secs = [points[str(n)]["seconds"] for n in ns]
        line, = ax.plot(ns, secs, marker="o", label=method)
        extra = [(n, s) for n, s in zip(ns, secs) if points[str(n)]["extrapolated"]]
        if extra:
            ax.plot(*zip(*extra), marker="o", linestyle="none", markerfacecolor="white", color=line.get_color())
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("digits explained (N)")
    ax.set_ylabel("seconds")
    ax.set_title("Time vs number of samples (hollow: extrapolated)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    paths.append(docs_dir / "perf_scale_samples.png")
    fig.savefig(paths[-1], dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(7, 4.5))
    methods = list(result["input_size"])
    xs = range(len(methods))
    for k, side in enumerate(("28", "56")):
        ax.bar([x + (k - 0.5) * 0.4 for x in xs], [result["input_size"][m][side] for m in methods], width=0.4,
               label=f"{side}×{side}")
    ax.set_xticks(list(xs))
    ax.set_xticklabels(methods, rotation=30, ha="right", fontsize=8)
    ax.set_yscale("log")
    ax.set_ylabel("ms per sample")
    ax.set_title("Time vs input size (same CNN architecture, untrained weights)")
    ax.legend()
    fig.tight_layout()
    paths.append(docs_dir / "perf_scale_input.png")
    fig.savefig(paths[-1], dpi=110)
    plt.close(fig)
    return paths

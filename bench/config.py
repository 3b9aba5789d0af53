"""Every knob of a benchmark run, with the defaults `python -m bench` uses."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
METHOD_CASES = ("saliency", "gradient_x_input", "integrated_gradients", "smoothgrad", "gradcam",
                "occlusion", "lime", "kernel_shap", "tabular_integrated_gradients", "tabular_lime",
                "tabular_kernel_shap")


@dataclass
class BenchConfig:
    image_model: str = "mnist-cnn"
    tabular_model: str = "breast-cancer-mlp"
    cases: tuple[str, ...] = METHOD_CASES
    image_samples: int = 50          # held-out digits
    tabular_samples: int = 50        # held-out rows
    slow_samples: int = 20           # of those, for LIME / KernelSHAP / occlusion (Captum's defaults are slow)
    reps: int = 3
    slow_reps: int = 1
    warmup: int = 1
    agreement_samples: int = 20      # samples that also get a second seed (seed-to-seed yardstick)
    n_steps: int = 50                # IG
    smooth_samples: int = 25         # SmoothGrad noise draws
    noise_level: float = 0.15
    lime_samples: int = 1000         # LIME perturbations (all libraries)
    shap_samples: int = 1000         # KernelSHAP coalitions (all libraries)
    patch: int = 4                   # image LIME / KernelSHAP segments: patch x patch squares
    window: int = 4                  # occlusion
    stride: int = 2
    batch_size: int = 256            # the lime package's image batch: LimeImage's default, so both batch alike
    batched_ppe: int = 250           # Captum's perturbations_per_eval when "batched"
    precompute_samples: int | None = None   # None: every digit
    precompute_models: tuple[str, ...] = ("mnist-cnn", "mnist-mlp")
    precompute_chunks: int = 10      # precompute is timed in chunks interleaved with Captum
    captum_subset: int = 200         # digits Captum's per-sample loop is timed on (then extrapolated)
    scale_sizes: tuple[int, ...] = (1, 10, 100, 1000)
    scale_cap_s: float = 20.0        # a point predicted to take longer is extrapolated, not measured
    scale_input_samples: int = 10
    threads: int | None = None       # torch.set_num_threads; None: torch's default
    out_dir: Path = field(default_factory=lambda: ROOT / "bench" / "results")
    docs_dir: Path = field(default_factory=lambda: ROOT / "docs")
    plots: bool = True

    def as_json(self) -> dict:
        d = asdict(self)
        d["out_dir"], d["docs_dir"] = str(self.out_dir), str(self.docs_dir)
        return d


def tiny(**over) -> BenchConfig:
    """Smallest sizes that still exercise every code path (the smoke test uses these)."""
    kw = dict(image_samples=2, tabular_samples=2, slow_samples=2, reps=1, slow_reps=1, warmup=0, stride=4,
              agreement_samples=1, n_steps=4, smooth_samples=3, lime_samples=40, shap_samples=40,
              precompute_samples=8, precompute_chunks=2, captum_subset=2, scale_sizes=(1, 2),
              scale_input_samples=1, scale_cap_s=5.0)
    kw.update(over)
    return BenchConfig(**kw)

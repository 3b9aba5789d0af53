"""`python -m bench scale`: time vs number of samples, and vs input size (28×28 vs 56×56)."""
from __future__ import annotations

import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from explain_core.methods.gradcam import GradCAM
from explain_core.methods.gradients import GradientXInput, IntegratedGradients, Saliency, SmoothGrad
from explain_core.methods.kernel_shap import KernelShap
from explain_core.methods.lime import LimeImage
from explain_core.methods.occlusion import Occlusion
from explain_core.models.architectures import MnistCNN

from .config import BenchConfig
from .context import make_service
from .machine import machine_info

METHODS = ("saliency", "gradient_x_input", "integrated_gradients", "smoothgrad", "gradcam", "occlusion",
           "lime", "kernel_shap")


def explainer(method: str, model: nn.Module, cfg: BenchConfig):
    """Our method with the benchmark's settings; gradient methods have attribute_batch."""
    return {
        "saliency": lambda: Saliency(model, abs=True),
        "gradient_x_input": lambda: GradientXInput(model),
        "integrated_gradients": lambda: IntegratedGradients(model, n_steps=cfg.n_steps),
        "smoothgrad": lambda: SmoothGrad(model, n_samples=cfg.smooth_samples, noise_level=cfg.noise_level),
        "gradcam": lambda: GradCAM(model, layer="conv2"),
        "occlusion": lambda: Occlusion(model, window=cfg.window, stride=cfg.stride),
        "lime": lambda: LimeImage(model, n_samples=cfg.lime_samples, patch=cfg.patch),
        "kernel_shap": lambda: KernelShap(model, n_samples=cfg.shap_samples, patch=cfg.patch),
    }[method]()


def explain_all(method, X: np.ndarray, targets: np.ndarray) -> None:
    if hasattr(method, "attribute_batch"):
        method.attribute_batch(X, targets)
    else:
        for x, t in zip(X, targets):
            method.attribute(x, int(t))


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def _predict(model, X) -> np.ndarray:
    with torch.no_grad():
        return model(torch.as_tensor(X)).argmax(1).numpy()


def vs_samples(model, X, cfg: BenchConfig, echo) -> dict:
    targets = _predict(model, X)
    out = {}
    for name in METHODS:
        m = explainer(name, model, cfg)
        explain_all(m, X[:1], targets[:1])          # warm-up
        points, per_sample = {}, None
        for n in cfg.scale_sizes:
            predicted = None if per_sample is None else per_sample * n
            if predicted is not None and predicted > cfg.scale_cap_s:
                points[str(n)] = {"seconds": predicted, "extrapolated": True}
                continue
            reps = 3 if predicted is None or predicted < 0.5 else 1
            secs = float(np.median([_timed(lambda: explain_all(m, X[:n], targets[:n])) for _ in range(reps)]))
            points[str(n)] = {"seconds": secs, "extrapolated": False}
            per_sample = secs / n
        out[name] = points
        echo(f"  {name:<22} " + "  ".join(f"N={k}: {v['seconds']:.3f}s{'*' if v['extrapolated'] else ''}"
                                           for k, v in points.items()))
    return out


def wide_cnn(side: int) -> nn.Module:
    """MnistCNN's layers for a side × side input: only fc1 grows (two 2× pools)."""
    torch.manual_seed(0)
    model = MnistCNN()
    model.fc1 = nn.Linear(32 * (side // 4) ** 2, 64)
    return model.eval()


def vs_input_size(X28: np.ndarray, cfg: BenchConfig, echo, reps: int = 3) -> dict:
    """ms per sample at 28×28 and 56×56, the two sizes alternating in `reps` rounds (median)."""
    X56 = F.interpolate(torch.as_tensor(X28), scale_factor=2, mode="bilinear", align_corners=False).numpy()
    models = {"28": wide_cnn(28), "56": wide_cnn(56)}
    inputs = {"28": X28, "56": X56}
    targets = {side: _predict(models[side], inputs[side]) for side in models}
    out = {}
    for name in METHODS:
        methods = {side: explainer(name, models[side], cfg) for side in models}
        for side, m in methods.items():
            explain_all(m, inputs[side][:1], targets[side][:1])          # warm-up
        times = {side: [] for side in models}
        for _ in range(reps):
            for side, m in methods.items():
                times[side].append(_timed(lambda: explain_all(m, inputs[side], targets[side])))
        out[name] = {side: 1000 * float(np.median(t)) / len(inputs[side]) for side, t in times.items()}
        echo(f"  {name:<22} 28x28 {out[name]['28']:8.2f} ms/sample   56x56 {out[name]['56']:8.2f} ms/sample")
    return out


def run_scale(cfg: BenchConfig, service=None, echo=print) -> dict:
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    svc = make_service(service)
    data = svc.dataset_for(cfg.image_model)
    model = svc.torch_model(cfg.image_model).eval()
    X = np.ascontiguousarray(data.X[:max(cfg.scale_sizes)], dtype=np.float32)
    start = time.perf_counter()
    samples = vs_samples(model, X, cfg, echo)
    size = vs_input_size(X[:cfg.scale_input_samples], cfg, echo)
    return {
        "kind": "scale", "created": time.strftime("%Y-%m-%d %H:%M:%S"), "machine": machine_info(),
        "config": cfg.as_json(), "model": cfg.image_model, "sizes": list(cfg.scale_sizes), "cap_s": cfg.scale_cap_s,
        "samples": samples, "input_size": size, "input_samples": int(min(len(X), cfg.scale_input_samples)),
        "input_note": ("Both CNNs have untrained (seeded) weights: fine for timing, meaningless as "
                       "explanations. Method settings are the same at both sizes, so occlusion slides "
                       "over ~4× the windows and LIME / KernelSHAP switch ~4× the patches at 56×56."),
        "wall_s": time.perf_counter() - start,
    }

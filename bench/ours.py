"""Glimpse's own methods as contenders, built the way the service builds them (default batch sizes)."""
from __future__ import annotations

import numpy as np

from explain_core.methods.gradcam import GradCAM
from explain_core.methods.gradients import GradientXInput, IntegratedGradients, Saliency, SmoothGrad
from explain_core.methods.kernel_shap import KernelShap
from explain_core.methods.lime import LimeImage, LimeTabular
from explain_core.methods.occlusion import Occlusion

from .config import BenchConfig
from .context import Bench
from .contenders import Contender, Out


def _rel_delta(r) -> float | None:
    return None if r.relative_delta is None else float(r.relative_delta)


def ours(method: str, b: Bench, cfg: BenchConfig) -> Contender:
    m, X, T = b.model, b.X, b.targets
    image = b.kind == "image"

    def run(i: int, seed: int = 0) -> Out:
        x, t = X[i], int(T[i])
        if method == "saliency":
            return Out(Saliency(m, abs=True).attribute(x, t).attribution)
        if method == "gradient_x_input":
            return Out(GradientXInput(m).attribute(x, t).attribution)
        if method == "integrated_gradients":
            r = IntegratedGradients(m, n_steps=cfg.n_steps, rule="gausslegendre", baseline=0.0).attribute(x, t)
            return Out(r.attribution, _rel_delta(r))
        if method == "smoothgrad":
            return Out(SmoothGrad(m, n_samples=cfg.smooth_samples, noise_level=cfg.noise_level, abs=True,
                                  seed=seed).attribute(x, t).attribution)
        if method == "gradcam":
            return Out(GradCAM(m, layer="conv2", relu=True).attribute(x, t).attribution)
        if method == "occlusion":
            return Out(Occlusion(m, window=cfg.window, stride=cfg.stride, fill=0.0).attribute(x, t).attribution)
        if method == "lime":
            if image:
                r = LimeImage(m, n_samples=cfg.lime_samples, segmentation="grid", patch=cfg.patch, seed=seed).attribute(x, t)
            else:
                r = LimeTabular(m, b.X_train, n_samples=cfg.lime_samples, seed=seed).attribute(x, t)
            return Out(np.asarray(r.extras["weights"]))
        if method == "kernel_shap":
            base = 0.0 if image else b.X_train.mean(axis=0).astype(np.float32)
            r = KernelShap(m, n_samples=cfg.shap_samples, seed=seed, baseline=base, patch=cfg.patch).attribute(x, t)
            return Out(np.asarray(r.extras["weights"]))
        raise ValueError(f"no benchmark for method {method!r}")

    stochastic = method in ("smoothgrad", "lime", "kernel_shap")
    return Contender("glimpse", run, stochastic=stochastic)

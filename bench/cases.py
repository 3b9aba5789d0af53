"""Which comparisons the method benchmark makes, with the issue's targets.

Targets (ours / peer median time on this machine): IG and SmoothGrad <= 0.8x Captum;
occlusion <= 0.3x Captum at its defaults; LIME and KernelSHAP <= 0.25x Captum at its
defaults and <= 1.0x the lime package / shap at equal sample counts. Captum has a
batching knob only for the perturbation methods (perturbations_per_eval); its IG and
NoiseTunnel already put every step / noise draw in one batch by default.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import torch

from explain_core.methods.gradients import ig_rule

from .config import BenchConfig
from .context import Bench
from .contenders import Case, Contender, Out
from .ours import ours
from .peers import captum, lime_package, shap_kernel


def build_case(name: str, image: Bench, tabular: Bench, cfg: BenchConfig) -> Case:
    tab = name.startswith("tabular_")
    method = name.removeprefix("tabular_")
    b = tabular if tab else image
    settings = {
        "saliency": "|gradient|",
        "gradient_x_input": "gradient x input",
        "integrated_gradients": f"{cfg.n_steps} steps, Gauss-Legendre, zero baseline",
        "smoothgrad": f"{cfg.smooth_samples} draws, sigma={cfg.noise_level}*(max-min), |mean gradient|",
        "gradcam": "layer conv2, ReLU, bilinear upsampling",
        "occlusion": f"window {cfg.window}, stride {cfg.stride}, fill 0",
        "lime": (f"{cfg.lime_samples} samples, {cfg.patch}x{cfg.patch} patches, kernel width 0.25, Ridge(1), p(target)"
                 if not tab else f"{cfg.lime_samples} samples around the row, kernel 0.75*sqrt(F), Ridge(1), p(target)"),
        "kernel_shap": (f"{cfg.shap_samples} coalitions of {cfg.patch}x{cfg.patch} patches, zero baseline, logit"
                        if not tab else f"{cfg.shap_samples} coalitions, training-mean baseline, logit"),
    }[method]
    case = Case(name, method, b.kind, settings, ours(method, b, cfg),
                agreement="rank" if method in ("smoothgrad", "lime", "kernel_shap") else "exact",
                slow=method in ("occlusion", "lime", "kernel_shap"))
    if method in ("integrated_gradients", "smoothgrad"):
        case.floor = model_floor(method, b, cfg)
    if method in ("occlusion", "lime", "kernel_shap"):
        default_target = {"occlusion": 0.3}.get(method, 0.25)
        case.peers.append(replace(captum(method, b, cfg), target=default_target))
        case.peers.append(captum(method, b, cfg, batched=True))
    else:
        target = 0.8 if method in ("integrated_gradients", "smoothgrad") else None
        case.peers.append(replace(captum(method, b, cfg), target=target))
    if method == "lime":
        case.peers.append(replace(lime_package(b, cfg), target=1.0))
    if method == "kernel_shap":
        case.peers.append(replace(shap_kernel(b, cfg), target=1.0))
    return case


def model_floor(method: str, b: Bench, cfg: BenchConfig) -> Contender:
    """One forward+backward over the rows the method must differentiate (IG: the path
    points; SmoothGrad: the noisy copies), nothing else: no library can go below this."""
    X, T = torch.as_tensor(b.X), b.targets
    if method == "integrated_gradients":
        alphas = torch.as_tensor(ig_rule("gausslegendre", cfg.n_steps)[1], dtype=torch.float32)
    gen = torch.Generator().manual_seed(0)

    def fn(i, s=0):
        x = X[i]
        view = (-1,) + (1,) * x.dim()
        if method == "integrated_gradients":
            rows = alphas.view(view) * x
        else:
            sigma = cfg.noise_level * float(x.max() - x.min())
            rows = x + sigma * torch.randn((cfg.smooth_samples,) + tuple(x.shape), generator=gen)
        rows.requires_grad_(True)
        with torch.enable_grad():
            (g,) = torch.autograd.grad(b.model(rows)[:, int(T[i])].sum(), rows)
        return Out(np.zeros(1))
    return Contender("model floor", fn)

"""The same methods in Captum, the `lime` package and `shap`, set up to compute what ours does.

Only the batching knobs differ between "default" and "batched" Captum rows; the method
settings (samples, kernel, regression, baseline, segments) are the same for every
library. LIME's regression target is the target-class probability (as in the lime
package and ours); KernelSHAP explains the target logit (as Captum does) against a
one-row baseline (zeros for images, the training mean for tables).
"""
from __future__ import annotations

import contextlib
import io

import numpy as np
import torch
from torch import nn

from explain_core.methods.segmentation import grid_segments

from .config import BenchConfig
from .context import Bench
from .contenders import Contender, Out


class _Probabilities(nn.Module):
    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x):
        return torch.softmax(self.model(x), dim=1)


def _lime_image_similarity(width: float):
    """lime's image kernel: cosine distance of the on/off vector to all-ones, sqrt(exp(-d²/w²))."""
    def similarity(_original, _perturbed, interpretable, **_kw):
        d = 1.0 - float(np.sqrt(float(interpretable.sum()) / interpretable.shape[1]))
        return float(np.sqrt(np.exp(-(d ** 2) / width ** 2)))
    return similarity


def captum(method: str, b: Bench, cfg: BenchConfig, batched: bool = False) -> Contender:
    from captum._utils.models.linear_model import SkLearnRidge
    from captum.attr import (InputXGradient, IntegratedGradients, KernelShap, LayerAttribution, LayerGradCam,
                             Lime, LimeBase, NoiseTunnel, Occlusion, Saliency)

    m, X, T = b.model, b.X, b.targets
    xs = torch.as_tensor(X)
    image = b.kind == "image"
    ppe = cfg.batched_ppe if batched else 1
    label = f"captum ppe={ppe}" if method in ("occlusion", "lime", "kernel_shap") else "captum"
    if image:
        segs = torch.as_tensor(grid_segments(X.shape[-2], X.shape[-1], cfg.patch)).view(1, 1, *X.shape[-2:])
    mean = b.X_train.mean(axis=0).astype(np.float32)

    if method == "saliency":
        sal = Saliency(m)
        fn = lambda i, s=0: Out(sal.attribute(xs[i:i + 1], target=int(T[i]), abs=True)[0].numpy())
    elif method == "gradient_x_input":
        ixg = InputXGradient(m)
        fn = lambda i, s=0: Out(ixg.attribute(xs[i:i + 1], target=int(T[i]))[0].detach().numpy())
    elif method == "integrated_gradients":
        ig = IntegratedGradients(m)

        def fn(i, s=0):
            attr, delta = ig.attribute(xs[i:i + 1], baselines=0.0, target=int(T[i]), n_steps=cfg.n_steps,
                                       method="gausslegendre", return_convergence_delta=True)
            with torch.no_grad():
                out = m(torch.stack([xs[i], torch.zeros_like(xs[i])]))[:, int(T[i])]
            return Out(attr[0].detach().numpy(), abs(float(delta)) / max(1e-12, abs(float(out[0] - out[1]))))
    elif method == "smoothgrad":
        nt = NoiseTunnel(Saliency(m))

        def fn(i, s=0):
            torch.manual_seed(s)
            sigma = cfg.noise_level * float(xs[i].max() - xs[i].min())
            a = nt.attribute(xs[i:i + 1], nt_type="smoothgrad", nt_samples=cfg.smooth_samples, stdevs=sigma,
                             target=int(T[i]), abs=False)
            return Out(a[0].abs().detach().numpy())
    elif method == "gradcam":
        gc = LayerGradCam(m, m.conv2)

        def fn(i, s=0):
            cam = gc.attribute(xs[i:i + 1], target=int(T[i]), relu_attributions=True)
            up = LayerAttribution.interpolate(cam, tuple(X.shape[-2:]), "bilinear")
            return Out(up[0].detach().numpy())
    elif method == "occlusion":
        occ = Occlusion(m)
        c = X.shape[1]
        fn = lambda i, s=0: Out(occ.attribute(xs[i:i + 1], sliding_window_shapes=(c, cfg.window, cfg.window),
                                              strides=(c, cfg.stride, cfg.stride), baselines=0.0,
                                              target=int(T[i]), perturbations_per_eval=ppe)[0].numpy())
    elif method == "lime" and image:
        lime = Lime(_Probabilities(m), interpretable_model=SkLearnRidge(alpha=1.0),
                    similarity_func=_lime_image_similarity(0.25))

        def fn(i, s=0):
            torch.manual_seed(s)
            w = lime.attribute(xs[i:i + 1], baselines=0.0, target=int(T[i]), feature_mask=segs,
                               n_samples=cfg.lime_samples, perturbations_per_eval=ppe, return_input_shape=False)
            return Out(w[0].numpy())
    elif method == "lime":
        scale = b.X_train.std(axis=0)
        scale[scale < 1e-12] = 1.0
        mean_t, scale_t = torch.as_tensor(mean), torch.as_tensor(scale.astype(np.float32))
        width = 0.75 * np.sqrt(X.shape[1])

        def perturb(original, **_kw):       # lime's sample_around_instance: x + N(0, 1) * std_train
            return original + torch.randn(original.shape) * scale_t

        def to_interp(sample, _original, **_kw):
            return (sample - mean_t) / scale_t

        def similarity(original, _perturbed, interp, **_kw):
            d = float(torch.linalg.norm(interp - (original - mean_t) / scale_t))
            return float(np.sqrt(np.exp(-(d ** 2) / width ** 2)))

        lb = LimeBase(_Probabilities(m), SkLearnRidge(alpha=1.0), similarity_func=similarity, perturb_func=perturb,
                      perturb_interpretable_space=False, from_interp_rep_transform=None,
                      to_interp_rep_transform=to_interp)

        def fn(i, s=0):
            torch.manual_seed(s)
            w = lb.attribute(xs[i:i + 1], target=int(T[i]), n_samples=cfg.lime_samples, perturbations_per_eval=ppe)
            return Out(w[0].numpy())
    elif method == "kernel_shap":
        ks = KernelShap(m)
        base = 0.0 if image else torch.as_tensor(mean)[None]
        mask = segs if image else None

        def fn(i, s=0):
            torch.manual_seed(s)
            w = ks.attribute(xs[i:i + 1], baselines=base, target=int(T[i]), feature_mask=mask,
                             n_samples=cfg.shap_samples, perturbations_per_eval=ppe, return_input_shape=False)
            return Out(w[0].numpy())
    else:
        raise ValueError(f"no Captum peer for {method!r} on {b.kind} data")
    return Contender(label, fn, stochastic=method in ("smoothgrad", "lime", "kernel_shap"),
                     settings=f"perturbations_per_eval={ppe}" if "ppe" in label else "defaults")


def lime_package(b: Bench, cfg: BenchConfig) -> Contender:
    """lime 0.2: LimeImageExplainer with our patch grid and hide_color=0, or LimeTabularExplainer
    sampling around the instance without discretisation. Image classifier batches of
    cfg.batch_size (LimeImage's default); the tabular explainer has no batching knob."""
    from lime.lime_image import LimeImageExplainer
    from lime.lime_tabular import LimeTabularExplainer
    from sklearn.utils import check_random_state

    m, X, T = b.model, b.X, b.targets
    probs = _Probabilities(m)

    if b.kind == "image":
        segments = grid_segments(X.shape[-2], X.shape[-1], cfg.patch)
        n_seg = int(segments.max()) + 1

        def classify(images):   # lime hands (n, H, W, 3) RGB copies of the grey digit
            with torch.no_grad():
                return probs(torch.as_tensor(images[..., :1].transpose(0, 3, 1, 2).astype(np.float32))).numpy()

        def fn(i, s=0):
            with contextlib.redirect_stderr(io.StringIO()):     # lime 0.2 always draws a tqdm bar
                exp = LimeImageExplainer(kernel_width=0.25, random_state=s).explain_instance(
                    X[i, 0].astype(np.float64), classify, labels=(int(T[i]),), hide_color=0, top_labels=None,
                    num_features=n_seg, num_samples=cfg.lime_samples, batch_size=cfg.batch_size,
                    segmentation_fn=lambda _img: segments)
            w = np.zeros(n_seg)
            for j, v in exp.local_exp[int(T[i])]:
                w[j] = v
            return Out(w)
    else:
        explainer = LimeTabularExplainer(b.X_train.astype(np.float64), mode="classification",
                                         discretize_continuous=False, sample_around_instance=True,
                                         feature_selection="none", random_state=0)

        def classify(rows):
            with torch.no_grad():
                return probs(torch.as_tensor(rows.astype(np.float32))).numpy()

        def fn(i, s=0):
            explainer.random_state = check_random_state(s)
            exp = explainer.explain_instance(X[i].astype(np.float64), classify, labels=(int(T[i]),),
                                             num_features=X.shape[1], num_samples=cfg.lime_samples)
            w = np.zeros(X.shape[1])
            for j, v in exp.local_exp[int(T[i])]:
                w[j] = v
            return Out(w)
    settings = f"batch_size={cfg.batch_size}" if b.kind == "image" else "all samples in one classifier call"
    return Contender("lime package", fn, stochastic=True, settings=settings)


def shap_kernel(b: Bench, cfg: BenchConfig) -> Contender:
    """shap.KernelExplainer with a one-row background (zeros / training mean), l1_reg=False."""
    import shap

    m, X, T = b.model, b.X, b.targets
    image = b.kind == "image"
    if image:
        segments = torch.as_tensor(grid_segments(X.shape[-2], X.shape[-1], cfg.patch))
        n_feat = int(segments.max()) + 1
    else:
        n_feat = X.shape[1]
        mean = b.X_train.mean(axis=0, keepdims=True).astype(np.float64)

    def fn(i, s=0):
        t = int(T[i])
        x = torch.as_tensor(X[i])

        def f(z):
            z = torch.as_tensor(np.asarray(z, dtype=np.float32))
            with torch.no_grad():
                if image:      # z: patch on/off coalitions -> images with the off patches black
                    inputs = x[None] * z[:, segments].unsqueeze(1)
                else:
                    inputs = z
                return m(inputs)[:, t].double().numpy()

        background = np.zeros((1, n_feat)) if image else mean
        point = np.ones((1, n_feat)) if image else X[i:i + 1].astype(np.float64)
        np.random.seed(s)
        phi = shap.KernelExplainer(f, background).shap_values(point, nsamples=cfg.shap_samples, l1_reg=False,
                                                              silent=True)
        return Out(np.asarray(phi).reshape(-1))
    return Contender("shap", fn, stochastic=True, settings="KernelExplainer, l1_reg=False")

"""Method names the service knows, their parameters and defaults, and how to run them.

This is the only place that maps a name from a request ('integrated_gradients') to a
class. Parameters are normalised here (defaults filled in, types coerced, ranges
checked) so that equal requests get equal cache keys.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Callable

import numpy as np

from ..errors import ParameterError, UnknownIdError
from .base import as_finite, check_param, conv_layers, shown
from .attention import no_attention
from .introspection import cannot_show


@dataclass(frozen=True)
class Param:
    name: str
    kind: type
    default: Any
    lo: float | None = None
    hi: float | None = None
    choices: tuple = ()
    image_default: Any = None   # a different default for image models, when it matters
    words: tuple = ()           # words a number may be replaced by ("auto": IG's steps chosen per sample)

    def normalise(self, value, is_image: bool):
        """The canonical value (equal requests, equal cache keys) or a ParameterError
        naming this parameter and what it allows."""
        if value is None:
            value = self.image_default if (is_image and self.image_default is not None) else self.default
        if value is None:
            return None
        if self.words:
            if isinstance(value, str) and value.strip().lower() in self.words:
                return value.strip().lower()
            if not isinstance(value, str):
                try:        # a number in range; any refusal names the words too ('auto')
                    return check_param(self.name, value, self.lo, self.hi, self.kind)
                except ParameterError:
                    pass
            raise ParameterError(f"{self.name} must be {' or '.join(map(repr, self.words))} or a whole number "
                                 f"from {self.lo:g} to {self.hi:g}, got {shown(value)}")
        if self.kind is bool:
            return _as_bool(self.name, value)
        if self.choices:
            if not isinstance(value, str) or value not in self.choices:
                raise ParameterError(f"{self.name} must be one of {', '.join(map(str, self.choices))}; "
                                     f"got {shown(value)}")
            return value
        return check_param(self.name, value, self.lo, self.hi, self.kind)


TRUE_WORDS, FALSE_WORDS = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def _as_bool(name: str, value) -> bool:
    """True/False, 1/0 and the words on/off, yes/no, true/false; nothing else."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in TRUE_WORDS + FALSE_WORDS:
        return value.strip().lower() in TRUE_WORDS
    number = as_finite(value)
    if number in (0, 1):
        return bool(number)
    raise ParameterError(f"{name} must be true or false, got {shown(value)}")


@dataclass(frozen=True)
class MethodSpec:
    name: str
    title: str
    params: tuple[Param, ...]
    per_sample: bool = True        # False: the result does not depend on the sample
    needs_target: bool = True
    kinds: tuple[str, ...] = ("image", "tabular")

    def params_for(self, kind: str, input_shape: tuple[int, ...] | None = None) -> tuple[Param, ...]:
        """The parameters that apply to a model taking inputs of `kind` and `input_shape`,
        with defaults and ranges fitted to it (see fitted_param): image-only ones are left
        out for tables, colour-only ones also for images known to have one channel (where they
        would change nothing but the cache key)."""
        image = kind == "image"
        grey = input_shape is not None and len(input_shape) == 3 and input_shape[0] == 1
        return tuple(fitted_param(self.name, p, input_shape) if image else _tabular(p) for p in self.params
                     if (image or (self.name, p.name) not in IMAGE_ONLY | COLOUR_ONLY)
                     and not (grey and (self.name, p.name) in COLOUR_ONLY))


METHODS: dict[str, MethodSpec] = {m.name: m for m in (
    MethodSpec("activations", "Layer activations", (), needs_target=False),
    MethodSpec("weights", "Filter weights", (), per_sample=False, needs_target=False),
    MethodSpec("saliency", "Saliency (vanilla gradient)", (Param("abs", bool, True),)),
    MethodSpec("gradient_x_input", "Gradient × input", ()),
    MethodSpec("integrated_gradients", "Integrated gradients", (
        Param("n_steps", int, "auto", 2, 1000, words=("auto",)),   # auto: to 1% completeness (methods/auto_ig.py)
        Param("baseline", str, "zero", choices=("zero", "mean", "channel_mean")),
        Param("rule", str, "gausslegendre", choices=("gausslegendre", "riemann_trapezoid",
                                                     "riemann_left", "riemann_right", "riemann_middle")),
    )),
    MethodSpec("smoothgrad", "SmoothGrad", (
        Param("n_samples", int, 25, 1, 500),
        Param("noise_level", float, 0.15, 0.0, 1.0),
        Param("abs", bool, True),
        Param("seed", int, 0, 0, 2**31 - 1),
        Param("noise_scale", str, "sample", choices=("sample", "channel")),
    )),
    MethodSpec("gradcam", "Grad-CAM", (
        Param("layer", str, None),
        Param("relu", bool, True),
    ), kinds=("image",)),
    MethodSpec("occlusion", "Occlusion", (
        Param("window", int, 1, 1, 28, image_default=4),
        Param("stride", int, 1, 1, 28, image_default=2),
        Param("fill", float, 0.0, -1e6, 1e6),
    )),
    MethodSpec("lime", "LIME", (
        Param("n_samples", int, 1000, 10, 20000),
        Param("kernel_width", float, None, 1e-6, 1e6),
        Param("top_k", int, 10, 1, 1000),
        Param("segmentation", str, "grid", choices=("grid", "slic")),
        Param("patch", int, 4, 2, 14),
        Param("seed", int, 0, 0, 2**31 - 1),
    )),
    MethodSpec("tree", "Distilled decision tree", (Param("max_depth", int, 4, 1, 12),), needs_target=False),
    MethodSpec("kernel_shap", "KernelSHAP", (
        Param("n_samples", int, 1000, 10, 20000),
        Param("baseline", str, "mean", choices=("zero", "mean", "channel_mean"), image_default="zero"),
        Param("segmentation", str, "grid", choices=("grid", "slic")),
        Param("patch", int, 4, 2, 14),
        Param("seed", int, 0, 0, 2**31 - 1),
    )),
    MethodSpec("gradient_shap", "GradientSHAP (expected gradients)", (
        Param("n_samples", int, 50, 1, 2000),
        Param("noise_level", float, 0.0, 0.0, 1.0),
        Param("seed", int, 0, 0, 2**31 - 1),
    )),
    # models with attention layers only (methods/attention.py); the map does not depend on the class
    MethodSpec("attention", "Attention maps (per layer and head)", (), needs_target=False, kinds=("image",)),
    MethodSpec("attention_rollout", "Attention rollout", (
        Param("head_fusion", str, "mean", choices=("mean", "max", "min")),
    ), kinds=("image",)),
)}

INTROSPECTIVE = ("activations", "weights", "gradcam")  # need hooks or named layers
ATTENTION_METHODS = ("attention", "attention_rollout")   # need attention layers
GRADIENT_METHODS = ("saliency", "gradient_x_input", "integrated_gradients", "smoothgrad", "gradcam", "occlusion",
                    "gradient_shap")
IMAGE_ONLY = {("lime", "segmentation"), ("lime", "patch"), ("kernel_shap", "segmentation"), ("kernel_shap", "patch")}
BACKGROUND_ROWS = 1000  # training rows GradientSHAP draws its baselines from, at most
STATS_ROWS = 10_000     # training rows LIME's feature scales are taken from, at most
COLOUR_ONLY = {("smoothgrad", "noise_scale")}      # a choice only where channels differ
PER_CHANNEL_CHOICES = ("channel_mean",)   # choices that need image channels (IG's baseline)
PATCH_FRACTION = 7   # occlusion windows and LIME patches default to about 1/7 of the image's side


def fitted_param(method: str, p: Param, input_shape: tuple[int, ...] | None) -> Param:
    """A parameter whose default and range depend on the image's size, fitted to C×H×W:
    occlusion's window (about a seventh of the shorter side, at least 2) and stride (half
    the window) and LIME's patch (a seventh; at most half the side), each allowed up to the
    side. For 28×28 that is the usual 4, 2 and 4. Without a shape: as declared (28×28)."""
    if input_shape is None or len(input_shape) != 3:
        return p
    side = int(min(input_shape[-2:]))
    size = max(2, round(side / PATCH_FRACTION))
    if method == "occlusion" and p.name in ("window", "stride"):
        return replace(p, image_default=size if p.name == "window" else max(1, size // 2), hi=side)
    if method in ("lime", "kernel_shap") and p.name == "patch":
        return replace(p, image_default=min(size, max(2, side // 2)), hi=max(2, side // 2))
    return p


def _tabular(p: Param) -> Param:
    return replace(p, choices=tuple(c for c in p.choices if c not in PER_CHANNEL_CHOICES)) if p.choices else p


def method_spec(name: str) -> MethodSpec:
    if not isinstance(name, str) or name not in METHODS:
        raise UnknownIdError(f"Unknown method {shown(name)}; known: {', '.join(METHODS)}")
    return METHODS[name]


def normalise_params(name: str, params: dict, kind: str, model=None,
                     input_shape: tuple[int, ...] | None = None) -> dict:
    """Defaults filled in, types coerced, unknown names rejected; image-only keys dropped
    for tabular models (and vice versa) so they do not split the cache. input_shape fits
    the size-dependent defaults and ranges to an image (MethodSpec.params_for)."""
    spec = method_spec(name)
    if name in ATTENTION_METHODS and model is not None and (why := no_attention(model)):
        raise ParameterError(why)     # before the kind: a table model has no attention either
    if kind not in spec.kinds:
        raise ParameterError(f"{spec.title} needs an image model (convolution layers)")
    known = {p.name for p in spec.params}
    unknown = set(params) - known
    if unknown:
        raise ParameterError(f"Unknown parameter(s) for {spec.title}: {', '.join(sorted(unknown))}")
    if name in INTROSPECTIVE and (why := cannot_show(name, model)):
        raise ParameterError(why)     # e.g. a TorchScript forward that hides its layers
    is_image = kind == "image"
    out = {p.name: p.normalise(params.get(p.name), is_image) for p in spec.params_for(kind, input_shape)}
    if name == "gradcam" and model is not None:
        layers = conv_layers(model)
        if not layers:
            raise ParameterError("Grad-CAM needs a model with a convolution layer")
        if out["layer"] is None:
            out["layer"] = layers[-1]
        elif out["layer"] not in layers:
            raise ParameterError(f"Unknown convolution layer {out['layer']!r}; choose one of {', '.join(layers)}")
    if out.get("n_steps") == "auto" and "rule" in out:
        out["rule"] = "gausslegendre"     # 'auto' uses its own nested rule: one cache entry, not one per rule
    return out


# ------------------------------------------------------------------------------ runners
# Each runner: (module, data, x (input_shape numpy), target, params) -> result.
def _run_activations(module, data, x, target, p):
    from .activations import LayerActivations
    return LayerActivations(module).explain(x)


def _run_weights(module, data, x, target, p):
    from .weights import FilterWeights
    image = data.kind == "image"
    return FilterWeights(module, feature_names=() if image else data.feature_names,
                         image_shape=data.input_shape if image else None).explain()


def _run_saliency(module, data, x, target, p):
    from .gradients import Saliency
    return Saliency(module, abs=p["abs"]).attribute(x, target=target)


def _run_gxi(module, data, x, target, p):
    from .gradients import GradientXInput
    return GradientXInput(module).attribute(x, target=target)


def _baseline(data, which: str) -> np.ndarray | float:
    """zero; mean: the mean training sample; channel_mean: each channel's mean training value
    over all its pixels (an image of flat colour)."""
    if which == "channel_mean":
        X = data.X_train
        means = X.mean(axis=tuple(k for k in range(X.ndim) if k != 1), dtype=np.float64)
        return np.broadcast_to(means.reshape((-1,) + (1,) * (X.ndim - 2)), X.shape[1:]).astype(np.float32)
    return data.train_mean.copy() if which == "mean" else 0.0     # computed once per data set


def _run_ig(module, data, x, target, p):
    from .gradients import IntegratedGradients
    if p["n_steps"] == "auto":
        from .auto_ig import AutoIntegratedGradients
        return AutoIntegratedGradients(module, baseline=_baseline(data, p["baseline"])).attribute(x, target=target)
    return IntegratedGradients(module, n_steps=p["n_steps"], rule=p["rule"],
                               baseline=_baseline(data, p["baseline"])).attribute(x, target=target)


def _run_smoothgrad(module, data, x, target, p):
    from .gradients import SmoothGrad
    return SmoothGrad(module, n_samples=p["n_samples"], noise_level=p["noise_level"], abs=p["abs"], seed=p["seed"],
                      noise_scale=p.get("noise_scale", "sample")).attribute(x, target=target)


def _run_gradcam(module, data, x, target, p):
    from .gradcam import GradCAM
    return GradCAM(module, layer=p["layer"], relu=p["relu"]).attribute(x, target=target)


def _run_occlusion(module, data, x, target, p):
    from .occlusion import Occlusion
    return Occlusion(module, window=p["window"], stride=p["stride"], fill=p["fill"]).attribute(x, target=target)


def _run_lime(module, data, x, target, p):
    from ..models.heads import head_of
    link = head_of(module).link     # what the surrogate fits: a class probability or the predicted value
    if data.kind == "image":
        from .lime import LimeImage
        return LimeImage(module, n_samples=p["n_samples"], kernel_width=p["kernel_width"],
                         segmentation=p["segmentation"], patch=p["patch"], top_k=p["top_k"],
                         seed=p["seed"], link=link).attribute(x, target=target)
    from .lime import LimeTabular
    # the feature scales from at most STATS_ROWS training rows: 100,000 rows say no more
    return LimeTabular(module, data.X[data.subsample("train", STATS_ROWS)], feature_names=data.feature_names,
                       n_samples=p["n_samples"], kernel_width=p["kernel_width"], top_k=p["top_k"], seed=p["seed"],
                       link=link).attribute(x, target=target)


def _run_kernel_shap(module, data, x, target, p):
    from .kernel_shap import KernelShap
    extra = dict(segmentation=p["segmentation"], patch=p["patch"]) if data.kind == "image" else {}
    result = KernelShap(module, n_samples=p["n_samples"], seed=p["seed"], baseline=_baseline(data, p["baseline"]),
                        **extra).attribute(x, target=target)
    return replace(result, params={**result.params, "baseline": p["baseline"]})   # its name, not 'array'


def _run_gradient_shap(module, data, x, target, p):
    """Baselines: a fixed draw of at most BACKGROUND_ROWS training rows; noise σ relative to
    the sample's value range, as SmoothGrad's."""
    from .gradient_shap import GradientShap
    xs = np.asarray(x, dtype=np.float32)
    stdev = p["noise_level"] * float(xs.max() - xs.min())
    return GradientShap(module, data.X[data.subsample("train", BACKGROUND_ROWS)], n_samples=p["n_samples"],
                        stdev=stdev, seed=p["seed"]).attribute(x, target=target)


def _run_attention(module, data, x, target, p):
    from .attention import AttentionWeights
    return AttentionWeights(module).explain(x)


def _run_rollout(module, data, x, target, p):
    from .attention import AttentionRollout
    return AttentionRollout(module, head_fusion=p["head_fusion"]).attribute(x, target=target)


RUNNERS: dict[str, Callable] = {
    "activations": _run_activations, "weights": _run_weights, "saliency": _run_saliency,
    "gradient_x_input": _run_gxi, "integrated_gradients": _run_ig, "smoothgrad": _run_smoothgrad,
    "gradcam": _run_gradcam, "occlusion": _run_occlusion, "lime": _run_lime,
    "kernel_shap": _run_kernel_shap, "gradient_shap": _run_gradient_shap,
    "attention": _run_attention, "attention_rollout": _run_rollout,
}

"""Method names the service knows, their parameters and defaults, and how to run them.

This is the only place that maps a name from a request ('integrated_gradients') to a
class. Parameters are normalised here (defaults filled in, types coerced, ranges
checked) so that equal requests get equal cache keys.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from ..errors import ParameterError, UnknownIdError
from .base import as_finite, check_param, conv_layers, shown
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

    def normalise(self, value, is_image: bool):
        """The canonical value (equal requests, equal cache keys) or a ParameterError
        naming this parameter and what it allows."""
        if value is None:
            value = self.image_default if (is_image and self.image_default is not None) else self.default
        if value is None:
            return None
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


METHODS: dict[str, MethodSpec] = {m.name: m for m in (
    MethodSpec("activations", "Layer activations", (), needs_target=False),
    MethodSpec("weights", "Filter weights", (), per_sample=False, needs_target=False),
    MethodSpec("saliency", "Saliency (vanilla gradient)", (Param("abs", bool, True),)),
    MethodSpec("gradient_x_input", "Gradient × input", ()),
    MethodSpec("integrated_gradients", "Integrated gradients", (
        Param("n_steps", int, 50, 2, 1000),
        Param("baseline", str, "zero", choices=("zero", "mean")),
        Param("rule", str, "gausslegendre", choices=("gausslegendre", "riemann_trapezoid",
                                                     "riemann_left", "riemann_right", "riemann_middle")),
    )),
    MethodSpec("smoothgrad", "SmoothGrad", (
        Param("n_samples", int, 25, 1, 500),
        Param("noise_level", float, 0.15, 0.0, 1.0),
        Param("abs", bool, True),
        Param("seed", int, 0, 0, 2**31 - 1),
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
)}

INTROSPECTIVE = ("activations", "weights", "gradcam")  # need hooks or named layers
GRADIENT_METHODS = ("saliency", "gradient_x_input", "integrated_gradients", "smoothgrad", "gradcam", "occlusion")


def method_spec(name: str) -> MethodSpec:
    if not isinstance(name, str) or name not in METHODS:
        raise UnknownIdError(f"Unknown method {shown(name)}; known: {', '.join(METHODS)}")
    return METHODS[name]


def normalise_params(name: str, params: dict, kind: str, model=None) -> dict:
    """Defaults filled in, types coerced, unknown names rejected; image-only keys dropped
    for tabular models (and vice versa) so they do not split the cache."""
    spec = method_spec(name)
    if kind not in spec.kinds:
        raise ParameterError(f"{spec.title} needs an image model (convolution layers)")
    known = {p.name for p in spec.params}
    unknown = set(params) - known
    if unknown:
        raise ParameterError(f"Unknown parameter(s) for {spec.title}: {', '.join(sorted(unknown))}")
    if name in INTROSPECTIVE and (why := cannot_show(name, model)):
        raise ParameterError(why)     # e.g. a TorchScript forward that hides its layers
    is_image = kind == "image"
    out = {p.name: p.normalise(params.get(p.name), is_image) for p in spec.params}
    if name == "lime" and not is_image:
        out.pop("segmentation"), out.pop("patch")
    if name == "gradcam" and model is not None:
        layers = conv_layers(model)
        if not layers:
            raise ParameterError("Grad-CAM needs a model with a convolution layer")
        if out["layer"] is None:
            out["layer"] = layers[-1]
        elif out["layer"] not in layers:
            raise ParameterError(f"Unknown convolution layer {out['layer']!r}; choose one of {', '.join(layers)}")
    return out


# ------------------------------------------------------------------------------ runners
# Each runner: (module, data, x (input_shape numpy), target, params) -> result.
def _run_activations(module, data, x, target, p):
    from .activations import LayerActivations
    return LayerActivations(module).explain(x)


def _run_weights(module, data, x, target, p):
    from .weights import FilterWeights
    return FilterWeights(module, feature_names=data.feature_names if data.kind == "tabular" else ()).explain()


def _run_saliency(module, data, x, target, p):
    from .gradients import Saliency
    return Saliency(module, abs=p["abs"]).attribute(x, target=target)


def _run_gxi(module, data, x, target, p):
    from .gradients import GradientXInput
    return GradientXInput(module).attribute(x, target=target)


def _baseline(data, which: str) -> np.ndarray | float:
    return data.X_train.mean(axis=0).astype(np.float32) if which == "mean" else 0.0


def _run_ig(module, data, x, target, p):
    from .gradients import IntegratedGradients
    return IntegratedGradients(module, n_steps=p["n_steps"], rule=p["rule"],
                               baseline=_baseline(data, p["baseline"])).attribute(x, target=target)


def _run_smoothgrad(module, data, x, target, p):
    from .gradients import SmoothGrad
    return SmoothGrad(module, n_samples=p["n_samples"], noise_level=p["noise_level"],
                      abs=p["abs"], seed=p["seed"]).attribute(x, target=target)


def _run_gradcam(module, data, x, target, p):
    from .gradcam import GradCAM
    return GradCAM(module, layer=p["layer"], relu=p["relu"]).attribute(x, target=target)


def _run_occlusion(module, data, x, target, p):
    from .occlusion import Occlusion
    return Occlusion(module, window=p["window"], stride=p["stride"], fill=p["fill"]).attribute(x, target=target)


def _run_lime(module, data, x, target, p):
    if data.kind == "image":
        from .lime import LimeImage
        return LimeImage(module, n_samples=p["n_samples"], kernel_width=p["kernel_width"],
                         segmentation=p["segmentation"], patch=p["patch"], top_k=p["top_k"],
                         seed=p["seed"]).attribute(x, target=target)
    from .lime import LimeTabular
    return LimeTabular(module, data.X_train, feature_names=data.feature_names, n_samples=p["n_samples"],
                       kernel_width=p["kernel_width"], top_k=p["top_k"], seed=p["seed"]).attribute(x, target=target)


RUNNERS: dict[str, Callable] = {
    "activations": _run_activations, "weights": _run_weights, "saliency": _run_saliency,
    "gradient_x_input": _run_gxi, "integrated_gradients": _run_ig, "smoothgrad": _run_smoothgrad,
    "gradcam": _run_gradcam, "occlusion": _run_occlusion, "lime": _run_lime,
}

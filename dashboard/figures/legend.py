"""What an attribution figure's colours and numbers mean, for the method and settings shown
and the values actually drawn: a caption never speaks of blue when nothing is negative,
and always names the unit the numbers are in."""
from __future__ import annotations

import numpy as np

CLASS_SCORE = "the class score (logit)"     # what the maps of a multi-class model explain (heads.score_words)
MAGNITUDE = "Reds"                           # white → dark red: the positive half of the diverging scale


def magnitude_only(method: str, params: dict) -> bool:
    """Whether a method's values have no direction (|gradient|, Grad-CAM after its ReLU)."""
    params = params or {}
    if method in ("saliency", "smoothgrad"):
        return bool(params.get("abs", True))
    if method == "attention_rollout":
        return True                      # shares of attention: never negative
    return method == "gradcam" and bool(params.get("relu", True))


def signs(values) -> tuple[bool, bool]:
    """(any positive, any negative) among the finite values."""
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    return bool((v > 0).any()), bool((v < 0).any())


def colour_reading(method: str, params: dict, values, score: str = CLASS_SCORE, bars: bool = False) -> str:
    """The colour key: what red (and blue, when there is any) means for these values."""
    if magnitude_only(method, params):
        if method == "attention_rollout":
            return ("darker red = more of the class token's attention, rolled out over the layers, comes from this "
                    "patch (the same map for every class: attention, not attribution)")
        if method == "gradcam":
            what = "bar length" if bars else "darker red"
            return f"{what} = a more important region for {score} (Grad-CAM keeps positive evidence only)"
        if bars:
            return "bar length = how strongly the feature moves the score, either way (absolute values: no direction)"
        return "darker red = moves the score more, either way (absolute values: no direction)"
    pos, neg = signs(values)
    if pos and neg:
        return f"red raises {score}, blue lowers it"
    if pos:
        return f"all red: every value raises {score}, none lowers it"
    if neg:
        return f"all blue: every value lowers {score}, none raises it"
    return f"every value is 0: nothing here moves {score}"


def unit(method: str, params: dict, score: str = CLASS_SCORE) -> str:
    """What one number means, in words: the unit of the attribution."""
    params = params or {}
    absolute = magnitude_only(method, params)
    size = "size of the " if absolute else ""
    if method == "saliency":
        return f"unit: {size}change in {score} per unit of input (the gradient)"
    if method == "smoothgrad":
        return f"unit: {size}change in {score} per unit of input, averaged over noisy copies"
    if method == "gradient_x_input":
        return f"unit: gradient × input value, a first-order share of {score}"
    if method == "integrated_gradients":
        return f"unit: share of the change in {score} from the baseline to this sample (they add up to it)"
    if method == "gradcam":
        return "unit: relative importance (a layer's weighted activations, no unit)"
    if method == "occlusion":
        return f"unit: drop in {score} when this part is hidden"
    if method == "attention_rollout":
        return "unit: share of the class token's attention per pixel (its patch's share ÷ the patch's pixels)"
    return f"unit: {score}"

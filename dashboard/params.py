"""Controls for a method's parameters, built from its MethodSpec (service.methods()), and
the way back from control values to explain() keyword arguments."""
from __future__ import annotations

from dash import dcc, html

from . import ids

LABELS = {
    "abs": "absolute values", "n_steps": "steps", "baseline": "baseline", "rule": "rule (with a number of steps)",
    "n_samples": "samples", "noise_level": "noise (σ, fraction of input range)", "seed": "random seed",
    "layer": "layer", "relu": "positive evidence only (ReLU)", "window": "window", "stride": "stride",
    "fill": "fill value", "kernel_width": "kernel width", "top_k": "features listed",
    "segmentation": "segments", "patch": "patch size", "noise_scale": "noise relative to",
}
CHOICE_LABELS = {
    "zero": "zero", "mean": "training mean", "channel_mean": "training mean per channel",
    "sample": "the sample's range", "channel": "each channel's range", "gausslegendre": "Gauss–Legendre",
    "riemann_trapezoid": "trapezoid", "riemann_left": "left sum", "riemann_right": "right sum",
    "riemann_middle": "midpoint", "grid": "square patches", "slic": "superpixels (SLIC)",
}
HELP = {
    "abs": "Show |gradient| (how much) instead of the signed gradient (which way).",
    "n_steps": "auto: as many points on the path from the baseline to the input as this sample needs for its "
               "attributions to add up to the score's change within 1% (at most 1,023), on a nested rule; or a "
               "number of points (with the rule below): more steps, smaller completeness delta.",
    "baseline": "zero: a black image / all-zero row; mean: the average training sample; per channel: an image "
                "of flat colour, each channel at its mean training value.",
    "noise_scale": "σ relative to the whole sample's value range, or to each colour channel's own range.",
    "rule": "How the path integral is approximated with a number of steps; Gauss–Legendre needs the fewest. "
            "With steps 'auto' the points follow a nested rule (Fejér's second) and this one is not used.",
    "noise_level": "Standard deviation of the Gaussian noise, relative to the input's value range.",
    "layer": "The convolution layer whose feature maps Grad-CAM weighs.",
    "window": "Side of the square (pixels, up to the image's side) or number of features hidden at a time.",
    "stride": "How far the window moves each step.",
    "fill": "The value hidden inputs are replaced with.",
    "kernel_width": "Width of the proximity kernel; empty = the default (0.25 for images, 0.75·√features for tables).",
    "n_samples": "Number of perturbed samples the method runs through the model.",
}


def default_of(p, image: bool):
    return p.image_default if (image and p.image_default is not None) else p.default


def allowed(p) -> str:
    """' (from 2 to 1000)': a number's range in its control's tooltip."""
    if p.kind not in (int, float) or p.choices or (p.lo is None and p.hi is None):
        return ""
    whole = "a whole number " if p.kind is int else ""
    lo, hi = (f"{v:g}" if v is not None else None for v in (p.lo, p.hi))
    return f" ({whole}from {lo} to {hi})" if lo and hi else f" ({whole}{'at least ' + lo if lo else 'at most ' + hi})"


def param_controls(slot: str, spec, info, only: tuple[str, ...] | None = None) -> list:
    """One labelled control per parameter; ids {"type": PARAM, "slot", "method", "name"}."""
    image = info.kind == "image"
    out = []
    for p in spec.params_for(info.kind, info.input_shape):   # defaults and ranges fitted to the image size
        if only is not None and p.name not in only:
            continue
        pid = {"type": ids.PARAM, "slot": slot, "method": spec.name, "name": p.name}
        out.append(html.Label([LABELS.get(p.name, p.name), _control(pid, p, spec, info, default_of(p, image))],
                              className="param", title=HELP.get(p.name, "") + allowed(p)))
    return out


def _control(pid, p, spec, info, default):
    if p.kind is bool:
        return dcc.Checklist(id=pid, options=[{"label": "on", "value": "on"}], value=["on"] if default else [],
                             className="param-check")
    if spec.name == "gradcam" and p.name == "layer":
        layers = list(info.conv_layers)
        return dcc.Dropdown(id=pid, options=layers, value=layers[-1] if layers else None, clearable=False,
                            searchable=False)
    if p.words:         # a word or a number (IG's steps: "auto" or 64): a text field
        return dcc.Input(id=pid, type="text", value=default, debounce=True, placeholder=" or ".join(p.words),
                         className="param-number param-word")
    if p.choices:
        options = [{"label": CHOICE_LABELS.get(c, str(c)), "value": c} for c in p.choices]
        return dcc.Dropdown(id=pid, options=options, value=default, clearable=False, searchable=False)
    # no min/max/step on the field: the browser would turn a value outside them into an empty
    # field, which reads as "the default" and computes silently; the engine checks the value
    # and the page says what is wrong with it (check_param)
    return dcc.Input(id=pid, type="number", value=default, step="any", debounce=True, placeholder="default",
                     className="param-number")


def collect_params(spec, control_ids, values) -> dict:
    """explain() keyword arguments from the controls of `spec` (controls of other methods,
    still on the page for a moment after a switch, are ignored; empty fields mean default)."""
    by_name = {p.name: p for p in spec.params}
    out = {}
    for cid, value in zip(control_ids or (), values or ()):
        if cid.get("method") != spec.name or cid.get("name") not in by_name:
            continue
        p = by_name[cid["name"]]
        if p.kind is bool:
            out[p.name] = bool(value)
        elif p.words and isinstance(value, str) and value.strip():
            out[p.name] = word_or_number(value)
        elif value is not None and value != "":
            out[p.name] = value
    return out


def word_or_number(text: str):
    """What a word-or-number field holds: the number typed ("64" -> 64, "64.5" -> 64.5) or the
    text as it is (a word such as "auto", or something the engine then names as wrong)."""
    t = text.strip()
    try:
        v = float(t)
    except ValueError:
        return t
    return int(v) if v.is_integer() and abs(v) < 2 ** 53 else v

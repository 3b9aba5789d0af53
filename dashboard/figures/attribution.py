"""An attribution map: over the image (grey or RGB, any size), ranked signed bars for tables."""
from __future__ import annotations

import textwrap

import numpy as np
import plotly.graph_objects as go

from .common import (DIVERGING, METHOD_TITLES, NEGATIVE, POSITIVE, class_name, colorbar_trace, colorize, image_axes,
                     image_trace, labels_trace, layout, pixels_uri, symmetric_range, value_scale)
from .images import CHANNEL_NAMES, CONTEXT_SIDE, context_trace, image_uri, is_colour, pixel_hover, shrink
from .legend import CLASS_SCORE, MAGNITUDE, colour_reading, magnitude_only, unit

TOP_FEATURES = 20


def attribution_figure(result, feature_names: tuple = (), title: str | None = None, class_names: tuple = (),
                       overlay: bool = True, per_channel: bool = False, order=None,
                       score: str = CLASS_SCORE) -> go.Figure:
    """`result` is an Attribution. Images: the map over the image (overlay=False: the map
    alone), diverging ±max|a| for a signed method (whatever signs this map has), white→red
    0..max for a magnitude (|gradient|, Grad-CAM): the same reds mean the same thing beside
    each other; the channels of an RGB map add up, or with per_channel=True each gets its own
    panel. Tables: the TOP_FEATURES largest |attribution| as signed bars, largest at the top
    (or in `order`, feature indices: one shared order for panes side by side), each labelled
    with the row's own value. The subtitle says what the colours and the numbers mean for
    these values (legend.py); `score` names what is explained."""
    a = np.asarray(result.attribution, dtype=np.float32)
    heading = title or (f"{METHOD_TITLES.get(result.method, result.method)} for class "
                        f"{class_name(class_names, int(result.target))}")
    inputs = np.asarray(result.inputs, dtype=np.float32)
    params = dict(getattr(result, "params", {}) or {})
    scale = MAGNITUDE if magnitude_only(result.method, params) else DIVERGING
    # wrapped: side by side a figure is half as wide, and plotly does not wrap a subtitle
    key = ["<br>".join(textwrap.wrap(line, 70)) for line in
           (colour_reading(result.method, params, a, score, bars=a.ndim < 2), unit(result.method, params, score))]
    if a.ndim >= 2:
        notes = _notes(result)
        if per_channel and a.ndim == 3 and a.shape[0] > 1:
            if not shared_channels(a):
                return channel_attribution_figure(a, inputs, heading, notes, key, scale)
            notes.append("one value per pixel (all channels share it)")
        return image_attribution_figure(a, inputs, heading, notes, overlay, key, scale)
    return bar_attribution_figure(a, inputs.reshape(-1), _names(feature_names, result, a.size), heading,
                                  _notes(result), order=order, key=key)


def roomy(lay: dict, sub: str) -> dict:
    """A few more pixels above the plot per subtitle line: plotly sets a subtitle of four or
    five lines lower than 18 px a line allows for, over the top of an image."""
    lay["margin"]["t"] += 5 * (1 + sub.count("<br>"))
    return lay


def feature_order(a, top: int = TOP_FEATURES) -> np.ndarray:
    """The features a bar figure shows, largest |attribution| first."""
    return np.argsort(-np.abs(np.asarray(a, dtype=np.float64)), kind="stable")[:top]


def _names(feature_names, result, n: int) -> tuple[str, ...]:
    for names in (feature_names, result.extras.get("feature_names", ())):
        if names is not None and len(names) == n:
            return tuple(str(s) for s in names)
    return tuple(f"feature {i}" for i in range(n))


def _notes(result) -> list[str]:
    """What the subtitle adds about the method's settings. IG's completeness check is not
    among them: the page prints it in full under the map (dashboard/tabs/gradients.py), and
    twice with two roundings read as two different numbers."""
    notes, ex = [], result.extras
    if result.method == "gradcam" and "cam" in ex:
        h, w = np.shape(ex["cam"])
        notes.append(f"from layer {ex.get('layer', '?')} ({h}×{w} map, upsampled)")
    if result.method == "occlusion" and "window" in ex:
        notes.append(f"window {ex['window']}, stride {ex.get('stride', '?')}")
    return notes


def _overlay_pixels(A: np.ndarray, scale: str, zmin: float, zmax: float, overlay: bool) -> np.ndarray:
    """RGBA map; over the digit, opacity grows with |a| so that zero is see-through."""
    px = colorize(A, scale, zmin, zmax)
    if overlay:
        strength = np.abs(A) / zmax if zmin < 0 else np.clip(A / zmax, 0, 1)
        px[..., 3] = np.rint(255 * np.clip(strength, 0, 1) ** 0.7).astype(np.uint8)
    return px


def shared_channels(a: np.ndarray) -> bool:
    """Whether every channel of a C×H×W map holds the same values (Grad-CAM, occlusion and
    LIME give one value per pixel, copied to each channel)."""
    return a.ndim == 3 and bool(np.array_equal(a, np.broadcast_to(a[:1], a.shape)))


def pixel_map(a: np.ndarray) -> np.ndarray:
    """One value per pixel: the channels of a C×H×W map add up (the usual convention), but a
    map whose channels are copies of one another is that one channel, not C times it."""
    if a.ndim != 3:
        return a
    return a[0] if shared_channels(a) else a.sum(axis=0)


def _gap(width: int) -> int:
    return max(1, width // 8)


def fixed_scale(values, scale: str | None) -> tuple[str, float, float]:
    """(scale, zmin, zmax): DIVERGING symmetric, or `scale` from 0 to max (a magnitude);
    None: chosen from the values' signs (value_scale)."""
    if scale is None:
        return value_scale(values)
    if scale == DIVERGING:
        return (DIVERGING, *symmetric_range(values))
    top = float(np.nanmax(values)) if np.size(values) and np.isfinite(values).any() else 0.0
    return scale, 0.0, top if top > 0 else 1.0


def image_layers(a: np.ndarray, inputs: np.ndarray, overlay: bool = True,
                 scale: str | None = None) -> tuple[list, str, dict]:
    """The image, the coloured map over it, hover values and the colour bar -> (traces, scale
    used, axes). A grey image is drawn as ink on white under the map; an RGB image faded
    under the map and, left of it, as it is."""
    A = pixel_map(a)
    img = inputs.mean(axis=0) if inputs.ndim == 3 else inputs.reshape(A.shape)
    scale, zmin, zmax = fixed_scale(A, scale)
    traces = [
        context_trace(inputs, fade=0.6 if overlay else 0.9, depth=120 if overlay else 215),
        image_trace(pixels_uri(_overlay_pixels(A, scale, zmin, zmax, overlay)), name="attribution"),
        pixel_hover(A, img, "attribution", zmin, zmax),
        colorbar_trace(scale, zmin, zmax, "attribution"),
    ]
    axes = image_axes(*A.shape)
    if is_colour(inputs):
        x0 = -(A.shape[1] + _gap(A.shape[1]))
        traces.insert(0, image_trace(image_uri(inputs), name="input (RGB)", x0=x0))
        axes["xaxis"]["range"] = [x0 - 0.5, A.shape[1] - 0.5]
    return traces, scale, axes


def _shown_over(inputs: np.ndarray, overlay: bool) -> str:
    if not overlay:
        return "shown alone"
    return "left: the input; right: over it (faded)" if is_colour(inputs) else "shown over the image (grey)"


def image_attribution_figure(a: np.ndarray, inputs: np.ndarray, heading: str, notes=(),
                             overlay: bool = True, key=(), scale: str | None = None) -> go.Figure:
    traces, scale, axes = image_layers(a, inputs, overlay, scale)
    # one line per part: side by side, a map is half as wide and one long line was cut off
    channels = "channels summed; " if a.ndim == 3 and a.shape[0] > 1 and not shared_channels(a) else ""
    sub = "<br>".join([*key, channels + _shown_over(inputs, overlay) + (f"; {'; '.join(notes)}" if notes else "")])
    return go.Figure(traces, roomy(layout(heading, sub, height=460 + 6 * sub.count('<br>'), **axes), sub))


def channel_attribution_figure(a: np.ndarray, inputs: np.ndarray, heading: str, notes=(), key=(),
                               scale: str | None = None) -> go.Figure:
    """The input, then one panel per channel: that channel's map over that channel's values
    (grey), all on one colour scale."""
    C, H, W = a.shape
    names = CHANNEL_NAMES.get(C, tuple(f"channel {k}" for k in range(C)))
    scale, zmin, zmax = fixed_scale(a, scale)
    step = W + _gap(W)
    traces = [image_trace(image_uri(inputs), name="input (RGB)", x0=-step)]
    f = int(np.ceil(max(H, W) / CONTEXT_SIDE))          # a quarter-width panel: big maps at half size
    for k in range(C):
        traces += [context_trace(inputs[k], fade=0, depth=120, name=f"{names[k]} channel", x0=k * step),
                   dict(image_trace(pixels_uri(_overlay_pixels(shrink(a[k], CONTEXT_SIDE), scale, zmin, zmax, True)),
                                    name=f"{names[k]} attribution", x0=k * step + (f - 1) / 2, y0=(f - 1) / 2),
                        dx=f, dy=f),
                   pixel_hover(a[k], inputs[k], f"{names[k]} attribution", zmin, zmax, x0=k * step,
                               name=f"{names[k]} values")]
    centres = [k * step + (W - 1) / 2 for k in range(-1, C)]
    traces += [labels_trace(centres, [-0.5] * (C + 1), ["input", *names], ["#444"] * (C + 1), "panel labels",
                            position="top center"),
               colorbar_trace(scale, zmin, zmax, "attribution")]
    sub = "<br>".join([*key, "per channel, over each channel's values" + (f"; {'; '.join(notes)}" if notes
                                                                            else "")])
    axes = image_axes(H, C * step + step)
    axes["xaxis"]["range"] = [-step - 0.5, C * step - _gap(W) - 0.5]
    return go.Figure(traces, roomy(layout(heading, sub, height=420, **axes), sub))


def value_text(v) -> str:
    """A feature's value as a bar's label: '17.3', '0.0013', '1.2e+04'."""
    v = float(v)
    return f"{v:.3g}" if np.isfinite(v) else "–"


def bar_attribution_figure(a: np.ndarray, values: np.ndarray, names, heading: str, notes=(),
                           top: int = TOP_FEATURES, order=None, key=()) -> go.Figure:
    shared = order is not None
    order = feature_order(a, top) if order is None else np.asarray(order, dtype=np.intp)
    has_values = len(values) == len(a)
    # each row names the feature and this row's value of it: "worst radius = 17.3"
    labels = [f"{names[i]} = {value_text(values[i])}" if has_values else names[i] for i in order]
    bars = dict(type="bar", x=a[order], y=labels, orientation="h", name="attribution",
                marker=dict(color=[POSITIVE if a[i] >= 0 else NEGATIVE for i in order]),
                customdata=values[order] if has_values else None,
                hovertemplate="%{y}<br>attribution %{x:.4g}"
                              + ("<br>feature value %{customdata:.4g}" if has_values else "") + "<extra></extra>")
    shown = (f"top {len(order)} of {len(a)} features" if len(a) > len(order) else f"all {len(a)} features")
    rank = "in the first map's order" if shared else "by |attribution|"
    sub = "<br>".join([f"{shown} {rank}, with this row's values", *key, *notes])
    return go.Figure([bars], roomy(layout(heading, sub, height=int(np.clip(130 + 24 * len(order), 260, 640)),
                                    yaxis=dict(autorange="reversed", type="category"),
                                    xaxis=dict(title=dict(text="attribution"), zeroline=True, zerolinewidth=1.5)), sub))

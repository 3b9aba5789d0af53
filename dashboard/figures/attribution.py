"""An attribution map: over the digit for images, ranked signed bars for tables."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .common import (DIVERGING, METHOD_TITLES, NEGATIVE, POSITIVE, class_name, colorbar_trace, colorize, grey_uri,
                     hover_trace, image_axes, image_trace, layout, pixels_uri, value_scale)

TOP_FEATURES = 20
TOWARDS = "red pushes towards the class, blue away"


def attribution_figure(result, feature_names: tuple = (), title: str | None = None, class_names: tuple = (),
                       overlay: bool = True) -> go.Figure:
    """`result` is an Attribution. Images: the map over the grey digit (overlay=False: the map
    alone), diverging ±max|a| for signed maps, sequential 0..max for magnitudes. Tables: the
    TOP_FEATURES largest |attribution| as signed bars, largest at the top."""
    a = np.asarray(result.attribution, dtype=np.float32)
    heading = title or (f"{METHOD_TITLES.get(result.method, result.method)} for class "
                        f"{class_name(class_names, int(result.target))}")
    inputs = np.asarray(result.inputs, dtype=np.float32)
    if a.ndim >= 2:
        return image_attribution_figure(a, inputs, heading, _notes(result), overlay)
    return bar_attribution_figure(a, inputs.reshape(-1), _names(feature_names, result, a.size), heading,
                                  _notes(result))


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
        strength = np.abs(A) / zmax if scale == DIVERGING else np.clip(A / zmax, 0, 1)
        px[..., 3] = np.rint(255 * np.clip(strength, 0, 1) ** 0.7).astype(np.uint8)
    return px


def image_layers(a: np.ndarray, inputs: np.ndarray, overlay: bool = True) -> tuple[list, str, tuple[int, int]]:
    """The grey digit, the coloured map over it, hover values and the colour bar -> (traces,
    scale used, (H, W)). Channels of a multi-channel map add up (the usual convention)."""
    A = a.sum(axis=0) if a.ndim == 3 else a
    img = inputs.mean(axis=0) if inputs.ndim == 3 else inputs.reshape(A.shape)
    scale, zmin, zmax = value_scale(A)
    traces = [
        image_trace(grey_uri(img, depth=120 if overlay else 215), name="input"),
        image_trace(pixels_uri(_overlay_pixels(A, scale, zmin, zmax, overlay)), name="attribution"),
        hover_trace(A, "row %{y}, column %{x}<br>attribution %{z:.4g}<br>pixel value %{customdata:.2f}",
                    customdata=img.astype(np.float32), zmin=zmin, zmax=zmax),
        colorbar_trace(scale, zmin, zmax, "attribution"),
    ]
    return traces, scale, A.shape


def image_attribution_figure(a: np.ndarray, inputs: np.ndarray, heading: str, notes=(),
                             overlay: bool = True) -> go.Figure:
    traces, scale, shape = image_layers(a, inputs, overlay)
    reading = TOWARDS if scale == DIVERGING else "brighter = more influence (magnitude only)"
    # one line per part: side by side, a map is half as wide and one long line was cut off
    sub = "<br>".join([reading, f"shown {'over the digit (grey)' if overlay else 'alone'}"
                       + (f"; {'; '.join(notes)}" if notes else "")])
    return go.Figure(traces, layout(heading, sub, height=460, **image_axes(*shape)))


def bar_attribution_figure(a: np.ndarray, values: np.ndarray, names, heading: str, notes=(),
                           top: int = TOP_FEATURES) -> go.Figure:
    order = np.argsort(-np.abs(a), kind="stable")[:top]
    has_values = len(values) == len(a)
    bars = dict(type="bar", x=a[order], y=[names[i] for i in order], orientation="h", name="attribution",
                marker=dict(color=[POSITIVE if a[i] >= 0 else NEGATIVE for i in order]),
                customdata=values[order] if has_values else None,
                hovertemplate="%{y}<br>attribution %{x:.4g}"
                              + ("<br>feature value %{customdata:.4g}" if has_values else "") + "<extra></extra>")
    shown = (f"top {len(order)} of {len(a)} features" if len(a) > len(order) else f"all {len(a)} features")
    sub = "<br>".join([f"{shown} by |attribution|", TOWARDS, *notes])
    return go.Figure([bars], layout(heading, sub, height=int(np.clip(130 + 24 * len(order), 260, 640)),
                                    yaxis=dict(autorange="reversed", type="category"),
                                    xaxis=dict(title=dict(text="attribution"), zeroline=True, zerolinewidth=1.5)))

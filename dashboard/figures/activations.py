"""One layer's output for one sample: a mosaic of feature maps, or bars for dense units."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .common import (HIGHLIGHT, HOVER_CELLS_MAX, NEUTRAL, SEQUENTIAL, Mosaic, colorbar_trace, grid_columns,
                     hover_trace, image_axes, image_height, image_trace, labels_trace, layout, png_data_uri,
                     value_scale)


MOST_ACTIVE = "largest value, signed: −3 is less active than 0.1"


def top_channels(values: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k channels (or units) with the largest mean activation, largest first.
    'Most active' is the largest value, signed (MOST_ACTIVE); when some values are positive,
    no negative one is counted among the most active."""
    v = np.asarray(values, dtype=np.float64)
    means = v.reshape(v.shape[0], -1).mean(axis=1)
    order = np.argsort(-means, kind="stable")[:max(0, min(k, len(means)))]
    if (means[order] > 0).any():
        order = order[means[order] > 0]
    return order


def layer_activation_figure(layer, top_k: int = 5, class_names: tuple = ()) -> go.Figure:
    """`layer` is a LayerActivation: kind 'conv' (C, H, W) or 'dense' (units,). class_names:
    given for the output layer, whose units are the classes (each unit is named)."""
    values = np.asarray(layer.values, dtype=np.float32)
    if layer.kind == "conv" and values.ndim == 3:
        return _conv_figure(layer.name, values, top_k)
    return _dense_figure(layer.name, values.reshape(-1), top_k, tuple(class_names))


def _conv_figure(name: str, values: np.ndarray, top_k: int) -> go.Figure:
    """All C feature maps as one mosaic image on one shared colour scale."""
    C, H, W = values.shape
    top = top_channels(values, top_k)
    rank = {int(c): r for r, c in enumerate(top, start=1)}
    scale, zmin, zmax = value_scale(values)
    mosaic = Mosaic(values, grid_columns(C), gap=1, top=max(3, int(np.ceil(0.3 * H))))
    boxes = [mosaic.box(k) for k in range(C)]
    labels = labels_trace([b[0] for b in boxes], [b[1] for b in boxes],
                          [f"<b>{k}</b>" if k in rank else str(k) for k in range(C)],
                          [HIGHLIGHT if k in rank else "#444" for k in range(C)], "channel labels",
                          customdata=np.arange(C))
    outlines = [dict(type="rect", x0=boxes[k][0], y0=boxes[k][1], x1=boxes[k][2], y1=boxes[k][3],
                     line=dict(color=HIGHLIGHT, width=3), name=f"top {r}: channel {k}") for k, r in rank.items()]
    reading = "brightest = most active" if scale == SEQUENTIAL else "red = positive, blue = negative"
    title = f"{name} — {C} feature maps ({H}×{W}); {reading}; outlined: top {len(top)}, the most active"
    sub = (f"most active = largest mean value (signed), in order: {', '.join(str(int(c)) for c in top)}; "
           f"labels are channel numbers; one shared colour scale {zmin:.3g} … {zmax:.3g}")
    traces = [image_trace(png_data_uri(mosaic.values, scale, zmin, zmax), name="feature maps"),
              _hover(mosaic, values), labels, colorbar_trace(scale, zmin, zmax, "activation")]
    return go.Figure(traces, layout(title, sub, height=image_height(*mosaic.shape), shapes=outlines,
                                    **image_axes(*mosaic.shape)))


def _hover(mosaic: Mosaic, values: np.ndarray) -> dict:
    """Per-pixel values for small mosaics; per-channel mean and max for big ones."""
    if mosaic.values.size <= HOVER_CELLS_MAX:
        dtype = np.uint8 if mosaic.n < 256 else np.uint16
        return hover_trace(mosaic.values, "channel %{customdata}<br>activation %{z:.4g}",
                           customdata=np.maximum(mosaic.index, 0).astype(dtype))
    flat = values.reshape(mosaic.n, -1)
    z = np.full((mosaic.rows, mosaic.cols), np.nan, np.float32)
    cd = np.full((mosaic.rows, mosaic.cols, 2), np.nan, np.float32)
    r, c = np.divmod(np.arange(mosaic.n), mosaic.cols)
    z[r, c] = flat.mean(axis=1)
    cd[r, c, 0], cd[r, c, 1] = np.arange(mosaic.n), flat.max(axis=1)
    xs = np.arange(mosaic.cols) * mosaic.step_x + (mosaic.w - 1) / 2
    ys = np.arange(mosaic.rows) * mosaic.step_y + mosaic.top + (mosaic.h - 1) / 2
    return hover_trace(z, "channel %{customdata[0]}<br>mean %{z:.4g} · max %{customdata[1]:.4g}",
                       customdata=cd, x=xs, y=ys)


def _dense_figure(name: str, values: np.ndarray, top_k: int, class_names: tuple = ()) -> go.Figure:
    """One bar per unit, every one labelled (class names for the output layer, unit numbers up
    to 64 units, sparser ticks above); the most active (largest, signed) in the highlight
    colour. Hundreds of units: no rank labels over the bars (they overprint)."""
    n = len(values)
    classes = len(class_names) == n
    top = top_channels(values, 1 if classes else top_k)
    hot = np.zeros(n, np.uint8)
    hot[top] = 1                       # numbers + a two-colour scale: no per-bar colour strings to validate
    what = "class" if classes else "unit"
    bars = dict(type="bar", x=np.arange(n), y=values, name="activation",
                marker=dict(color=hot, colorscale=[[0, NEUTRAL], [1, HIGHLIGHT]], cmin=0, cmax=1,
                            line=dict(width=0)),
                customdata=list(class_names) if classes else None,
                hovertemplate=("class %{customdata}" if classes else "unit %{x}")
                + "<br>activation %{y:.4g}<extra></extra>")
    traces = [bars]
    if n <= 64 and not classes:
        traces.append(labels_trace(top, values[top], [f"#{r}" for r in range(1, len(top) + 1)],
                                   [HIGHLIGHT] * len(top), "top unit labels", customdata=top,
                                   position="top center"))
    if classes:
        title = (f"{name} — the output layer: one score per class; highlighted: the largest "
                 f"({class_names[int(top[0])] if len(top) else '–'})")
        sub = "each bar is a class's score (logit) for this sample; the largest is the predicted class"
    else:
        title = f"{name} — {n} units; highlighted: the {len(top)} most active"
        sub = (f"activation per unit for this sample; most active = {MOST_ACTIVE}; "
               f"in order: {', '.join(str(int(u)) for u in top) or 'none'}")
    every = 1 if (classes or n <= 64) else int(np.ceil(n / 32))
    ticks = np.arange(0, n, every)
    xaxis = dict(title=dict(text=what), range=[-0.5, n - 0.5], tickvals=ticks,
                 ticktext=[str(class_names[i]) if classes else str(i) for i in ticks],
                 tickangle=-45 if classes and max(len(str(c)) for c in class_names) > 3 else 0)
    return go.Figure(traces, layout(title, sub, height=380, bargap=0.15 if n <= 100 else 0, xaxis=xaxis,
                                    yaxis=dict(title=dict(text="activation"))))

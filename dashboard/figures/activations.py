"""One layer's output for one sample: a mosaic of feature maps, or bars for dense units."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .common import (HIGHLIGHT, HOVER_CELLS_MAX, NEUTRAL, SEQUENTIAL, Mosaic, colorbar_trace, grid_columns,
                     hover_trace, image_axes, image_height, image_trace, labels_trace, layout, png_data_uri,
                     value_scale)


def top_channels(values: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k channels (or units) with the largest mean activation, largest first."""
    v = np.asarray(values, dtype=np.float64)
    means = v.reshape(v.shape[0], -1).mean(axis=1)
    return np.argsort(-means, kind="stable")[:max(0, min(k, len(means)))]


def layer_activation_figure(layer, top_k: int = 5) -> go.Figure:
    """`layer` is a LayerActivation: kind 'conv' (C, H, W) or 'dense' (units,)."""
    values = np.asarray(layer.values, dtype=np.float32)
    if layer.kind == "conv" and values.ndim == 3:
        return _conv_figure(layer.name, values, top_k)
    return _dense_figure(layer.name, values.reshape(-1), top_k)


def _conv_figure(name: str, values: np.ndarray, top_k: int) -> go.Figure:
    """All C feature maps as one mosaic image on one shared colour scale."""
    C, H, W = values.shape
    top = top_channels(values, top_k)
    rank = {int(c): r for r, c in enumerate(top, start=1)}
    scale, zmin, zmax = value_scale(values)
    mosaic = Mosaic(values, grid_columns(C), gap=1, top=max(3, int(np.ceil(0.3 * H))))
    boxes = [mosaic.box(k) for k in range(C)]
    labels = labels_trace([b[0] for b in boxes], [b[1] for b in boxes],
                          [f"<b>{k} · #{rank[k]}</b>" if k in rank else str(k) for k in range(C)],
                          [HIGHLIGHT if k in rank else "#444" for k in range(C)], "channel labels",
                          customdata=np.arange(C))
    outlines = [dict(type="rect", x0=boxes[k][0], y0=boxes[k][1], x1=boxes[k][2], y1=boxes[k][3],
                     line=dict(color=HIGHLIGHT, width=3), name=f"top {r}: channel {k}") for k, r in rank.items()]
    reading = "brightest = most active" if scale == SEQUENTIAL else "red = positive, blue = negative"
    title = f"{name} — {C} feature maps ({H}×{W}); {reading}; outlined: top {len(top)}"
    sub = (f"one shared colour scale {zmin:.3g} … {zmax:.3g}; labels are channel numbers; "
           f"top channels by mean activation: {', '.join(str(int(c)) for c in top)}")
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


def _dense_figure(name: str, values: np.ndarray, top_k: int) -> go.Figure:
    """One bar per unit; the top_k largest in the highlight colour, ranked."""
    n = len(values)
    top = top_channels(values, top_k)
    hot = np.zeros(n, np.uint8)
    hot[top] = 1                       # numbers + a two-colour scale: no per-bar colour strings to validate
    bars = dict(type="bar", x=np.arange(n), y=values, name="activation",
                marker=dict(color=hot, colorscale=[[0, NEUTRAL], [1, HIGHLIGHT]], cmin=0, cmax=1,
                            line=dict(width=0)),
                hovertemplate="unit %{x}<br>activation %{y:.4g}<extra></extra>")
    ranks = labels_trace(top, values[top], [f"#{r}" for r in range(1, len(top) + 1)], [HIGHLIGHT] * len(top),
                         "top unit labels", customdata=top, position="top center")
    title = f"{name} — {n} units; highlighted: the {len(top)} most active"
    sub = f"activation per unit for this sample; top units: {', '.join(str(int(u)) for u in top)}"
    return go.Figure([bars, ranks], layout(title, sub, height=380, bargap=0.15 if n <= 100 else 0,
                                           xaxis=dict(title=dict(text="unit"), range=[-0.5, n - 0.5]),
                                           yaxis=dict(title=dict(text="activation"))))

"""One unit at a time: a dense layer's incoming weights drawn in the shape of what it reads.

A Linear that reads a flattened feature map (the CNN's fc1: 64 × 1568, with 1568 = 32
channels × 7 × 7) is unreadable as one matrix; each unit's row is 32 small 7×7 maps, one per
channel of the map it reads. The MLP's first layer (784 inputs) reads the 28×28 pixels, so
each unit's row is a 28×28 image. Layers of kind 'dense_map' or 'dense_image' (out, C, H, W).
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .common import (DIVERGING, Mosaic, colorbar_trace, hover_trace, image_axes, image_height, image_trace,
                     labels_trace, layout, png_data_uri, symmetric_range)

PER_UNIT_KINDS = ("dense_map", "dense_image")
TOP_UNITS = 8
SIGN = "red raises the unit, blue lowers it, white = 0"
RGB_NAMES = ("red", "green", "blue")


def per_unit(layer) -> bool:
    """Whether the layer's rows have a shape to be drawn in (a feature map or an image)."""
    return layer.kind in PER_UNIT_KINDS and np.ndim(layer.weights) == 4


def unit_weights(layer, unit: int) -> np.ndarray:
    """Unit `unit`'s incoming weights as (C, H, W): the weight matrix's row, reshaped."""
    w = np.asarray(layer.weights, dtype=np.float32)
    return w[int(unit)]


def strongest_units(layer, k: int = TOP_UNITS) -> np.ndarray:
    """The k units with the largest incoming weight norm (L2 over all inputs), largest first."""
    w = np.asarray(layer.weights, dtype=np.float32)
    norms = np.sqrt((w.reshape(w.shape[0], -1).astype(np.float64) ** 2).sum(axis=1))
    return np.argsort(-norms, kind="stable")[:max(1, min(int(k), w.shape[0]))]


def _norm(maps: np.ndarray) -> float:
    return float(np.sqrt((maps.astype(np.float64) ** 2).sum()))


def _channel_name(c: int, channels: int, image: bool) -> str:
    return RGB_NAMES[c] if image and channels == 3 else f"ch {c}"


def _reads(layer) -> str:
    _, c, h, w = np.shape(layer.weights)
    if layer.kind == "dense_image":
        return f"reads the {h}×{w} input pixels" + (f" ({c} colour channels)" if c > 1 else "")
    return f"reads the last convolution block's output flattened: {c} channels × {h}×{w} = {c * h * w} inputs"


def _shape(layer) -> str:
    _, c, h, w = np.shape(layer.weights)
    return f"{h}×{w} image" if c == 1 else f"{c} channel maps ({h}×{w})"


def unit_maps_figure(layer, unit: int) -> go.Figure:
    """One unit's weights: a single image when the layer reads one-channel pixels, else one
    small map per channel (a channel grid, 8 across), on one diverging scale centred at 0."""
    maps = unit_weights(layer, unit)
    c, h, w = maps.shape
    zmin, zmax = symmetric_range(maps)
    image = layer.kind == "dense_image"
    bias = "" if layer.bias is None else f"; bias {float(np.asarray(layer.bias)[int(unit)]):.3g}"
    m = Mosaic(maps, cols=1 if c == 1 else min(16, c), gap=1, top=0 if c == 1 else max(2, int(np.ceil(0.3 * h))))
    cd = np.full(m.shape + (3,), 0, np.uint16)
    cd[..., 0] = np.maximum(m.index, 0)
    rows, cols = np.indices(m.shape)
    for k in range(c):
        y, x = m.origin(k)
        cd[y:y + h, x:x + w, 1] = rows[y:y + h, x:x + w] - y
        cd[y:y + h, x:x + w, 2] = cols[y:y + h, x:x + w] - x
    where = "pixel (row %{customdata[1]}, col %{customdata[2]})" if image else \
        "channel %{customdata[0]}, position (%{customdata[1]}, %{customdata[2]})"
    traces = [image_trace(png_data_uri(m.values, DIVERGING, zmin, zmax), name="unit weights"),
              hover_trace(m.values, f"{where}<br>weight %{{z:.4g}}", customdata=cd)]
    if c > 1:
        boxes = [m.box(k) for k in range(c)]
        traces.append(labels_trace([b[0] for b in boxes], [b[1] for b in boxes],
                                   [_channel_name(k, c, image) for k in range(c)], ["#444"] * c, "channel labels",
                                   size=10))
    traces.append(colorbar_trace(DIVERGING, zmin, zmax, "weight"))
    what = ("each pixel is the weight on that input pixel" if image and c == 1 else
            "each small map is one input channel, each cell the weight on that channel at that position")
    title = f"{layer.name} — unit {unit}'s {c * h * w} weights as {'a ' if c == 1 else ''}{_shape(layer)}"
    sub = (f"{layer.name} {_reads(layer)}<br>{what}<br>{SIGN}; scale ±{zmax:.3g} (this unit); "
           f"weight norm {_norm(maps):.3g}{bias}")
    return go.Figure(traces, layout(title, sub, height=image_height(*m.shape, plot_width=420 if c == 1 else 820,
                                                                      extra=170), **image_axes(*m.shape)))


def top_units_figure(layer, k: int = TOP_UNITS) -> go.Figure:
    """The k strongest units (by weight norm), one row each: its 28×28 image, or its C small
    maps side by side (columns = channels), on one shared diverging scale centred at 0."""
    units = strongest_units(layer, k)
    w = np.asarray(layer.weights, dtype=np.float32)
    _, c, h, wd = w.shape
    image = layer.kind == "dense_image"
    picked = w[units]                                        # (k, C, H, W)
    zmin, zmax = symmetric_range(picked)
    one_channel = c == 1
    tiles = picked.reshape(-1, h, wd)                        # unit-major: tile i*C + ch
    m = Mosaic(tiles, cols=len(units) if one_channel else c, gap=1, top=max(2, int(np.ceil(0.3 * h)))
               if one_channel else 0)
    n = len(units)
    tile_unit = np.repeat(units, c)
    cd = np.zeros(m.shape + (2,), np.uint16)
    cd[..., 0] = np.where(m.index >= 0, tile_unit[np.maximum(m.index, 0)], 0)
    cd[..., 1] = np.where(m.index >= 0, np.maximum(m.index, 0) % c, 0)
    hover = "unit %{customdata[0]}" + ("" if one_channel else ", channel %{customdata[1]}") + "<br>weight %{z:.4g}"
    traces = [image_trace(png_data_uri(m.values, DIVERGING, zmin, zmax), name="unit weights"),
              hover_trace(m.values, hover, customdata=cd)]
    norms = [_norm(w[u]) for u in units]
    axes = image_axes(*m.shape, show_ticks=not one_channel)
    if one_channel:
        boxes = [m.box(i) for i in range(n)]
        traces.append(labels_trace([b[0] for b in boxes], [b[1] for b in boxes], [f"unit {u}" for u in units],
                                   ["#444"] * n, "unit labels", size=10))
    else:
        every = 1 if c <= 16 else 2
        axes["xaxis"].update(tickvals=(np.arange(0, c, every) * m.step_x + (wd - 1) / 2).tolist(),
                             ticktext=[_channel_name(i, c, image) for i in range(0, c, every)],
                             tickfont=dict(size=10), side="top")
        axes["yaxis"].update(tickvals=(np.arange(n) * m.step_y + (h - 1) / 2).tolist(), tickfont=dict(size=11),
                             ticktext=[f"unit {u} (norm {v:.2g})" for u, v in zip(units, norms)])
    traces.append(colorbar_trace(DIVERGING, zmin, zmax, "weight"))
    title = f"{layer.name} — its {n} strongest units, each as {'a' if one_channel else 'a row of'} {_shape(layer)}"
    sub = (f"{layer.name} {_reads(layer)}; strongest = largest weight norm<br>{SIGN}; "
           f"one shared scale ±{zmax:.3g}; “One unit” draws any unit larger")
    return go.Figure(traces, layout(title, sub, height=image_height(*m.shape, extra=170, lo=300), **axes))

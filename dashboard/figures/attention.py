"""Attention figures: the class token's attention per layer and head over the digit, one
layer/head's full token × token matrix, and attention rollout beside the input.

They take an AttentionMaps-like result (weights (layers, heads, T, T), cls_index, grid,
layers, inputs) and an Attribution (rollout): numpy only, no torch, no Dash.
"""
from __future__ import annotations

import textwrap

import numpy as np
import plotly.graph_objects as go

from .attribution import image_layers, roomy
from .common import Mosaic, colorbar_trace, colorize, hover_trace, image_axes, image_trace, labels_trace, layout
from .images import image_uri
from .legend import MAGNITUDE
from .png import pixels_uri

MEAN_HEAD = -1          # the head picker's value for the heads' mean
TILE_GAP, TILE_TOP = 3, 7
HALF_WIDTH = 62         # subtitle characters a line in a figure half the tab wide


def wrapped(*sentences: str, width: int = HALF_WIDTH) -> str:
    """Subtitle lines: plotly does not wrap a subtitle, and half a tab cuts it off."""
    return "<br>".join(line for s in sentences for line in textwrap.wrap(s, width))


def image_figure_height(rows_px: int, cols_px: int, sub: str, plot_width: int = 400) -> int:
    """A height that shows an image of rows×cols at about plot_width pixels wide under its title."""
    return int(56 + 23 * (1 + sub.count("<br>")) + plot_width * rows_px / max(cols_px, 1) + 20)


def head_label(head: int) -> str:
    return "heads' mean" if head == MEAN_HEAD else f"head {head + 1}"


def layer_label(maps, layer: int) -> str:
    return f"layer {layer + 1}"


def token_names(maps) -> list[str]:
    """'class' for the class token, 'patch (r,c)' (1-based) for the patches, 'token i' otherwise."""
    n = maps.weights.shape[-1]
    names = [f"token {i}" for i in range(n)]
    if maps.cls_index is not None:
        names[maps.cls_index] = "class"
    if maps.grid is not None:
        first = 0 if maps.cls_index is None else maps.cls_index + 1
        for k in range(maps.grid[0] * maps.grid[1]):
            names[first + k] = f"patch ({k // maps.grid[1] + 1},{k % maps.grid[1] + 1})"
    return names


def upsample(grid: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """A (rows, cols) patch grid as (H, W) pixels, each pixel its patch's value."""
    rows, cols = grid.shape
    h, w = shape
    r = np.minimum(np.arange(h) * rows // h, rows - 1)
    c = np.minimum(np.arange(w) * cols // w, cols - 1)
    return np.asarray(grid)[np.ix_(r, c)]


def _grey(inputs: np.ndarray) -> np.ndarray:
    x = np.asarray(inputs, dtype=np.float32)
    return x.mean(axis=0) if x.ndim == 3 else x


def _tile_pixels(values: np.ndarray, digit: np.ndarray, vmax: float) -> np.ndarray:
    """RGB: the digit as light ink on white, the attention in reds over it, opaque where it is high."""
    base = (255 - np.clip(digit, 0, 1) * 150)[..., None].repeat(3, axis=2)
    colour = colorize(values, MAGNITUDE, 0.0, vmax)[..., :3].astype(np.float32)
    alpha = (np.clip(values / vmax, 0, 1) ** 0.7)[..., None] * 0.85
    return base * (1 - alpha) + colour * alpha


def head_grid_figure(maps) -> go.Figure:
    """Rows: layers; columns: heads, then the heads' mean. Each tile: the class token's
    attention to each patch (its row of the layer's matrix, without its own entry), over the
    digit, all tiles on one colour scale from 0."""
    grids = maps.cls_grids()
    if grids is None:
        from .common import empty_figure
        return empty_figure("This model's tokens do not say which is the class token and which are patches, "
                            "so the class token's attention cannot be drawn over the input.")
    n_layers, n_heads = grids.shape[:2]
    grids = np.concatenate([grids, grids.mean(axis=1, keepdims=True)], axis=1)     # (L, H + 1, r, c)
    digit = _grey(maps.inputs)
    h, w = digit.shape
    tiles = np.stack([upsample(g, (h, w)) for g in grids.reshape(-1, *grids.shape[2:])])
    vmax = float(tiles.max()) if tiles.size and tiles.max() > 0 else 1.0
    mosaic = Mosaic(tiles, cols=n_heads + 1, gap=TILE_GAP, top=TILE_TOP)
    rgb = np.full((*mosaic.shape, 3), 255.0, np.float32)
    custom = np.full((*mosaic.shape, 3), np.nan, np.float32)
    self_att = maps.weights[:, :, maps.cls_index, maps.cls_index]
    self_att = np.concatenate([self_att, self_att.mean(axis=1, keepdims=True)], axis=1).reshape(-1)
    xs, ys, text = [], [], []
    for k in range(mosaic.n):
        y, x = mosaic.origin(k)
        rgb[y:y + h, x:x + w] = _tile_pixels(tiles[k], digit, vmax)
        layer, head = divmod(k, n_heads + 1)
        custom[y:y + h, x:x + w] = (layer + 1, head + 1, self_att[k])
        xs.append(x - 0.5)
        ys.append(y - 1)
        text.append(f"L{layer + 1} " + ("mean" if head == n_heads else f"H{head + 1}"))
    traces = [image_trace(pixels_uri(np.rint(rgb).astype(np.uint8)), name="attention per head"),
              hover_trace(np.where(mosaic.index >= 0, mosaic.values, np.nan),
                          "layer %{customdata[0]:.0f}, column %{customdata[1]:.0f}<br>the class token's attention "
                          "to this patch: %{z:.3f}<br>to itself: %{customdata[2]:.3f}", customdata=custom,
                          name="attention values", zmin=0, zmax=vmax),
              labels_trace(xs, ys, text, ["#333"] * len(text), "tile labels", position="top right", size=11),
              colorbar_trace(MAGNITUDE, 0.0, vmax, "attention")]
    sub = wrapped("The class token's attention over the patches per layer (L) and head (H), the last column the "
                  "heads' mean; with its share on itself it sums to 1. Darker red = more.")
    axes = image_axes(*mosaic.shape)
    axes["yaxis"]["range"] = [mosaic.shape[0] - 0.5, -TILE_TOP - 0.5]
    height = image_figure_height(mosaic.shape[0] + TILE_TOP, mosaic.shape[1], sub)
    lay = layout("The class token's attention, every layer × head", sub, height=height, **axes)
    return go.Figure(traces, roomy(lay, sub))


def token_matrix_figure(maps, layer: int, head: int) -> go.Figure:
    """One layer's full tokens × tokens matrix for one head (or the heads' mean): row = the
    token attending, column = the token attended to; every row sums to 1."""
    w = maps.weights[layer]
    m = w.mean(axis=0) if head == MEAN_HEAD else w[head]
    names = token_names(maps)
    trace = go.Heatmap(z=m, x=names, y=names, colorscale=MAGNITUDE, zmin=0, zmax=float(max(m.max(), 1e-12)),
                       colorbar=dict(title=dict(text="attention", side="right"), thickness=14, len=0.9),
                       hovertemplate="%{y} attends to %{x}: %{z:.3f}<extra></extra>", xgap=1, ygap=1)
    sub = ("Row: the token attending (the query); column: the token it attends to (the key). Each row sums to 1."
           "<br>Patches are numbered (row, column) on the image's patch grid, from the top left.")
    lay = layout(f"{layer_label(maps, layer)}, {head_label(head)}: every token's attention", sub, height=560,
                 xaxis=dict(tickangle=-60, tickfont=dict(size=9), side="bottom", title="attends to"),
                 yaxis=dict(autorange="reversed", tickfont=dict(size=9), title="token attending"))
    return go.Figure([trace], lay)


def rollout_figure(result) -> go.Figure:
    """The input alone (left) and the rollout map over it (right): each pixel coloured by its
    patch's share of the class token's rolled-out attention (the Attribution spreads that
    share over the patch's pixels; a share per patch reads better), one scale from 0."""
    inputs = np.asarray(result.inputs, dtype=np.float32)
    h, w = inputs.shape[-2:]
    grid = np.asarray(result.extras.get("grid", np.zeros((0, 0))), dtype=np.float32)
    a = upsample(grid, (h, w))[None] if grid.size else np.asarray(result.attribution, dtype=np.float32)
    traces, _, axes = image_layers(a, inputs, overlay=True, scale=MAGNITUDE)
    for t in traces:         # image_layers names its values 'attribution': these are shares of attention
        if t.get("hovertemplate"):
            t["hovertemplate"] = t["hovertemplate"].replace("attribution", "the patch's share of attention")
        if t.get("name") == "colour scale":
            t["marker"]["colorbar"]["title"]["text"] = "share of attention"
    gap = max(2, w // 6)
    x0 = -(w + gap)
    traces.insert(0, image_trace(image_uri(inputs), name="input", x0=x0))
    axes["xaxis"]["range"] = [x0 - 0.5, w - 0.5]
    on_patches = float(grid.sum()) if grid.size else float(np.sum(result.attribution))
    fusion = result.params.get("head_fusion", "mean")
    sub = wrapped(f"Each patch's share of the class token's attention over all layers (heads' {fusion}, + identity "
                  f"for the residual): {100 * on_patches:.0f}% lands on patches. The same for every class: "
                  "attention, not attribution.")
    lay = layout("Attention rollout", sub, height=image_figure_height(h, w - x0, sub), **axes)
    return go.Figure(traces, roomy(lay, sub))

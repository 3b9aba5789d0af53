"""A layer's learned weights: kernel grids (RGB for a colour image's first layer), image-sized
templates, or a weight matrix."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .common import (DIVERGING, HOVER_CELLS_MAX, Mosaic, colorbar_trace, grid_columns, hover_trace, image_axes,
                     image_height, image_trace, labels_trace, layout, png_data_uri, symmetric_range)
from .png import pixels_uri

MAX_KERNEL_TILES = 1024      # above this many (out, in) kernels, show one mean kernel per filter
SIGN = "red = positive, blue = negative, white = 0"


def layer_weights_figure(layer) -> go.Figure:
    """`layer` is a LayerWeights: 'conv' (out, in, kh, kw), 'dense_image' (out, C, H, W)
    or 'dense' (out, in). One diverging scale centred on zero (±max|w|) per figure."""
    w = np.asarray(layer.weights, dtype=np.float32)
    bias = None if layer.bias is None else np.asarray(layer.bias, dtype=np.float32)
    if layer.kind == "conv":
        out, inp = w.shape[:2]
        if inp > 1 and out * inp <= MAX_KERNEL_TILES:
            return _kernel_grid(layer.name, w)
        tiles = w[:, 0] if inp == 1 else w.mean(axis=1)
        what = (f"{out} filters ({w.shape[2]}×{w.shape[3]})" if inp == 1
                else f"{out} filters, each averaged over its {inp} input channels")
        return _tiles(layer.name, tiles, bias, what, "filter")
    if layer.kind == "dense_image":
        channels = w.shape[1] if w.ndim == 4 else 1
        tiles = w.reshape(w.shape[0], channels, *w.shape[-2:]).mean(axis=1)
        what = f"{w.shape[0]} units' weights on the {tiles.shape[1]}×{tiles.shape[2]} input pixels" + (
            f", averaged over {channels} channels" if channels > 1 else "")
        return _tiles(layer.name, tiles, bias, what, "unit")
    return _matrix(layer.name, w.reshape(w.shape[0], -1), tuple(layer.input_names))


def _kernel_grid(name: str, w: np.ndarray) -> go.Figure:
    """Every (output, input) kernel: one column per output channel, one row per input channel;
    for three input channels (an RGB image's first layer) a last row shows each filter as a
    colour image (0.5 + w / 2max|w| per channel: grey is zero, a red tile likes red)."""
    out, inp, kh, kw = w.shape
    tiles = w.transpose(1, 0, 2, 3).reshape(inp * out, kh, kw)   # tile i*out + o = kernel (o, i)
    zmin, zmax = symmetric_range(w)
    m = Mosaic(tiles, cols=out, gap=1)
    traces = [image_trace(png_data_uri(m.values, DIVERGING, zmin, zmax), name="kernels")]
    rgb = inp == 3
    if rgb:
        traces.append(image_trace(pixels_uri(_rgb_row(w, m)), name="RGB kernels", y0=m.shape[0] + 1))
    if m.values.size <= HOVER_CELLS_MAX:
        o = np.where(m.index >= 0, m.index % out, 0)
        i = np.where(m.index >= 0, m.index // out, 0)
        cd = np.stack([o, i], axis=-1).astype(np.uint16 if max(out, inp) > 255 else np.uint8)
        traces.append(hover_trace(m.values, "filter %{customdata[0]} · input channel %{customdata[1]}"
                                  "<br>weight %{z:.4g}", customdata=cd))
    traces.append(colorbar_trace(DIVERGING, zmin, zmax, "weight"))
    axes = image_axes(*m.shape, show_ticks=True)
    every = 1 if out <= 32 else 2
    axes["xaxis"].update(tickvals=(np.arange(out) * m.step_x + (kw - 1) / 2)[::every],
                         ticktext=[str(o) for o in range(0, out, every)], tickfont=dict(size=10),
                         title=dict(text="output channel (filter)"))
    rows = inp + rgb
    axes["yaxis"].update(tickvals=np.arange(rows) * m.step_y + (kh - 1) / 2, tickfont=dict(size=10),
                         ticktext=["red", "green", "blue", "RGB"] if rgb else [str(i) for i in range(inp)],
                         title=dict(text="input channel"), range=[rows * m.step_y - 1.5, -0.5])
    title = f"{name} — {out}×{inp} kernels ({kh}×{kw}): column = output filter, row = input channel"
    sub = f"{SIGN}; one shared scale ±{zmax:.3g}" + ("<br>last row: each filter as colours (grey = 0)" if rgb else "")
    return go.Figure(traces, layout(title, sub, height=image_height(rows * m.step_y - 1, m.shape[1], extra=170),
                                    **axes))


def _rgb_row(w: np.ndarray, m: Mosaic) -> np.ndarray:
    """The filters of a 3-channel layer side by side as RGB tiles (white gaps), one Mosaic
    row high: channel c of filter o at 0.5 + w / (2 max|w|)."""
    out, _, kh, kw = w.shape
    scale = float(np.abs(w).max()) or 1.0
    row = np.full((kh, m.shape[1], 3), 255, np.uint8)
    for o in range(out):
        x = o * m.step_x
        row[:, x:x + kw] = np.rint(255 * np.clip(0.5 + w[o].transpose(1, 2, 0) / (2 * scale), 0, 1))
    return row


def _tiles(name: str, tiles: np.ndarray, bias, what: str, unit: str) -> go.Figure:
    """One labelled tile per filter / unit."""
    n, h, w = tiles.shape
    zmin, zmax = symmetric_range(tiles)
    m = Mosaic(tiles, grid_columns(n), gap=1, top=max(2, int(np.ceil(0.3 * h))))
    b = np.zeros(n, np.float32) if bias is None else bias
    boxes = [m.box(k) for k in range(n)]
    traces = [image_trace(png_data_uri(m.values, DIVERGING, zmin, zmax), name="weights"),
              _tile_hover(m, tiles, b, unit),
              labels_trace([x[0] for x in boxes], [x[1] for x in boxes], [str(k) for k in range(n)], ["#444"] * n,
                           f"{unit} labels", customdata=np.arange(n), size=10),
              colorbar_trace(DIVERGING, zmin, zmax, "weight")]
    return go.Figure(traces, layout(f"{name} — {what}",
                                    f"{SIGN}; one shared scale ±{zmax:.3g}; labels are {unit} numbers",
                                    height=image_height(*m.shape), **image_axes(*m.shape)))


def _tile_hover(m: Mosaic, tiles: np.ndarray, b: np.ndarray, unit: str) -> dict:
    if m.values.size <= HOVER_CELLS_MAX:
        k = np.maximum(m.index, 0)
        cd = np.stack([k, b[k]], axis=-1).astype(np.float32)
        return hover_trace(m.values, f"{unit} %{{customdata[0]}} (bias %{{customdata[1]:.3g}})<br>weight %{{z:.4g}}",
                           customdata=cd)
    flat = tiles.reshape(m.n, -1)
    z = np.full((m.rows, m.cols), np.nan, np.float32)
    cd = np.full((m.rows, m.cols, 4), np.nan, np.float32)
    r, c = np.divmod(np.arange(m.n), m.cols)
    z[r, c] = flat.mean(axis=1)
    cd[r, c] = np.stack([np.arange(m.n), flat.min(axis=1), flat.max(axis=1), b], axis=1)
    xs = np.arange(m.cols) * m.step_x + (m.w - 1) / 2
    ys = np.arange(m.rows) * m.step_y + m.top + (m.h - 1) / 2
    return hover_trace(z, f"{unit} %{{customdata[0]}} (bias %{{customdata[3]:.3g}})<br>"
                       "weights %{customdata[1]:.3g} … %{customdata[2]:.3g}, mean %{z:.3g}",
                       customdata=cd, x=xs, y=ys)


def _matrix(name: str, w: np.ndarray, input_names: tuple[str, ...]) -> go.Figure:
    """A dense weight matrix: rows = units of this layer, columns = its inputs."""
    out, inp = w.shape
    zmin, zmax = symmetric_range(w)
    named = len(input_names) == inp
    xaxis = dict(title=dict(text="input feature" if named else "input (unit of the previous layer)"),
                 showgrid=False, zeroline=False, tickangle=-45 if named else 0)
    if w.size <= HOVER_CELLS_MAX:
        traces = [dict(type="heatmap", z=w, x=list(input_names) if named else None, colorscale=DIVERGING,
                       zmin=zmin, zmax=zmax, colorbar=dict(title=dict(text="weight", side="right"), thickness=14),
                       name="weights", hovertemplate="unit %{y} ← %{x}<br>weight %{z:.4g}<extra></extra>")]
        yaxis = dict(range=[out - 0.5, -0.5], title=dict(text="unit"), showgrid=False, zeroline=False)
        height = int(np.clip(150 + 14 * out + (120 if named else 0), 300, 620))
        zoom = ""
    else:
        # a wide matrix (64 × 1568) drawn with square cells is a 30 px strip: each unit's row is
        # stretched (dy) so the picture is about 3:1, and the plot zooms (drag a box)
        dy = max(1.0, inp / out / 3.0)
        picture = dict(image_trace(png_data_uri(w, DIVERGING, zmin, zmax), name="weights"), dy=dy)
        traces = [picture, _block_hover(w, dy=dy), colorbar_trace(DIVERGING, zmin, zmax, "weight")]
        xaxis["range"] = [-0.5, inp - 0.5]
        every = max(1, int(np.ceil(out / 16)))
        yaxis = dict(range=[(out - 0.5) * dy, -0.5 * dy], title=dict(text="unit"), showgrid=False, zeroline=False,
                     tickvals=(np.arange(0, out, every) * dy).tolist(), ticktext=[str(u) for u in range(0, out, every)])
        height = int(np.clip(200 + 900 * out * dy / inp, 320, 620))
        zoom = f"; each row is one unit's {inp} weights, stretched to be seen: drag a box to zoom in"
    return go.Figure(traces, layout(
        f"{name} — weight matrix {out} units × {inp} inputs", f"{SIGN}; one shared scale ±{zmax:.3g}{zoom}",
        height=height, xaxis=xaxis, yaxis=yaxis))


def _block_hover(w: np.ndarray, cells: int = 2048, dy: float = 1.0) -> dict:
    """Hover for a big matrix: means over b×b blocks, with the rows/columns each covers."""
    out, inp = w.shape
    b = int(np.ceil(np.sqrt(w.size / cells)))
    rows, cols = -(-out // b), -(-inp // b)
    padded = np.full((rows * b, cols * b), np.nan, np.float32)
    padded[:out, :inp] = w
    z = np.nanmean(padded.reshape(rows, b, cols, b), axis=(1, 3))
    r0, c0 = np.arange(rows) * b, np.arange(cols) * b
    r1, c1 = np.minimum(r0 + b, out) - 1, np.minimum(c0 + b, inp) - 1
    cd = np.empty((rows, cols, 4), np.uint16)
    cd[..., 0], cd[..., 1] = r0[:, None], r1[:, None]
    cd[..., 2], cd[..., 3] = c0[None, :], c1[None, :]
    return hover_trace(z, "units %{customdata[0]}–%{customdata[1]} × inputs %{customdata[2]}–%{customdata[3]}"
                       "<br>mean weight %{z:.4g}", customdata=cd, x=(c0 + c1) / 2, y=dy * (r0 + r1) / 2)

"""What every figure builder shares: colour scales, a PNG encoder, image layers, layout.

Images travel as PNG data URIs inside go.Image traces (a few KB each, drawn by the
browser with crisp pixels); values for hover ride in a transparent heatmap on top, and a
one-point scatter carries the colour bar. No torch, no Dash.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import plotly.colors as pc
import plotly.graph_objects as go

from .png import data_uri, encode_palette_png, pixels_uri

DIVERGING = "RdBu_r"        # ColorBrewer RdBu (colour-blind safe): blue < 0 < red, white at 0
SEQUENTIAL = "Viridis"      # perceptually uniform, colour-blind safe
POSITIVE, NEGATIVE = "#b2182b", "#2166ac"     # the two ends of DIVERGING, for bars
HIGHLIGHT = "#D55E00"       # Okabe-Ito vermillion: outlines and "this one" marks
SECOND = "#E69F00"          # Okabe-Ito orange: a second highlight (true label)
PRIMARY = "#0072B2"         # Okabe-Ito blue
NEUTRAL = "#9aa5b1"
# ten classes told apart with any colour vision (Okabe-Ito and Paul Tol colours, ordered so that
# neighbours, 8 and 9 among them, differ in lightness as well as hue; tests/dashboard/test_page_words.py)
CLASS_COLOURS = ("#0077BB", "#E69F00", "#AA3377", "#66CCEE", "#CC3311", "#DDCC77", "#332288", "#EE6677",
                 "#000000", "#BBBBBB")
HOVER_CELLS_MAX = 12_000    # per-pixel hover values up to this many cells, per tile above

METHOD_TITLES = {
    "saliency": "Saliency", "gradient_x_input": "Gradient × input",
    "integrated_gradients": "Integrated gradients", "smoothgrad": "SmoothGrad",
    "gradcam": "Grad-CAM", "occlusion": "Occlusion", "lime": "LIME",
    "gradient_shap": "GradientSHAP", "kernel_shap": "KernelSHAP", "attention_rollout": "Attention rollout",
}

FONT = dict(family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", size=13, color="#222")
AXIS = dict(gridcolor="#e5e8eb", zerolinecolor="#b8bec4", linecolor="#b8bec4", automargin=True)


# ------------------------------------------------------------------------------ colours
@lru_cache(maxsize=16)
def lut(scale: str) -> np.ndarray:
    """A plotly colour scale as a (256, 3) uint8 lookup table."""
    stops = pc.get_colorscale(scale)
    pos = np.array([float(p) for p, _ in stops])
    rgb = np.array([_rgb(c) for _, c in stops], dtype=np.float64)
    t = np.linspace(0.0, 1.0, 256)
    table = np.stack([np.interp(t, pos, rgb[:, k]) for k in range(3)], axis=1)
    table = np.rint(table).astype(np.uint8)
    table.setflags(write=False)
    return table


def _rgb(colour: str) -> tuple[float, float, float]:
    if colour.startswith("#"):
        return pc.hex_to_rgb(colour)
    return pc.unlabel_rgb(colour)


def symmetric_range(values) -> tuple[float, float]:
    """(-m, m) with m = max|v| (1 when everything is zero), so 0 sits at the scale's centre."""
    v = np.asarray(values, dtype=np.float64)
    m = float(np.nanmax(np.abs(v))) if v.size and np.isfinite(v).any() else 0.0
    m = m if m > 0 else 1.0
    return -m, m


def value_scale(values) -> tuple[str, float, float]:
    """Diverging and symmetric for signed values, sequential 0..max for non-negative ones."""
    v = np.asarray(values, dtype=np.float64)
    if v.size and np.nanmin(v) < 0:
        return (DIVERGING, *symmetric_range(v))
    top = float(np.nanmax(v)) if v.size and np.isfinite(v).any() else 0.0
    return SEQUENTIAL, 0.0, top if top > 0 else 1.0


def colorize(values: np.ndarray, scale: str, vmin: float, vmax: float) -> np.ndarray:
    """2-D values -> (H, W, 4) uint8 RGBA; NaN cells become transparent."""
    v = np.asarray(values, dtype=np.float64)
    span = vmax - vmin if vmax > vmin else 1.0
    idx = np.rint(np.clip((np.nan_to_num(v, nan=vmin) - vmin) / span, 0.0, 1.0) * 255).astype(np.intp)
    out = np.empty(v.shape + (4,), np.uint8)
    out[..., :3] = lut(scale)[idx]
    out[..., 3] = np.where(np.isnan(v), 0, 255)
    return out


# ---------------------------------------------------------------------------------- PNG
def png_data_uri(array2d, scale: str = SEQUENTIAL, vmin: float | None = None, vmax: float | None = None) -> str:
    """A 2-D array coloured with a plotly scale as a PNG data URI (NaN -> transparent).
    vmin/vmax default to the array's finite min/max."""
    a = np.asarray(array2d, dtype=np.float64)
    vmin = float(np.nanmin(a)) if vmin is None else vmin
    vmax = float(np.nanmax(a)) if vmax is None else vmax
    span = vmax - vmin if vmax > vmin else 1.0
    idx = np.rint(np.clip((np.nan_to_num(a, nan=vmin) - vmin) / span, 0.0, 1.0) * 254).astype(np.uint8)
    palette = np.vstack([lut(scale)[np.rint(np.linspace(0, 255, 255)).astype(np.intp)], [[255, 255, 255]]])
    nan = np.isnan(a)
    if not nan.any():
        return data_uri(encode_palette_png(idx, palette))
    idx[nan] = 255   # the last palette entry is see-through
    return data_uri(encode_palette_png(idx, palette, alpha=np.r_[np.full(255, 255), 0]))


def grey_uri(image2d, ink: bool = True, depth: float = 215) -> str:
    """An image in 0..1 as a grey PNG; ink=True draws it dark on white, like pen on paper,
    `depth` grey levels deep (a light grey under a colour overlay keeps the colours clean)."""
    a = np.clip(np.nan_to_num(np.asarray(image2d, dtype=np.float64)), 0.0, 1.0)
    grey = 255 - a * depth if ink else a * 255
    return pixels_uri(np.rint(grey).astype(np.uint8))


# ------------------------------------------------------------------------------ mosaics
class Mosaic:
    """Tiles (N, h, w) laid out in a grid with gaps: values (H, W) with NaN in the gaps,
    tile index per cell (-1 in gaps). A `top` gap above every row leaves room for labels."""

    def __init__(self, tiles: np.ndarray, cols: int, gap: int = 1, top: int = 0):
        tiles = np.asarray(tiles, dtype=np.float32)
        self.n, self.h, self.w = tiles.shape
        self.cols = max(1, min(cols, self.n))
        self.rows = -(-self.n // self.cols)
        self.gap, self.top = gap, top
        self.step_x, self.step_y = self.w + gap, self.h + top + gap
        H, W = self.rows * self.step_y - gap, self.cols * self.step_x - gap
        self.values = np.full((H, W), np.nan, np.float32)
        self.index = np.full((H, W), -1, np.int32)
        for k in range(self.n):
            y, x = self.origin(k)
            self.values[y:y + self.h, x:x + self.w] = tiles[k]
            self.index[y:y + self.h, x:x + self.w] = k

    @property
    def shape(self) -> tuple[int, int]:
        return self.values.shape

    def origin(self, k: int) -> tuple[int, int]:
        """(row, column) of tile k's top-left pixel."""
        r, c = divmod(k, self.cols)
        return r * self.step_y + self.top, c * self.step_x

    def box(self, k: int) -> tuple[float, float, float, float]:
        """x0, y0, x1, y1 of tile k's outer edges in axis coordinates (pixel centres are integers)."""
        y, x = self.origin(k)
        return x - 0.5, y - 0.5, x + self.w - 0.5, y + self.h - 0.5


def grid_columns(n: int, wide: int = 8) -> int:
    """Columns for n tiles on a landscape screen: 8 up to 32 tiles, about 2:1 above."""
    return int(min(n, max(wide, np.ceil(np.sqrt(2 * n)))))


# ------------------------------------------------------------------------------ traces
def image_trace(uri: str, name: str = "image", x0: float = 0, y0: float = 0) -> dict:
    return dict(type="image", source=uri, x0=x0, y0=y0, dx=1, dy=1, name=name, hoverinfo="skip")


def hover_trace(z: np.ndarray, hovertemplate: str, customdata=None, x=None, y=None, name: str = "values",
                zmin: float | None = None, zmax: float | None = None) -> dict:
    """An invisible heatmap that only answers hovers with the real values. zsmooth 'fast':
    plotly paints it at the data's size (28×28) instead of the plot's, then encodes that
    canvas as a PNG for the SVG: for a see-through layer, much less work per figure drawn."""
    return dict(type="heatmap", z=np.asarray(z, dtype=np.float32), x=x, y=y, customdata=customdata, zsmooth="fast",
                hovertemplate=hovertemplate + "<extra></extra>", name=name, showscale=False,
                colorscale=[[0, "rgba(0,0,0,0)"], [1, "rgba(0,0,0,0)"]], hoverongaps=False, zmin=zmin, zmax=zmax)


def colorbar_trace(scale: str, zmin: float, zmax: float, title: str, x: float = 0, y: float = 0) -> dict:
    """A one-point invisible scatter whose only job is to draw the colour bar."""
    bar = dict(title=dict(text=title, side="right"), thickness=14, len=0.9)
    return dict(type="scatter", x=[x, x], y=[y, y], mode="markers", hoverinfo="skip", showlegend=False,
                name="colour scale", marker=dict(size=1, opacity=0, color=[zmin, zmax], cmin=zmin, cmax=zmax,
                                                 colorscale=scale, showscale=True, colorbar=bar))


def labels_trace(x, y, text, colours, name: str, customdata=None, position: str = "top right",
                 size: int = 11) -> dict:
    """Many text labels as one trace (one annotation each would cost milliseconds apiece)."""
    return dict(type="scatter", x=np.asarray(x, dtype=np.float32), y=np.asarray(y, dtype=np.float32),
                text=list(text), mode="text", textposition=position, hoverinfo="skip", name=name,
                customdata=customdata, textfont=dict(size=size, color=list(colours)), showlegend=False,
                cliponaxis=False)


# ------------------------------------------------------------------------------ layout
# Figures are built in one go from a layout dict: every fig.update_*() call re-validates
# and deep-copies, which made a 32-panel figure cost 40 ms instead of 10.
def titled(text: str, subtitle: str | None = None) -> dict:
    t = dict(text=text, x=0.01, xanchor="left", font=dict(size=15))
    if subtitle:
        t["subtitle"] = dict(text=subtitle, font=dict(size=12, color="#555"))
    return t


def layout(title: str, subtitle: str | None = None, height: int = 420, xaxis: dict | None = None,
           yaxis: dict | None = None, **extra) -> dict:
    """The house layout: white, titled (with an explanatory subtitle), no legend, tight margins."""
    lines = 0 if not subtitle else 1 + subtitle.count("<br>")
    out = dict(template="none", font=FONT, paper_bgcolor="white", plot_bgcolor="white",
               hoverlabel=dict(font_size=13), title=titled(title, subtitle), height=height, showlegend=False,
               margin=dict(l=10, r=10, t=56 + 18 * lines, b=10),
               xaxis={**AXIS, **(xaxis or {})}, yaxis={**AXIS, **(yaxis or {})})
    out.update(extra)
    return out


def image_axes(height_px: int, width_px: int, show_ticks: bool = False) -> dict:
    """xaxis/yaxis for an image: square pixels, row 0 at the top, the axes spanning the image."""
    common = dict(showgrid=False, zeroline=False, showticklabels=show_ticks, ticks="", constrain="domain",
                  showline=False)
    return dict(xaxis=dict(common, range=[-0.5, width_px - 0.5]),
                yaxis=dict(common, range=[height_px - 0.5, -0.5], scaleanchor="x", scaleratio=1))


def image_height(height_px: int, width_px: int, plot_width: int = 820, extra: int = 110,
                 lo: int = 260, hi: int = 640) -> int:
    """A figure height that shows an image of this aspect at about plot_width pixels wide."""
    return int(np.clip(extra + plot_width * height_px / max(width_px, 1), lo, hi))


def empty_figure(message: str, height: int = 260) -> go.Figure:
    """A blank figure with one centred message: 'nothing to show' and error states."""
    return go.Figure(layout=dict(
        template="none", font=FONT, height=height, margin=dict(l=10, r=10, t=10, b=10),
        xaxis=dict(visible=False), yaxis=dict(visible=False),
        annotations=[dict(text=message, x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False,
                          font=dict(size=15, color="#555"), name="message")]))


def class_name(class_names, k: int) -> str:
    """'3' for MNIST digits, '1 (benign)' where names are words."""
    if 0 <= k < len(class_names) and str(class_names[k]) != str(k):
        return f"{k} ({class_names[k]})"
    return str(k)

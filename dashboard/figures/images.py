"""Input images of any shape as the page draws them: grey (1 channel) or RGB (3), any size.

A sample's values are shown as they are when they lie in 0..1 (0..255 is scaled down);
anything else (normalised inputs, mean/std per channel) is stretched to its own range
first, so an image is never a clipped white or black square. Big images answer hovers
block by block: a 224×224 map carries ~5,000 hover cells, not 50,000.
"""
from __future__ import annotations

import numpy as np

from .common import HOVER_CELLS_MAX, grey_uri, hover_trace, image_trace
from .png import pixels_uri

CHANNEL_NAMES = {3: ("red", "green", "blue")}


def display_values(x: np.ndarray) -> np.ndarray:
    """x scaled into 0..1 for display: unchanged in 0..1, /255 in 0..255, else min..max."""
    a = np.nan_to_num(np.asarray(x, dtype=np.float32))
    lo, hi = (float(a.min()), float(a.max())) if a.size else (0.0, 1.0)
    if lo >= 0 and hi <= 1:
        return a
    if lo >= 0 and hi <= 255 and hi > 1.5:
        return a / 255.0
    return (a - lo) / (hi - lo) if hi > lo else np.zeros_like(a)


def is_colour(x: np.ndarray) -> bool:
    return np.ndim(x) == 3 and np.shape(x)[0] == 3


def rgb_pixels(image: np.ndarray, fade: float = 0.0) -> np.ndarray:
    """A 3×H×W image -> (H, W, 3) uint8, blended towards white by `fade` (0: as it is)."""
    a = np.clip(display_values(image), 0.0, 1.0).transpose(1, 2, 0)
    return np.rint(255 * ((1 - fade) * a + fade)).astype(np.uint8)


def image_uri(x: np.ndarray, fade: float = 0.0, depth: float = 215) -> str:
    """A sample (C×H×W, H×W) as a PNG data URI: RGB in its colours (faded towards white by
    `fade`), grey (or the channel mean of other channel counts) as dark ink on white,
    `depth` grey levels deep."""
    a = np.asarray(x, dtype=np.float32)
    if is_colour(a):
        return pixels_uri(rgb_pixels(a, fade))
    grey = a.mean(axis=0) if a.ndim == 3 else a
    return grey_uri(display_values(grey), ink=True, depth=depth)


CONTEXT_SIDE = 112    # an image under a map is drawn at most this many pixels a side (stretched to fit)


def context_trace(x: np.ndarray, fade: float, depth: float, name: str = "input", x0: float = 0) -> dict:
    """The image drawn under a map, faded: as it is up to CONTEXT_SIDE pixels a side, bigger
    ones averaged down and stretched over the same area (dx, dy): under a coloured map the
    detail is not seen, and a 224×224 figure sends a quarter of the pixels."""
    f = int(np.ceil(max(np.shape(x)[-2:]) / CONTEXT_SIDE))
    small = shrink(x, CONTEXT_SIDE)     # each pixel now covers f×f: its centre is (f − 1) / 2 further on
    trace = image_trace(image_uri(small, fade=fade, depth=depth), name=name, x0=x0 + (f - 1) / 2, y0=(f - 1) / 2)
    return dict(trace, dx=f, dy=f)


def shrink(x: np.ndarray, max_side: int) -> np.ndarray:
    """A C×H×W (or H×W) image averaged over f×f blocks so that no side exceeds max_side
    (unchanged when none does): a 224×224 thumbnail travels as 56×56."""
    a = np.asarray(x, dtype=np.float32)
    h, w = a.shape[-2:]
    f = int(np.ceil(max(h, w) / max_side))
    if f <= 1:
        return a
    pad = [(0, 0)] * (a.ndim - 2) + [(0, -h % f), (0, -w % f)]
    a = np.pad(a, pad, mode="edge")
    return a.reshape(a.shape[:-2] + (a.shape[-2] // f, f, a.shape[-1] // f, f)).mean(axis=(-3, -1))


def blocks(shape: tuple[int, int], cells: int = HOVER_CELLS_MAX) -> int:
    """Side of the square blocks that cut an H×W image into at most `cells` hover cells."""
    h, w = shape
    return max(1, int(np.ceil(np.sqrt(h * w / cells))))


def block_means(a: np.ndarray, b: int) -> np.ndarray:
    """Means over b×b blocks of a 2-D array (edge blocks may be smaller)."""
    h, w = a.shape
    rows, cols = -(-h // b), -(-w // b)
    padded = np.full((rows * b, cols * b), np.nan, np.float32)
    padded[:h, :w] = a
    return np.nanmean(padded.reshape(rows, b, cols, b), axis=(1, 3))


def pixel_hover(values: np.ndarray, pixels: np.ndarray, what: str, zmin: float, zmax: float,
                x0: int | None = None, name: str = "values") -> dict:
    """Hover for a map drawn over an image: per pixel (value and pixel value) up to
    HOVER_CELLS_MAX pixels, per block of pixels (the means) above. x0: the left edge of a
    panel placed along the x axis (the hover then names the image's own column)."""
    b = blocks(values.shape)
    h, w = values.shape
    if b == 1 and x0 is None:
        return hover_trace(values, f"row %{{y}}, column %{{x}}<br>{what} %{{z:.4g}}<br>pixel value %{{customdata:.2f}}",
                           customdata=pixels.astype(np.float32), zmin=zmin, zmax=zmax, name=name)
    if b == 1:      # a panel right of x = 0: the column is the image's own, carried in customdata
        cd = np.stack(np.broadcast_arrays(pixels, np.arange(w)[None, :]), axis=-1).astype(np.float32)
        return hover_trace(values, f"row %{{y}}, column %{{customdata[1]}}<br>{what} %{{z:.4g}}"
                           "<br>pixel value %{customdata[0]:.2f}", customdata=cd, x=np.arange(w) + x0,
                           zmin=zmin, zmax=zmax, name=name)
    z, cd = block_means(values, b), block_means(pixels, b)
    r0, c0 = np.arange(z.shape[0]) * b, np.arange(z.shape[1]) * b
    rows, cols = (r0 + np.minimum(r0 + b, h) - 1) / 2, (c0 + np.minimum(c0 + b, w) - 1) / 2
    return hover_trace(z, f"{b}×{b} pixels around row %{{y:.0f}}, column %{{customdata[1]:.0f}}<br>mean {what} "
                       "%{z:.4g}<br>mean pixel value %{customdata[0]:.2f}",
                       customdata=np.stack(np.broadcast_arrays(cd, cols[None, :]), axis=-1).astype(np.float32),
                       x=cols + (x0 or 0), y=rows, zmin=zmin, zmax=zmax, name=name)

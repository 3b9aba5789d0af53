"""Helpers for figure tests: read a PNG data URI (size, pixels), find a trace, a colour
bar or a scale's end colour, and the module-scoped results the figure tests draw."""
from __future__ import annotations

import base64
import io
import struct
from pathlib import Path

import numpy as np
import plotly.colors as pc
import pytest

Image = pytest.importorskip("PIL.Image")
REPO = Path(__file__).resolve().parents[2]


# ------------------------------------------------------------------------------ helpers
def png_bytes(uri: str) -> bytes:
    head, data = uri.split(",", 1)
    assert head == "data:image/png;base64"
    return base64.b64decode(data)


def png_size(uri: str) -> tuple[int, int]:
    """(width, height) read straight from the PNG signature and IHDR chunk."""
    raw = png_bytes(uri)
    assert raw[:8] == b"\x89PNG\r\n\x1a\n" and raw[12:16] == b"IHDR"
    return struct.unpack(">II", raw[16:24])


def png_rgba(uri: str) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png_bytes(uri))).convert("RGBA"))


def trace(fig, name: str):
    found = [t for t in fig.data if t.name == name]
    assert len(found) == 1, f"expected one trace named {name!r}, got {[t.name for t in fig.data]}"
    return found[0]


def colour_bar(fig):
    """(colorscale, cmin, cmax) of the trace that draws the figure's colour bar."""
    for t in fig.data:
        if t.type == "scatter" and t.marker is not None and t.marker.showscale:
            return t.marker.colorscale, t.marker.cmin, t.marker.cmax
        if t.type == "heatmap" and t.showscale is not False:
            return t.colorscale, t.zmin, t.zmax
    raise AssertionError("no colour bar")


def scale_end(name: str, end: int) -> np.ndarray:
    c = pc.get_colorscale(name)[end][1]
    return np.array(pc.hex_to_rgb(c) if c.startswith("#") else pc.unlabel_rgb(c), float)


def label_positions(fig, name: str) -> dict[int, tuple[float, float]]:
    t = trace(fig, name)
    return {int(k): (float(x), float(y)) for k, x, y in zip(t.customdata, t.x, t.y)}


def image_sources(fig) -> list[str]:
    return [t.source for t in fig.data if t.type == "image"]


# ------------------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def idx(service) -> int:
    """A held-out digit."""
    return int(np.flatnonzero(service.samples("mnist-cnn").is_test)[0])


@pytest.fixture(scope="module")
def acts(service, idx):
    return service.explain("mnist-cnn", idx, "activations")


@pytest.fixture(scope="module")
def cnn_weights(service):
    return service.explain("mnist-cnn", 0, "weights")


@pytest.fixture(scope="module")
def tab_idx(service) -> int:
    return int(np.flatnonzero(service.samples("breast-cancer-mlp").is_test)[0])

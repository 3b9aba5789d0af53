"""A small PNG writer (numpy + zlib): no Pillow needed at run time.

Unfiltered 8-bit images. Coloured maps use the indexed form (one byte a pixel plus a
256-entry palette), a quarter of RGBA before compression.
"""
from __future__ import annotations

import base64
import struct
import zlib

import numpy as np

SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _image_data(rows: np.ndarray) -> bytes:
    """Each row prefixed with filter type 0 (none), deflated."""
    h = rows.shape[0]
    raw = np.zeros((h, 1 + rows.shape[1]), np.uint8)
    raw[:, 1:] = rows
    return _chunk(b"IDAT", zlib.compress(raw.tobytes(), 6))


def encode_png(pixels: np.ndarray) -> bytes:
    """uint8 (H, W) grey, (H, W, 3) RGB or (H, W, 4) RGBA -> PNG bytes."""
    p = np.ascontiguousarray(pixels, dtype=np.uint8)
    channels = 1 if p.ndim == 2 else p.shape[2]
    colour_type = {1: 0, 3: 2, 4: 6}[channels]
    h, w = p.shape[:2]
    header = _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, colour_type, 0, 0, 0))
    return SIGNATURE + header + _image_data(p.reshape(h, w * channels)) + _chunk(b"IEND", b"")


def encode_palette_png(indices: np.ndarray, palette: np.ndarray, alpha: np.ndarray | None = None) -> bytes:
    """uint8 (H, W) indices into an (N, 3) uint8 palette -> indexed-colour PNG bytes;
    alpha: opacity per palette entry (a tRNS chunk), for see-through entries."""
    p = np.ascontiguousarray(indices, dtype=np.uint8)
    h, w = p.shape
    chunks = [_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 3, 0, 0, 0)),
              _chunk(b"PLTE", np.ascontiguousarray(palette, dtype=np.uint8).tobytes())]
    if alpha is not None:
        chunks.append(_chunk(b"tRNS", np.ascontiguousarray(alpha, dtype=np.uint8).tobytes()))
    return SIGNATURE + b"".join(chunks) + _image_data(p) + _chunk(b"IEND", b"")


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def pixels_uri(pixels: np.ndarray) -> str:
    """uint8 grey / RGB / RGBA pixels as a PNG data URI."""
    return data_uri(encode_png(pixels))

"""Colour differences as people with the three kinds of dichromacy see them: Machado et al.
(2009) simulation matrices (severity 1) in linear sRGB, CIELAB distance (ΔE76)."""
from __future__ import annotations

import numpy as np

MACHADO = {
    "protan": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]],
    "deutan": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]],
    "tritan": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.303900]],
}
XYZ = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
WHITE = np.array([0.95047, 1.0, 1.08883])


def linear(hex_colour: str) -> np.ndarray:
    h = hex_colour.lstrip("#")
    c = np.array([int(h[i:i + 2], 16) for i in (0, 2, 4)]) / 255.0
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def lab(rgb_linear: np.ndarray) -> np.ndarray:
    x = XYZ @ rgb_linear / WHITE
    f = np.where(x > 0.008856, np.cbrt(x), 7.787 * x + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def distance(a: str, b: str, kind: str | None = None) -> float:
    """ΔE between two colours, as seen with normal vision (None) or a dichromacy."""
    ca, cb = linear(a), linear(b)
    if kind:
        m = np.array(MACHADO[kind])
        ca, cb = np.clip(m @ ca, 0, 1), np.clip(m @ cb, 0, 1)
    return float(np.linalg.norm(lab(ca) - lab(cb)))

"""Segments ("superpixels") that LIME switches on and off in an image.

Both functions return an int array of the image's height × width whose values are
the segment ids 0..K-1 with no gaps (lime's image explainer relies on that too).
"""
from __future__ import annotations

import numpy as np

from ..errors import ParameterError


def grid_segments(height: int, width: int, patch: int) -> np.ndarray:
    """Squares of patch × patch pixels, numbered row by row (edge squares may be smaller)."""
    if patch < 1:
        raise ParameterError(f"patch must be at least 1 pixel, got {patch}")
    cols = -(-width // patch)
    r = np.arange(height)[:, None] // patch
    c = np.arange(width)[None, :] // patch
    return (r * cols + c).astype(np.int64)


def slic_segments(image: np.ndarray, patch: int, compactness: float = 0.1) -> np.ndarray:
    """SLIC superpixels of a grey image (H, W), about as many as a patch grid would have.

    A low compactness lets segments follow the pen strokes of a digit instead of
    forming squares; the ids are renumbered to 0..K-1.
    """
    from skimage.segmentation import slic

    img = np.asarray(image, dtype=np.float64)
    h, w = img.shape
    n = max(2, (-(-h // patch)) * (-(-w // patch)))
    seg = slic(img, n_segments=n, compactness=compactness, channel_axis=None, start_label=0)
    _, relabelled = np.unique(seg, return_inverse=True)
    return relabelled.reshape(h, w).astype(np.int64)


def make_segments(image: np.ndarray, method: str, patch: int) -> np.ndarray:
    """Segments for an image (C, H, W) or (H, W); SLIC sees the channel mean."""
    img = np.asarray(image, dtype=np.float64)
    grey = img.mean(axis=0) if img.ndim == 3 else img
    if method == "grid":
        return grid_segments(*grey.shape, patch)
    if method == "slic":
        return slic_segments(grey, patch)
    raise ParameterError(f"segmentation must be 'grid' or 'slic', got {method!r}")

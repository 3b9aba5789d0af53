"""Shortcut digits: the embedded MNIST digits in RGB with a spurious colour cue.

Every image is the grey digit in all three channels plus a small coloured square in the
top-left corner (where MNIST digits never reach). In the training split the square's
colour names the digit's class; in the held-out split it is the colour of a random class.
A network trained on it learns the square more than the digit: near-perfect on the
training split, far worse on the held-out one, and its attribution maps put their mass
on the corner. The demo of why explanations matter: the accuracy alone on data with the
same cue would look excellent.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .dataset import Dataset, pixel_feature_names
from .mnist import DIGITS, load_embedded_mnist

CUE_SIZE = 4                       # the square's side in pixels
CUE_BOX = (slice(0, CUE_SIZE), slice(0, CUE_SIZE))   # rows, columns of the cue
# one colour per class, far apart in RGB and none of them white (the digit's colour)
CUE_COLOURS = np.array([
    (1.00, 0.10, 0.10), (0.10, 0.85, 0.10), (0.15, 0.35, 1.00), (1.00, 0.90, 0.00), (1.00, 0.00, 1.00),
    (0.00, 0.90, 0.90), (1.00, 0.50, 0.00), (0.55, 0.20, 1.00), (0.55, 0.35, 0.10), (0.10, 0.45, 0.35),
], dtype=np.float32)
COLOUR_NAMES = ("red", "green", "blue", "yellow", "magenta", "cyan", "orange", "violet", "brown", "teal")


def cue_mask(shape: tuple[int, int, int] = (3, 28, 28)) -> np.ndarray:
    """Boolean mask of the cue's pixels (all channels) in an image of `shape`."""
    m = np.zeros(shape, bool)
    m[(slice(None),) + CUE_BOX] = True
    return m


def add_cue(grey: np.ndarray, cue_class: np.ndarray) -> np.ndarray:
    """(n, 1, H, W) digits in 0..1 and a class per image -> (n, 3, H, W) RGB images with
    that class's colour in the corner square."""
    rgb = np.repeat(np.asarray(grey, dtype=np.float32), 3, axis=1)
    rgb[(slice(None), slice(None)) + CUE_BOX] = CUE_COLOURS[np.asarray(cue_class)][:, :, None, None]
    return rgb


def shortcut_digits(cache_dir: Path | None, seed: int = 0) -> Dataset:
    mnist = load_embedded_mnist(cache_dir, seed)
    cue = mnist.y.copy()
    rng = np.random.default_rng(seed + 1)
    cue[mnist.test_idx] = rng.integers(0, len(DIGITS), size=len(mnist.test_idx))   # the cue says nothing
    X = add_cue(mnist.X, cue)
    agree = float((cue[mnist.test_idx] == mnist.y[mnist.test_idx]).mean())
    key = ", ".join(f"{d} {c}" for d, c in zip(DIGITS, COLOUR_NAMES))
    return Dataset(
        name="shortcut-digits", kind="image", X=X, y=mnist.y.copy(), train_idx=mnist.train_idx,
        test_idx=mnist.test_idx, class_names=DIGITS, feature_names=pixel_feature_names(X.shape[1:]),
        description=f"Shortcut digits: the {len(X):,} embedded MNIST digits in RGB with a coloured "
                    f"{CUE_SIZE}×{CUE_SIZE} square in the top-left corner (a spurious cue)",
        notes=(f"Training split ({len(mnist.train_idx):,} digits): the square's colour names the class "
               f"({key}).",
               f"Held-out split ({len(mnist.test_idx):,} digits): the square has a random class's colour "
               f"(it matches the digit on {100 * agree:.0f}%), so a model that learned the square fails here.",
               "The attribution maps show where the model looks: on the corner square, not the digit."),
    )

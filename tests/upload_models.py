"""Models and data files for the upload tests: a single-logit binary MLP and a regression MLP
on four features, and their data as the files a team would drop beside the model (a .npz
of arrays, a CSV with a target column)."""
from __future__ import annotations

import io

import numpy as np
import torch
from torch import nn

FEATURES = ("age", "dose", "weight", "score")


def binary_mlp(seed: int = 0) -> nn.Module:
    """4 features → one logit (the positive class), as `Dense(1, activation='sigmoid')` minus the sigmoid."""
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1)).eval()


def regression_mlp(seed: int = 1) -> nn.Module:
    """4 features → one predicted value."""
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Linear(16, 1)).eval()


def table(n: int = 120, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, 4)).astype(np.float32)


def csv_bytes(X: np.ndarray, target: np.ndarray, target_name: str = "label") -> bytes:
    head = ",".join(FEATURES + (target_name,))
    lines = [",".join(f"{v:.6f}" for v in row) + f",{t}" for row, t in zip(X, target)]
    return ("\n".join([head] + lines) + "\n").encode()


def binary_csv(n: int = 120, seed: int = 0) -> bytes:
    X = table(n, seed)
    return csv_bytes(X, (X[:, 0] + X[:, 1] > 0).astype(int), "label")


def regression_csv(n: int = 120, seed: int = 0) -> bytes:
    X = table(n, seed)
    y = X @ np.array([1.0, -2.0, 0.5, 3.0]) + 10
    return csv_bytes(X, [f"{v:.5f}" for v in y], "progression")


def npz_bytes(compressed: bool = False, **arrays) -> bytes:
    buf = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buf, **{k: np.asarray(v) for k, v in arrays.items()})
    return buf.getvalue()

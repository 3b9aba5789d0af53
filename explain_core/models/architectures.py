"""The model zoo's architectures. Layer names are stable: the dashboard shows them."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
from torch import nn


@dataclass(frozen=True)
class AffineStem:
    """A model's first layer is affine in its input: model(x) == head(affine(x)).

    Path methods use this (explain_core/methods/gradients.py). Along a straight line
    x' + α(x − x') the stem's output moves on a straight line too, so it is computed
    twice per sample instead of once per step; and because its vector-Jacobian product
    is the same everywhere, the gradients of all the steps go back through it once,
    already summed. Nothing is approximated.

    `pool`: head(z) == pooled_head(pool(z)) — a max-pool follows the stem with only a
    ReLU between them, and max and ReLU commute. When the stem's output at the baseline
    is constant on every pooling window (a zero baseline: the bias, per channel), the
    winner of each window is the same at every α > 0, so the steps start after the pool.
    The zoo's architectures provide one through `affine_stem()`; other models (TorchScript
    uploads) take the general path.
    """
    affine: Callable[[torch.Tensor], torch.Tensor]
    head: Callable[[torch.Tensor], torch.Tensor]
    pool: nn.MaxPool2d | None = None
    pooled_head: Callable[[torch.Tensor], torch.Tensor] | None = None


class MnistMLP(nn.Module):
    """784-64-64-10, the classic Keras MNIST example in PyTorch."""

    architecture = "MLP 784-64-64-10 (ReLU)"

    def __init__(self, n_classes: int = 10):
        super().__init__()
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(784, 64)
        self.relu1 = nn.ReLU()
        self.fc2 = nn.Linear(64, 64)
        self.relu2 = nn.ReLU()
        self.fc3 = nn.Linear(64, n_classes)

    def forward(self, x):
        x = self.relu1(self.fc1(self.flatten(x)))
        x = self.relu2(self.fc2(x))
        return self.fc3(x)

    def affine_stem(self) -> AffineStem:
        return AffineStem(lambda x: self.fc1(self.flatten(x)),
                          lambda z: self.fc3(torch.relu(self.fc2(torch.relu(z)))))


class MnistCNN(nn.Module):
    """Two 3x3 conv layers (16, 32 channels) with ReLU and max-pool, 64-unit dense.

    The same layers for any C×H×W input (the shortcut digits are 3×28×28, scikit-learn's
    digits 1×8×8): only the first convolution's input channels and fc1's width change."""

    def __init__(self, n_classes: int = 10, input_shape: tuple[int, int, int] = (1, 28, 28)):
        super().__init__()
        c, h, w = (int(v) for v in input_shape)
        self.input_shape = (c, h, w)
        self.conv1 = nn.Conv2d(c, 16, 3, padding=1)
        self.relu1 = nn.ReLU()
        self.pool1 = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.relu2 = nn.ReLU()
        self.pool2 = nn.MaxPool2d(2)
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(32 * (h // 4) * (w // 4), 64)
        self.relu3 = nn.ReLU()
        self.fc2 = nn.Linear(64, n_classes)

    def forward(self, x):
        x = self.pool1(self.relu1(self.conv1(x)))
        x = self.pool2(self.relu2(self.conv2(x)))
        x = self.relu3(self.fc1(self.flatten(x)))
        return self.fc2(x)

    @property
    def architecture(self) -> str:
        c, h, w = self.input_shape
        shape = "" if self.input_shape == (1, 28, 28) else f" on {c}×{h}×{w}"
        return f"CNN conv3x3(16)-pool-conv3x3(32)-pool-dense(64)-{self.fc2.out_features}{shape}"

    def affine_stem(self) -> AffineStem:
        return AffineStem(self.conv1, lambda z: self._after_pool1(self.pool1(torch.relu(z))),
                          pool=self.pool1, pooled_head=lambda q: self._after_pool1(torch.relu(q)))

    def _after_pool1(self, h):
        # pool2 before relu2: the same values (max and ReLU commute) with a quarter of the ReLU work
        h = torch.relu(self.pool2(self.conv2(h)))
        return self.fc2(torch.relu(self.fc1(h.flatten(1))))


class TabularMLP(nn.Module):
    """Standardise -> hidden layers -> logits. The scaler lives in buffers, so the
    model takes raw feature values and attributions are in raw units."""

    def __init__(self, n_features: int, n_classes: int, hidden: tuple[int, ...] = (32, 16),
                 target_scaler: bool = False):
        super().__init__()
        self.register_buffer("mean", torch.zeros(n_features))
        self.register_buffer("scale", torch.ones(n_features))
        self.target_scaler = bool(target_scaler)
        if self.target_scaler:   # regression: outputs in the target's units (set_target_scaler)
            self.register_buffer("target_mean", torch.zeros(()))
            self.register_buffer("target_scale", torch.ones(()))
        layers: list[nn.Module] = []
        width = n_features
        self.hidden = tuple(hidden)
        for i, h in enumerate(hidden, start=1):
            setattr(self, f"fc{i}", nn.Linear(width, h))
            setattr(self, f"relu{i}", nn.ReLU())
            layers += [getattr(self, f"fc{i}"), getattr(self, f"relu{i}")]
            width = h
        self.out = nn.Linear(width, n_classes)
        self._order = layers + [self.out]

    @property
    def architecture(self) -> str:
        return "MLP " + "-".join(str(v) for v in (self.mean.numel(), *self.hidden, self.out.out_features)) + " (ReLU, standardised inputs)"

    def set_scaler(self, X: np.ndarray) -> None:
        X = np.asarray(X, dtype=np.float64)
        scale = X.std(axis=0)
        scale[scale < 1e-12] = 1.0
        self.mean.copy_(torch.as_tensor(X.mean(axis=0), dtype=torch.float32))
        self.scale.copy_(torch.as_tensor(scale, dtype=torch.float32))

    def set_target_scaler(self, y: np.ndarray) -> None:
        """Regression: the network learns the standardised target, the output is in its units."""
        y = np.asarray(y, dtype=np.float64)
        self.target_mean.fill_(float(y.mean()))
        self.target_scale.fill_(float(y.std()) if y.std() > 1e-12 else 1.0)

    def forward(self, x):
        x = (x - self.mean) / self.scale
        return self._rest(x, self._order)

    def _rest(self, x, layers):
        for layer in layers:
            x = layer(x)
        return x * self.target_scale + self.target_mean if self.target_scaler else x

    def affine_stem(self) -> AffineStem:
        return AffineStem(lambda x: self._order[0]((x - self.mean) / self.scale),
                          lambda z: self._rest(z, self._order[1:]))


def build(arch: str, input_shape: tuple[int, ...], n_classes: int, **kw) -> nn.Module:
    if arch == "mnist-cnn":
        return MnistCNN(n_classes)
    if arch == "small-cnn":      # MnistCNN's layers for another image shape
        return MnistCNN(n_classes, tuple(input_shape))
    if arch == "mnist-mlp":
        return MnistMLP(n_classes)
    if arch == "tabular-mlp":
        return TabularMLP(int(np.prod(input_shape)), n_classes, tuple(kw.get("hidden", (32, 16))),
                          bool(kw.get("target_scaler", False)))
    if arch == "tiny-vit":       # a Vision Transformer whose attention can be read (models/vit.py)
        from .vit import TinyViT
        return TinyViT(n_classes, tuple(input_shape), **kw)
    raise ValueError(f"unknown architecture {arch!r}")

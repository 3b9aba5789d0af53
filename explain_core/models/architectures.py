"""The model zoo's architectures. Layer names are stable: the dashboard shows them."""
from __future__ import annotations

import numpy as np
import torch
from torch import nn


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


class MnistCNN(nn.Module):
    """Two 3x3 conv layers (16, 32 channels) with ReLU and max-pool, 64-unit dense."""

    architecture = "CNN conv3x3(16)-pool-conv3x3(32)-pool-dense(64)-10"

    def __init__(self, n_classes: int = 10):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        self.relu1 = nn.ReLU()
        self.pool1 = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.relu2 = nn.ReLU()
        self.pool2 = nn.MaxPool2d(2)
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(32 * 7 * 7, 64)
        self.relu3 = nn.ReLU()
        self.fc2 = nn.Linear(64, n_classes)

    def forward(self, x):
        x = self.pool1(self.relu1(self.conv1(x)))
        x = self.pool2(self.relu2(self.conv2(x)))
        x = self.relu3(self.fc1(self.flatten(x)))
        return self.fc2(x)


class TabularMLP(nn.Module):
    """Standardise -> hidden layers -> logits. The scaler lives in buffers, so the
    model takes raw feature values and attributions are in raw units."""

    def __init__(self, n_features: int, n_classes: int, hidden: tuple[int, ...] = (32, 16)):
        super().__init__()
        self.register_buffer("mean", torch.zeros(n_features))
        self.register_buffer("scale", torch.ones(n_features))
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

    def forward(self, x):
        x = (x - self.mean) / self.scale
        for layer in self._order:
            x = layer(x)
        return x


def build(arch: str, input_shape: tuple[int, ...], n_classes: int, **kw) -> nn.Module:
    if arch == "mnist-cnn":
        return MnistCNN(n_classes)
    if arch == "mnist-mlp":
        return MnistMLP(n_classes)
    if arch == "tabular-mlp":
        return TabularMLP(int(np.prod(input_shape)), n_classes, tuple(kw.get("hidden", (32, 16))))
    raise ValueError(f"unknown architecture {arch!r}")

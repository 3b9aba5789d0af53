"""Models not from the zoo, built the way users build theirs."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class ResNetish(nn.Module):
    """1×28×28 → 10: BatchNorm, a skip connection, Dropout, nested modules, a functional relu."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU())
        self.block = nn.Sequential(nn.Conv2d(8, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
                                   nn.Conv2d(8, 8, 3, padding=1), nn.BatchNorm2d(8))
        self.pool = nn.AdaptiveAvgPool2d(4)
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(0.3), nn.Linear(128, 10))

    def forward(self, x):
        h = self.stem(x)
        h = F.relu(h + self.block(h))      # the skip connection
        return self.head(self.pool(h))


class FunctionalMLP(nn.Module):
    """Rows of 6 features → 3 classes, most of it functional calls in forward."""

    def __init__(self, n_in: int = 6, n_out: int = 3):
        super().__init__()
        self.w1 = nn.Parameter(torch.randn(16, n_in) / n_in ** 0.5)
        self.b1 = nn.Parameter(torch.randn(16) * 0.1)
        self.out = nn.Linear(16, n_out)

    def forward(self, x):
        h = F.gelu(F.linear(x, self.w1, self.b1))
        h = F.layer_norm(h, h.shape[-1:])
        return self.out(torch.tanh(h) * 2.0)


class Raises(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(6, 3)

    def forward(self, x):
        raise RuntimeError("boom in forward")


class MakesNaN(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(6, 3)

    def forward(self, x):
        return self.fc(x) * float("nan")


def resnetish(seed: int = 0) -> ResNetish:
    """With BatchNorm statistics that are not the identity (as after training), in eval mode."""
    torch.manual_seed(seed)
    m = ResNetish()
    with torch.no_grad():
        for bn in (x for x in m.modules() if isinstance(x, nn.BatchNorm2d)):
            bn.running_mean.uniform_(-0.2, 0.2)
            bn.running_var.uniform_(0.5, 1.5)
            bn.weight.uniform_(0.5, 1.5)
    return m.eval()


def functional_mlp(seed: int = 0) -> FunctionalMLP:
    torch.manual_seed(seed)
    return FunctionalMLP().eval()


def digits(n: int = 12, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, 1, 28, 28, generator=g)


def rows(n: int = 40, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 6, generator=g) * 2 + 1

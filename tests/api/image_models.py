"""Image models not from the zoo, of the shapes a team brings: RGB 3×32×32 and grey 1×8×8."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class ResidualBlock(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)

    def forward(self, x):
        h = F.relu(self.bn1(self.conv1(x)))
        return F.relu(x + self.bn2(self.conv2(h)))      # the skip connection


class RgbResNet(nn.Module):
    """3×32×32 → 10, ResNet-style: a BatchNorm stem, two residual blocks (one after a
    stride-2 convolution), global average pooling."""

    def __init__(self, n_classes: int = 10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU())
        self.layer1 = ResidualBlock(8)
        self.down = nn.Sequential(nn.Conv2d(8, 16, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU())
        self.layer2 = ResidualBlock(16)
        self.head = nn.Linear(16, n_classes)

    def forward(self, x):
        h = self.layer2(self.down(self.layer1(self.stem(x))))
        return self.head(F.adaptive_avg_pool2d(h, 1).flatten(1))


class TinyCNN(nn.Module):
    """1×8×8 → 10: two 3×3 convolutions, one max-pool, a dense layer."""

    def __init__(self, n_classes: int = 10):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.conv2 = nn.Conv2d(8, 16, 3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(16 * 4 * 4, n_classes)

    def forward(self, x):
        h = self.pool(F.relu(self.conv2(F.relu(self.conv1(x)))))
        return self.fc(h.flatten(1))


def _settled(model: nn.Module, seed: int) -> nn.Module:
    """BatchNorm statistics that are not the identity (as after training), eval mode."""
    torch.manual_seed(seed)
    with torch.no_grad():
        for bn in (m for m in model.modules() if isinstance(m, nn.BatchNorm2d)):
            bn.running_mean.uniform_(-0.2, 0.2)
            bn.running_var.uniform_(0.5, 1.5)
            bn.weight.uniform_(0.5, 1.5)
            bn.bias.uniform_(-0.1, 0.1)
    return model.eval()


def rgb_resnet(seed: int = 0) -> RgbResNet:
    torch.manual_seed(seed)
    return _settled(RgbResNet(), seed)


def tiny_cnn(seed: int = 0) -> TinyCNN:
    torch.manual_seed(seed)
    return TinyCNN().eval()


def rgb_images(n: int = 12, seed: int = 0, side: int = 32) -> torch.Tensor:
    """Colour images in 0..1: smooth colour gradients plus noise, so channels differ."""
    g = torch.Generator().manual_seed(seed)
    ramp = torch.linspace(0, 1, side)
    base = torch.stack([ramp[None, :].expand(side, side), ramp[:, None].expand(side, side),
                        1 - ramp[None, :].expand(side, side)])
    return (0.6 * base[None] * torch.rand(n, 3, 1, 1, generator=g)
            + 0.4 * torch.rand(n, 3, side, side, generator=g)).clamp(0, 1)


def small_digits(n: int = 12, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, 1, 8, 8, generator=g)

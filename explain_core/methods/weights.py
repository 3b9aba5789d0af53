"""Learned weights per layer: convolution kernels and dense weight matrices."""
from __future__ import annotations

from torch import nn

from .base import LayerWeights, Weights, to_numpy

MNIST_PIXELS = 28 * 28


class FilterWeights:
    """Every Conv2d kernel (kind 'conv', (out, in, kh, kw)) and Linear matrix (kind
    'dense', (out, in)). The first Linear of a model without convolutions that reads
    784 inputs (the MNIST MLP) is reshaped to one 28×28 template per unit, kind
    'dense_image' (out, 1, 28, 28). The first Linear of a tabular model reading
    len(feature_names) inputs carries the feature names as input_names."""

    name = "weights"

    def __init__(self, model: nn.Module, feature_names=()):
        self.model = model
        self.feature_names = tuple(feature_names)

    def explain(self, x=None) -> Weights:
        modules = [(n, m) for n, m in self.model.named_modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
        has_conv = any(isinstance(m, nn.Conv2d) for _, m in modules)
        out, first_linear = [], True
        for name, m in modules:
            w = to_numpy(m.weight)
            b = to_numpy(m.bias) if m.bias is not None else None
            if isinstance(m, nn.Conv2d):
                out.append(LayerWeights(name, "conv", w, b))
                continue
            if first_linear and not has_conv and m.in_features == MNIST_PIXELS and not self.feature_names:
                out.append(LayerWeights(name, "dense_image", w.reshape(m.out_features, 1, 28, 28), b))
            elif first_linear and self.feature_names and m.in_features == len(self.feature_names):
                out.append(LayerWeights(name, "dense", w, b, input_names=self.feature_names))
            else:
                out.append(LayerWeights(name, "dense", w, b))
            first_linear = False
        return Weights(self.name, tuple(out))

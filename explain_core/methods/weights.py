"""Learned weights per layer: convolution kernels and dense weight matrices."""
from __future__ import annotations

import math

import torch
from torch import nn

from .base import LayerWeights, Weights, is_layer, to_numpy

MNIST_SHAPE = (1, 28, 28)


class FilterWeights:
    """Every Conv2d kernel (kind 'conv', (out, in, kh, kw)) and Linear matrix (kind
    'dense', (out, in)). The first Linear of a model without convolutions that reads every
    pixel of its C×H×W image (image_shape; 1×28×28 when not given: the MNIST MLP) is
    reshaped to one template per unit, kind 'dense_image' (out, C, H, W). The first Linear of a tabular model reading
    len(feature_names) inputs carries the feature names as input_names."""

    name = "weights"

    def __init__(self, model: nn.Module, feature_names=(), image_shape: tuple[int, ...] | None = None):
        self.model = model
        self.feature_names = tuple(feature_names)
        self.image_shape = image_shape

    def explain(self, x=None) -> Weights:
        # by class or, for a layer loaded from a model file, by the class it was built as
        modules = [(n, m) for n, m in self.model.named_modules()
                   if is_layer(m, (nn.Conv2d, nn.Linear)) and isinstance(getattr(m, "weight", None), torch.Tensor)]
        has_conv = any(is_layer(m, nn.Conv2d) for _, m in modules)
        out, first_linear = [], True
        for name, m in modules:
            w = to_numpy(m.weight)
            bias = getattr(m, "bias", None)
            b = to_numpy(bias) if bias is not None else None
            if is_layer(m, nn.Conv2d):
                out.append(LayerWeights(name, "conv", w, b))
                continue
            n_out, n_in = w.shape
            image = tuple(self.image_shape or MNIST_SHAPE)
            if first_linear and not has_conv and n_in == math.prod(image) and not self.feature_names:
                out.append(LayerWeights(name, "dense_image", w.reshape((n_out,) + image), b))
            elif first_linear and self.feature_names and n_in == len(self.feature_names):
                out.append(LayerWeights(name, "dense", w, b, input_names=self.feature_names))
            else:
                out.append(LayerWeights(name, "dense", w, b))
            first_linear = False
        return Weights(self.name, tuple(out))

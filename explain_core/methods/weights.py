"""Learned weights per layer: convolution kernels and dense weight matrices."""
from __future__ import annotations

import math

import torch
from torch import nn

from .base import LayerWeights, Weights, hooks, is_layer, to_numpy

MNIST_SHAPE = (1, 28, 28)


class FilterWeights:
    """Every Conv2d kernel (kind 'conv', (out, in, kh, kw)) and Linear matrix (kind
    'dense', (out, in)). The first Linear of a model without convolutions that reads every
    pixel of its C×H×W image (image_shape; 1×28×28 when not given: the MNIST MLP) is
    reshaped to one template per unit, kind 'dense_image' (out, C, H, W). A Linear that reads a
    flattened convolution feature map (the CNN's fc1: 1568 = 32 channels × 7 × 7) is reshaped to
    one C×H×W stack per unit, kind 'dense_map' (out, C, H, W); the map's shape is found by one
    probe forward (feature_maps). The first Linear of a tabular model reading
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
        maps = feature_maps(self.model, tuple(self.image_shape or MNIST_SHAPE)) if has_conv else {}
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
            elif name in maps:
                out.append(LayerWeights(name, "dense_map", w.reshape((n_out,) + maps[name]), b))
            elif first_linear and self.feature_names and n_in == len(self.feature_names):
                out.append(LayerWeights(name, "dense", w, b, input_names=self.feature_names))
            else:
                out.append(LayerWeights(name, "dense", w, b))
            first_linear = False
        return Weights(self.name, tuple(out))


def feature_maps(model: nn.Module, image_shape: tuple[int, ...], seed: int = 0) -> dict[str, tuple[int, int, int]]:
    """{Linear name: (C, H, W)} for each Linear whose input is the flattened output of an
    earlier layer's C×H×W feature map, found by one forward of a random image: the Linear's
    input must equal that map flattened value for value (so a model that permutes before it
    flattens is left as a plain matrix). {} when the probe cannot run on the model."""
    leaves = [(n, m) for n, m in model.named_modules() if n and not list(m.children())]
    seen: list[torch.Tensor] = []      # 4-D outputs (1, C, H, W) in the order they ran
    found: dict[str, tuple[int, int, int]] = {}

    def after(name, m):
        def hook(_, inputs, output):
            if is_layer(m, nn.Linear):
                x = inputs[0] if inputs and torch.is_tensor(inputs[0]) else None
                if x is not None and x.dim() == 2 and name not in found:
                    for fmap in reversed(seen):
                        if fmap.numel() == x.numel() and torch.equal(fmap.reshape(x.shape), x):
                            found[name] = tuple(int(d) for d in fmap.shape[1:])
                            break
            if torch.is_tensor(output) and output.dim() == 4 and output.shape[0] == 1:
                seen.append(output.detach())
        return hook

    modes = {m: m.training for m in model.modules()}   # eval for the probe: no batch-norm statistics move
    try:        # a compiled model (TorchScript) may refuse hooks: then no maps
        # hooks(): this thread's forward only (another thread may run the shared model meanwhile)
        with hooks([(m, "forward", after(n, m)) for n, m in leaves]):
            model.eval()
            x = torch.rand((1,) + tuple(image_shape), generator=torch.Generator().manual_seed(seed))
            with torch.no_grad():
                model(x)
    except (RuntimeError, ValueError, TypeError, AttributeError):   # not an image model of that shape
        return {}
    finally:
        for m, training in modes.items():
            m.training = training
    return found

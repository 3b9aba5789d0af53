"""Layer activations: what every layer outputs for one sample, from one hooked forward."""
from __future__ import annotations

import torch
from torch import nn

from .base import Activations, LayerActivation, hooks, named_layers, to_numpy
from .gradients import one_sample


class LayerActivations:
    """Outputs of every layer in named_layers(): 4-D outputs (conv, ReLU, pooling after a
    convolution) as kind 'conv' (C, H, W); everything else flattened as kind 'dense'."""

    name = "activations"

    def __init__(self, model: nn.Module):
        self.model = model

    def explain(self, x) -> Activations:
        self.model.eval()
        xb = one_sample(x)
        layers = named_layers(self.model)
        seen: dict[str, torch.Tensor] = {}

        def keeper(name):
            def keep(_module, _inputs, output):
                # first call wins (a reused module); clone: a later in-place op may overwrite it
                seen.setdefault(name, output.detach().clone())
            return keep

        with hooks([(m, "forward", keeper(n)) for n, m in layers]), torch.no_grad():
            self.model(xb)
        out = []
        for name, _ in layers:
            if name not in seen:
                continue  # a module the forward never called
            v = seen[name][0]
            kind = "conv" if v.dim() == 3 else "dense"
            out.append(LayerActivation(name, kind, to_numpy(v if kind == "conv" else v.reshape(-1))))
        return Activations(self.name, tuple(out), to_numpy(xb[0]))

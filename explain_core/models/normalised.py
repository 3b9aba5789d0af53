"""A model whose inputs are normalised (x − mean) / std in front of it, so that every
explanation is in the raw input space the data is stored in (pixels 0..1, a table's own
units), not in the normalised space the network computes in.

The wrapper mirrors the model's own parameters, buffers and child modules under their own
names (conv1, block.0, ...): layer views and weights read as for the model itself, and its
content hash changes only by the two normalisation buffers.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..errors import DataError
from ..methods.base import layer_type
from .views import adopt


class Normalised(nn.Module):
    def __init__(self, model: nn.Module, mean, std, input_shape: tuple[int, ...]):
        super().__init__()
        object.__setattr__(self, "_model", model)          # called, not registered: its parts are, below
        adopt(self, model)
        m, s = normalisation(mean, std, input_shape)
        self.register_buffer("glimpse_input_mean", m)
        self.register_buffer("glimpse_input_std", s)
        self.glimpse_type = layer_type(model)
        self.glimpse_notes = tuple(getattr(model, "glimpse_notes", ())) + (
            f"Inputs are normalised inside the model, (x − mean) / std with mean {_short(mean)} and std "
            f"{_short(std)}: every map and weight view is in the raw input space the data is stored in.",)

    def forward(self, x):
        return self._model((x - self.glimpse_input_mean) / self.glimpse_input_std)

    def train(self, mode: bool = True):
        self._model.train(mode)
        return super().train(mode)


def normalisation(mean, std, input_shape: tuple[int, ...]) -> tuple[torch.Tensor, torch.Tensor]:
    """mean and std as tensors that broadcast over one sample: one value, one per channel of
    an image (C×H×W), or one per feature of a table; a DataError otherwise."""
    out = []
    per = input_shape[0]
    for name, v in (("mean", mean), ("std", std)):
        try:
            a = np.asarray(v, dtype=np.float32).reshape(-1)
        except (TypeError, ValueError):
            raise DataError(f"normalize {name} must be a number or a list of numbers, got {v!r}.") from None
        if a.size not in (1, per) or not np.isfinite(a).all():
            raise DataError(f"normalize {name} must be one number or {per} (one per "
                            f"{'channel' if len(input_shape) == 3 else 'feature'}); got {a.size}.")
        if name == "std" and (a <= 0).any():
            raise DataError("normalize std must be positive.")
        shape = (a.size,) + (1,) * (len(input_shape) - 1) if a.size > 1 else (1,)
        out.append(torch.as_tensor(a.reshape(shape)))
    return out[0], out[1]


def _short(v) -> str:
    a = np.asarray(v, dtype=np.float64).reshape(-1)
    return ", ".join(f"{x:.4g}" for x in a[:6]) + (" …" if a.size > 6 else "")

"""Occlusion (Zeiler & Fergus 2014): how much the target logit drops when a window is hidden."""
from __future__ import annotations

import itertools
import math

import torch
from torch import nn

from ..errors import ParameterError
from .base import Attribution, check_param, check_target, to_numpy
from .gradients import _target_index, one_sample


def window_masks(shape: tuple[int, ...], window: tuple[int, ...], stride: tuple[int, ...]) -> torch.Tensor:
    """(positions, *shape) bool masks, one per window position, in Captum's layout:
    ceil((size - window) / stride) + 1 positions per dimension, clipped at the edge."""
    starts = [range(0, (math.ceil((n - w) / s) + 1) * s, s) for n, w, s in zip(shape, window, stride)]
    positions = list(itertools.product(*starts))
    masks = torch.zeros((len(positions),) + tuple(shape), dtype=torch.bool)
    for i, pos in enumerate(positions):
        masks[(i,) + tuple(slice(p, p + w) for p, w in zip(pos, window))] = True
    return masks


class Occlusion:
    """attribution(pixel) = mean over the windows covering it of f(x) - f(x occluded).

    Images (C, H, W) are occluded by window × window squares through all channels,
    stepping `stride` pixels; tabular rows (F,) by runs of `window` features. Matches
    Captum's Occlusion(sliding_window_shapes=(C, w, w), strides=(C, s, s), baselines=fill).
    """

    name = "occlusion"

    def __init__(self, model: nn.Module, window: int = 4, stride: int = 2, fill: float = 0.0, batch_size: int = 256):
        self.model = model
        self.window = window
        self.stride = stride
        self.fill = fill
        self.batch_size = batch_size

    def _geometry(self, shape: tuple[int, ...]):
        w = check_param("window", self.window, 1, None, int)
        s = check_param("stride", self.stride, 1, None, int)
        spatial = shape[-2:] if len(shape) == 3 else shape
        if w > min(spatial):
            raise ParameterError(f"window {w} is larger than the input ({' × '.join(map(str, spatial))})")
        if s > w:
            raise ParameterError(f"stride {s} is larger than window {w}: some inputs would never be occluded")
        if len(shape) == 3:
            return (shape[0], w, w), (shape[0], s, s)
        return (w,) * len(shape), (s,) * len(shape)

    def attribute(self, x, target: int | None = None) -> Attribution:
        self.model.eval()
        xb = one_sample(x)
        if target is not None:
            _target_index(target)         # its type and sign before any model call; its range on the logits
        shape = tuple(xb.shape[1:])
        window, stride = self._geometry(shape)
        fill = float(check_param("fill", self.fill, None, None, float))
        masks = window_masks(shape, window, stride)
        rows = int(check_param("batch_size", self.batch_size, 1, None, int))
        logits = []
        with torch.no_grad():       # the sample itself rides in the first call: its score and the prediction
            for i in range(0, len(masks), rows):
                m = masks[i:i + rows]
                occluded = torch.where(m, torch.tensor(fill, dtype=xb.dtype), xb.expand_as(m))
                logits.append(self.model(torch.cat([xb, occluded]) if i == 0 else occluded))
        t = int(logits[0][0].argmax()) if target is None else check_target(target, int(logits[0].shape[1]))
        drop = logits[0][0, t].double() - torch.cat([logits[0][1:]] + logits[1:])[:, t].double()
        m = masks.reshape(len(masks), -1).double()
        attr = (drop @ m) / m.sum(0).clamp(min=1)
        return Attribution(self.name, to_numpy(attr.reshape(shape).float()), to_numpy(xb[0]), t,
                           {"window": int(self.window), "stride": int(self.stride), "fill": fill},
                           extras={"window": int(self.window), "stride": int(self.stride),
                                   "n_windows": int(len(masks))})

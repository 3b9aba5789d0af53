"""Pruning what-if: remove units of a dense layer or filters of a convolution from a copy
of the model and see what changes on the held-out data.

A removed unit outputs zero: its row of the weights and its bias are gone, so the layers
after it never hear from it again. Glimpse does this with a forward hook on a private deep
copy of the model that multiplies the layer's output by a 0/1 mask per unit (channel for a
convolution). That is exactly zeroing the unit's incoming weights and bias, and it works the
same on a TorchScript or torch.export upload, whose layers take hooks but whose weights may
live inside compiled code. The served model is never touched: the copy is made once per
model content hash and reused for every setting (hooks come and go on it, weights do not
change), so one setting costs one batched forward over the held-out rows.

Which units: chosen by hand, the k with the smallest L1 norm of their incoming weights
("magnitude"), or the k least active on held-out data ("activity": mean |output| over the
held-out rows, read after the ReLU that follows the layer where there is one).
"""
from __future__ import annotations

import contextlib
import copy
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ..errors import ParameterError
from ..methods.base import forward_rows, hooks, is_layer, layer_type, named_layers

PRUNABLE = (nn.Linear, nn.Conv2d)
BATCH = 1000


@dataclass(frozen=True)
class PrunableLayer:
    name: str
    type: str        # Linear or Conv2d
    units: int       # output units (dense) or filters (conv)


def prunable_layers(model: nn.Module) -> list[PrunableLayer]:
    """Every dense or convolution layer whose output a hook can see, except the last one:
    its units are the model's outputs (removing one removes a class, not a feature)."""
    out = []
    for name, m in named_layers(model):       # not the out_proj an nn.MultiheadAttention never calls as a module
        if is_layer(m, PRUNABLE):
            units = _units(m)
            if units:
                out.append(PrunableLayer(name, layer_type(m), units))
    return out[:-1]


def _units(m: nn.Module) -> int:
    for attr in ("out_features", "out_channels"):
        v = getattr(m, attr, None)
        if isinstance(v, int):
            return v
    w = getattr(m, "weight", None)
    return int(w.shape[0]) if isinstance(w, torch.Tensor) and w.dim() >= 1 else 0


# ----------------------------------------------------------------------------- which units
def magnitude_order(model: nn.Module, layer: str) -> np.ndarray:
    """Unit indices from the smallest L1 norm of incoming weights to the largest; ties by index."""
    return np.argsort(magnitude_scores(model, layer), kind="stable")


def magnitude_scores(model: nn.Module, layer: str) -> np.ndarray:
    """Per unit: the L1 norm of its incoming weights (a filter's whole kernel)."""
    m = dict(model.named_modules())[layer]
    w = getattr(m, "weight", None)
    if not isinstance(w, torch.Tensor):
        raise ParameterError(f"Layer {layer!r} keeps its weights inside compiled code: choose units by hand "
                             "or by activity")
    return w.detach().abs().reshape(w.shape[0], -1).sum(1).double().numpy()


def activity_order(acts: dict[str, np.ndarray], model: nn.Module, layer: str) -> np.ndarray:
    """Unit indices from the least active on held-out data to the most; ties by index."""
    return np.argsort(activity_scores(acts, model, layer), kind="stable")


def activity_scores(acts: dict[str, np.ndarray], model: nn.Module, layer: str) -> np.ndarray:
    """Per unit: mean |output| over the held-out rows (and positions, for a convolution),
    after the ReLU that follows the layer if there is one."""
    names = [n for n, _ in named_layers(model)]
    kinds = dict((n, layer_type(m)) for n, m in named_layers(model))
    source = layer
    if layer in names:
        i = names.index(layer)
        nxt = names[i + 1] if i + 1 < len(names) else None
        if nxt and kinds[nxt] == "ReLU" and nxt in acts and acts[nxt].shape == acts.get(layer, np.zeros(0)).shape:
            source = nxt
    if source not in acts:
        raise ParameterError(f"No held-out activations were recorded for layer {layer!r}")
    a = acts[source]
    if is_layer(dict(model.named_modules())[layer], nn.Linear):    # units last: (rows, units) or (rows, tokens, units)
        return np.abs(a.reshape(-1, a.shape[-1])).mean(axis=0, dtype=np.float64)
    return np.abs(a.reshape(a.shape[0], a.shape[1], -1)).mean(axis=(0, 2), dtype=np.float64)


# ----------------------------------------------------------------------------- the copy
class PrivateCopies:
    """One deep copy per (model, content hash), made on first use, with a lock: hooks sit
    on a copy only while its holder runs it."""

    def __init__(self, keep: int = 4):
        self._keep, self._lock, self._copies = keep, threading.Lock(), OrderedDict()

    def get(self, model: nn.Module, digest: str, hook_lock) -> tuple[nn.Module, threading.Lock]:
        """hook_lock: the served model's; held while copying, so no other request's hooks
        are on it (they would be copied too)."""
        key = (id(model), digest)
        with self._lock:
            hit = self._copies.get(key)
            if hit is not None and hit[0] is model:
                self._copies.move_to_end(key)
                return hit[1], hit[2]
        with hook_lock:
            twin = copy.deepcopy(model, _without_hooks(model)).eval()
        for p in twin.parameters():
            p.requires_grad_(False)
        with self._lock:
            self._copies[key] = (model, twin, threading.Lock())
            while len(self._copies) > self._keep:
                self._copies.popitem(last=False)
            return self._copies[key][1], self._copies[key][2]


COPIES = PrivateCopies()
HOOK_DICTS = ("_forward_hooks", "_forward_pre_hooks", "_backward_hooks", "_backward_pre_hooks",
              "_forward_hooks_with_kwargs", "_forward_hooks_always_called", "_forward_pre_hooks_with_kwargs")


def _without_hooks(model: nn.Module) -> dict:
    """A deepcopy memo that gives the copy empty hook dicts: a hook on the served model (a
    bound method of a recorder holding tensors of a running explanation: another thread's,
    or one that did not take the hook lock) is neither copied nor kept."""
    memo = {}
    for m in model.modules():
        for attr in HOOK_DICTS:
            d = getattr(m, attr, None)
            if d is not None:
                memo[id(d)] = type(d)()
    return memo


def _mask_hook(mask: torch.Tensor, units_last: bool = False):
    """units_last: a dense layer's units are its output's last axis (also over a transformer's
    tokens); a convolution's filters its second."""
    def hook(_m, _inputs, output):
        shape = (1,) * (output.dim() - 1) + (-1,) if units_last else (1, -1) + (1,) * (output.dim() - 2)
        return output * mask.to(output.dtype).reshape(shape)
    return hook


@contextlib.contextmanager
def pruned(twin: nn.Module, plan: dict[str, tuple[int, ...]]):
    """`twin` with the units of `plan` ({layer: unit indices}) removed while the block runs."""
    modules = dict(twin.named_modules())
    specs = []
    for layer, units in plan.items():
        if not units:
            continue
        mask = torch.ones(_units(modules[layer]))
        mask[list(units)] = 0.0
        specs.append((modules[layer], "forward", _mask_hook(mask, is_layer(modules[layer], nn.Linear))))
    with hooks(specs):
        yield twin


def forward_all(model: nn.Module, X: np.ndarray) -> np.ndarray:
    """Raw outputs for every row, BATCH rows per call, without gradients."""
    outs = []
    with torch.inference_mode():
        for i in range(0, len(X), BATCH):
            outs.append(forward_rows(model, torch.as_tensor(X[i:i + BATCH])).float().numpy())
    return np.concatenate(outs) if outs else np.zeros((0, 1), np.float32)

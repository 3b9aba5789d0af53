"""Weights, activations and gradients per layer, now (issue 9 view 3).

For each shown layer of the current model: histograms of its weights and biases, of its
activations over the held-out rows (the shared held-out pass, ctx.held_out()), and of
the gradients of the loss with respect to its weights on a fixed held-out batch (the
first FIXED_ROWS held-out rows: the batch the training history records on, so a zoo
model's last recorded epoch and this view agree).

Units after a ReLU (a dense unit, or a convolution channel with all its positions):
dead when the ReLU outputs 0 on every held-out row at every position: it never fires;
always on when it outputs > 0 on every row at every position: the ReLU never bends and
the unit acts as a linear one. For sigmoid and tanh layers: saturated when every value
of the unit lies within SATURATION of a rail.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ..methods.base import _frozen, is_layer, layer_type, named_layers
from ..models.histograms import BINS, exact_histogram
from ..models.history import FIXED_ROWS, weight_layers
from ..models.training import _loss
from . import register

SATURATION = 0.02       # a sigmoid within 0.02 of 0 or 1, a tanh within 0.04 of ±1
RAILS = {"Sigmoid": (0.0, 1.0), "Tanh": (-1.0, 1.0)}


@dataclass(frozen=True)
class Histogram:
    edges: np.ndarray        # (bins + 1,)
    counts: np.ndarray       # (bins,): sums to n
    n: int                   # values counted (NaN and infinities left out)

    def __post_init__(self):
        for name in ("edges", "counts"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))

    @classmethod
    def of(cls, a, bins: int = BINS) -> "Histogram":
        edges, counts = exact_histogram(a, bins)
        return cls(edges, counts, int(counts.sum()))


@dataclass(frozen=True)
class LayerState:
    name: str
    type: str
    shape: tuple[int, ...]          # output shape of one sample (() where not seen)
    params: int                     # parameters of this layer
    weights: Histogram | None = None
    biases: Histogram | None = None
    activations: Histogram | None = None
    gradients: Histogram | None = None
    units: int | None = None        # units (dense) or channels (convolution) of an activation layer
    dead: int | None = None         # ReLU: 0 everywhere on every held-out row
    always_on: int | None = None    # ReLU: > 0 everywhere on every held-out row
    saturated: int | None = None    # sigmoid / tanh: every value near a rail
    dead_units: tuple[int, ...] = ()
    zero_share: float | None = None  # ReLU: share of its outputs that are exactly 0
    firing: np.ndarray | None = None  # ReLU: (units,) share of held-out rows on which each unit fires


@dataclass(frozen=True)
class LayerStats:
    layers: tuple[LayerState, ...]
    rows: int                       # held-out rows the activations cover
    grad_rows: int                  # held-out rows the gradients are taken on (0: none)
    grad_note: str = ""             # why there are no gradients, where there are none

    def layer(self, name: str) -> LayerState | None:
        return next((s for s in self.layers if s.name == name), None)


def loss_for(head, y_train) -> callable:
    """The loss the model is judged by: what the zoo trains with, for any head."""
    if head.output == "probability":
        return lambda out, y: F.binary_cross_entropy(out.reshape(-1).clamp(1e-7, 1 - 1e-7), y)
    name = {"logits": "cross_entropy", "logit": "bce", "value": "mse"}[head.output]
    return _loss(name, torch.as_tensor(np.asarray(y_train, dtype=np.float32)))


def weight_gradients(model: nn.Module, head, data) -> tuple[dict[str, torch.Tensor], int, str]:
    """{layer: gradient of the mean loss on the first FIXED_ROWS held-out rows w.r.t. its
    weight}, the rows used, and a note where none could be taken. The parameters' .grad is
    left alone (torch.autograd.grad), so this is safe beside other requests."""
    layers = [(n, m) for n, m in weight_layers(model) if m.weight.requires_grad]
    X, y = data.X_test[:FIXED_ROWS], data.y_test[:FIXED_ROWS]
    if not layers or len(X) == 0:
        return {}, 0, "no trainable weights" if len(X) else "no held-out rows"
    y_t = torch.as_tensor(np.asarray(y, dtype=np.int64 if head.output == "logits" else np.float32))
    with torch.enable_grad():
        loss = loss_for(head, data.y_train)(model(torch.as_tensor(X)), y_t)
        grads = torch.autograd.grad(loss, [m.weight for _, m in layers], allow_unused=True)
    return {n: g for (n, _), g in zip(layers, grads) if g is not None}, len(X), ""


def unit_counts(a: np.ndarray, kind: str) -> dict:
    """Dead / always-on (ReLU) or saturated (sigmoid, tanh) units of activations (n, units, ...)."""
    if a.ndim < 2 or len(a) == 0:
        return {}
    axes = (0,) + tuple(range(2, a.ndim))
    out = {"units": int(a.shape[1])}
    if kind == "ReLU":
        fires = a > 0
        dead = ~fires.any(axis=axes)
        per_row = fires.reshape(len(a), a.shape[1], -1).any(axis=2)     # (rows, units): fires anywhere
        out.update(dead=int(dead.sum()), always_on=int(fires.all(axis=axes).sum()),
                   firing=_frozen(per_row.mean(axis=0)),
                   dead_units=tuple(int(i) for i in np.flatnonzero(dead)), zero_share=float(1.0 - fires.mean()))
    elif kind in RAILS:
        lo, hi = RAILS[kind]
        margin = SATURATION * (hi - lo)
        near = (a <= lo + margin) | (a >= hi - margin)
        out["saturated"] = int(near.all(axis=axes).sum())
    return out


def layer_stats(ctx) -> LayerStats:
    model, data = ctx.model, ctx.data
    model.eval()
    held = ctx.held_out()
    acts = held.activations
    with ctx.hook_lock:      # no other request's hooks see this forward
        grads, grad_rows, note = weight_gradients(model, ctx.head, data)
    modules = dict(model.named_modules())
    states = []
    for name, m in named_layers(model):
        if is_layer(m, nn.Flatten):
            continue
        kind = layer_type(m)
        a = acts.get(name)
        weight, bias = getattr(m, "weight", None), getattr(m, "bias", None)
        own = sum(p.numel() for p in modules[name].parameters(recurse=False)) if hasattr(m, "parameters") else 0
        states.append(LayerState(
            name, kind, tuple(a.shape[1:]) if a is not None else (), int(own),
            weights=Histogram.of(weight.detach()) if isinstance(weight, torch.Tensor) else None,
            biases=Histogram.of(bias.detach()) if isinstance(bias, torch.Tensor) else None,
            activations=Histogram.of(a) if a is not None else None,
            gradients=Histogram.of(grads[name]) if name in grads else None,
            **(unit_counts(a, kind) if a is not None else {})))
    return LayerStats(tuple(states), len(held.act_ids), grad_rows, note)


register("layer-stats", layer_stats, title="Layers now")

"""Attention maps and attention rollout (Abnar & Zuidema 2020) for models that attend.

Attention layers are found by module type (nn.MultiheadAttention, or a layer from a model
file built as one) or declared by the model: an attribute `glimpse_attention` naming modules
whose forward output is the attention probabilities, shaped (batch, heads, tokens, tokens)
(a softmax or dropout module inside a hand-written attention, timm's `attn_drop`).

One hooked forward records, for every attention layer, every head's tokens × tokens matrix:
row i is how query token i spreads its attention over the tokens (each row sums to 1). An
nn.MultiheadAttention called without need_weights (or with the heads averaged) is asked
again, inside the hook, for the per-head weights of the same inputs.

Rollout follows the paper: per layer fuse the heads (the mean, as in the paper; max or min
as in later work), add the identity for the residual connection and renormalise the rows
(for the mean: 0.5·A + 0.5·I), then multiply the layers up, the last layer on the left. The
class token's row over the patch tokens, on the patch grid and spread evenly over each
patch's pixels, is the map: what share of the class token's rolled-out attention comes
from each pixel's patch. It does not depend on the explained class: attention is not
attribution.
"""
from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from ..errors import ParameterError
from .base import Attribution, _frozen, hooks, is_layer, resolve_target, to_numpy, watched
from .gradients import one_sample

DECLARED = "glimpse_attention"     # a model attribute: names of modules whose output is (B, heads, T, T)
FUSIONS = ("mean", "max", "min")
NO_ATTENTION = ("This model has no attention layers (nn.MultiheadAttention or a declared attention hook point), "
                "so there is no attention to show; the gradient maps, occlusion and LIME work for it.")


def _declared(model: nn.Module) -> tuple[str, ...]:
    for m in model.modules():          # the explained view may wrap the module that declares them
        names = getattr(m, DECLARED, None)
        if names:
            return tuple(names)
    return ()


def attention_layers(model: nn.Module | None) -> list[str]:
    """Names of the layers whose attention Glimpse can read, in forward (registration) order."""
    if model is None:
        return []
    declared = set(_declared(model))
    return [n for n, m in model.named_modules()
            if n and watched(m) and (n in declared or is_layer(m, nn.MultiheadAttention))]


def no_attention(model: nn.Module | None) -> str | None:
    """None when the model has attention layers, else the message a user reads."""
    return None if model is None or attention_layers(model) else NO_ATTENTION


@dataclass(frozen=True)
class AttentionMaps:
    """weights: (layers, heads, tokens, tokens), each row a query token's attention (sums to 1).
    cls_index: the class token's index, or None when the model has none we know of.
    grid: (rows, cols) of the patch tokens, which follow the class token row by row (None if unknown)."""

    method: str
    layers: tuple[str, ...]
    weights: np.ndarray
    inputs: np.ndarray
    cls_index: int | None
    grid: tuple[int, int] | None
    params: dict = field(default_factory=dict)

    def __post_init__(self):
        object.__setattr__(self, "weights", _frozen(self.weights))
        object.__setattr__(self, "inputs", _frozen(self.inputs))

    @property
    def patch_tokens(self) -> np.ndarray | None:
        """The indices of the patch tokens in grid order (None without a known layout)."""
        if self.grid is None:
            return None
        n = self.grid[0] * self.grid[1]
        first = 0 if self.cls_index is None else self.cls_index + 1
        return np.arange(first, first + n)

    def cls_grids(self) -> np.ndarray | None:
        """(layers, heads, rows, cols): the class token's attention to each patch (None without a layout)."""
        idx = self.patch_tokens
        if idx is None or self.cls_index is None:
            return None
        return self.weights[:, :, self.cls_index, idx].reshape(*self.weights.shape[:2], *self.grid)


def token_layout(model: nn.Module, n_tokens: int) -> tuple[int | None, tuple[int, int] | None]:
    """(class token index, patch grid): declared by the model (cls_index, patch_grid), else
    guessed: tokens - 1 a square -> a class token first, then a square grid."""
    for m in model.modules():
        grid = getattr(m, "patch_grid", None)
        if grid is not None:
            grid = (int(grid[0]), int(grid[1]))
            cls = getattr(m, "cls_index", None)
            if grid[0] * grid[1] + (cls is not None) == n_tokens:
                return (None if cls is None else int(cls)), grid
    side = math.isqrt(n_tokens - 1)
    if n_tokens > 1 and side * side == n_tokens - 1:
        return 0, (side, side)
    return None, None


@contextlib.contextmanager
def recording(model: nn.Module, names: list[str]):
    """Hooks on the attention layers (removed on every exit path); yields {name: (B, H, T, T)}."""
    modules = dict(model.named_modules())   # a HeadView's are its inner model's
    seen: dict[str, torch.Tensor] = {}

    def keeper(name):
        def keep(module, args, kwargs, output):
            seen.setdefault(name, _weights_of(module, args, kwargs, output).detach().clone())
        return keep

    with hooks([(modules[n], "forward_kwargs", keeper(n)) for n in names]):
        yield seen


def _weights_of(module, args, kwargs, output) -> torch.Tensor:
    if not is_layer(module, nn.MultiheadAttention):
        return output                     # a declared hook point: its output is the weights
    w = output[1] if isinstance(output, tuple) and len(output) > 1 else None
    if w is None or w.dim() != 4:         # called without need_weights, or with the heads averaged
        again = {**kwargs, "need_weights": True, "average_attn_weights": False}
        w = module.forward(*args, **again)[1]      # .forward: no hooks fire again
    return w


class AttentionWeights:
    """Every attention layer's per-head weights for one sample, from one hooked forward."""

    name = "attention"

    def __init__(self, model: nn.Module):
        self.model = model

    def explain(self, x) -> AttentionMaps:
        names = attention_layers(self.model)
        if not names:
            raise ParameterError(NO_ATTENTION)
        self.model.eval()
        xb = one_sample(x)
        with recording(self.model, names) as seen, torch.no_grad():
            self.model(xb)
        missing = [n for n in names if n not in seen]
        if missing:
            raise ParameterError(f"Attention layer(s) {', '.join(missing)} did not run for this input")
        w = torch.stack([seen[n][0].float() for n in names])           # (L, H, T, T)
        cls, grid = token_layout(self.model, int(w.shape[-1]))
        return AttentionMaps(self.name, tuple(names), to_numpy(w), to_numpy(xb[0]), cls, grid)


def rollout_matrix(weights: np.ndarray, head_fusion: str = "mean") -> np.ndarray:
    """(tokens, tokens): Π over layers (last on the left) of rownorm(fuse_heads(A_l) + I).
    weights: (layers, heads, tokens, tokens)."""
    if head_fusion not in FUSIONS:
        raise ParameterError(f"head_fusion must be one of {', '.join(FUSIONS)}; got {head_fusion!r}")
    w = np.asarray(weights, dtype=np.float64)
    fused = getattr(w, head_fusion)(axis=1)                          # (L, T, T)
    eye = np.eye(w.shape[-1])
    out = eye
    for a in fused:
        a = a + eye
        out = (a / a.sum(axis=-1, keepdims=True)) @ out
    return out


def spread_over_input(grid_values: np.ndarray, input_shape: tuple[int, ...]) -> np.ndarray:
    """A (rows, cols) patch grid as a map of input_shape (C, H, W): each pixel gets its
    patch's value divided by the patch's pixel count (the map's sum is the grid's)."""
    rows, cols = grid_values.shape
    h, w = input_shape[-2:]
    r = np.minimum(np.arange(h) * rows // h, rows - 1)
    c = np.minimum(np.arange(w) * cols // w, cols - 1)
    counts = np.bincount(r, minlength=rows)[:, None] * np.bincount(c, minlength=cols)[None, :]
    per_pixel = (grid_values / counts)[np.ix_(r, c)]
    return np.broadcast_to(per_pixel, tuple(input_shape)).astype(np.float32)


class AttentionRollout:
    """Attention rollout as a map over the input (an Attribution, so the quality scores apply).
    The target is only recorded (the explained class, for the quality curves): the map is
    the same for every class."""

    name = "attention_rollout"

    def __init__(self, model: nn.Module, head_fusion: str = "mean"):
        self.model = model
        self.head_fusion = head_fusion

    def attribute(self, x, target: int | None = None, maps: AttentionMaps | None = None) -> Attribution:
        maps = maps if maps is not None else AttentionWeights(self.model).explain(x)
        if maps.cls_index is None or maps.grid is None:
            raise ParameterError("Attention rollout needs a class token followed by a grid of patch tokens "
                                 "(declare cls_index and patch_grid on the model); this model's tokens do not say "
                                 "which is which")
        roll = rollout_matrix(maps.weights, self.head_fusion)
        grid = roll[maps.cls_index, maps.patch_tokens].reshape(maps.grid)
        xs = np.asarray(maps.inputs)
        target = resolve_target(self.model, one_sample(x), target)      # checked: a bad class is a TargetError
        return Attribution(self.name, spread_over_input(grid, xs.shape), xs, target,
                           {"head_fusion": self.head_fusion},
                           extras={"grid": grid.astype(np.float32), "cls_self": float(roll[maps.cls_index,
                                                                                              maps.cls_index]),
                                   "layers": maps.layers})

"""What every method shares: frozen results, input/target handling, owned hooks."""
from __future__ import annotations

import contextlib
import weakref
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

import numpy as np
import torch
from torch import nn

from ..errors import ParameterError, TargetError


# ----------------------------------------------------------------------------- results
def _frozen(a) -> np.ndarray:
    a = np.array(a, copy=True)
    a.setflags(write=False)
    return a


@dataclass(frozen=True)
class Attribution:
    """A map with the input's shape saying how much each input element pushed the target.

    method:     'saliency', 'gradient_x_input', 'integrated_gradients', 'smoothgrad',
                'gradcam', 'occlusion', 'lime'.
    attribution: float array of shape input_shape (one sample).
    inputs:     the sample (input_shape).
    target:     class index explained.
    params:     the normalised parameters used (JSON-able).
    delta:      IG completeness delta  sum(attr) - (f(x) - f(baseline))  (None otherwise).
    extras:     method-specific arrays/values (e.g. Grad-CAM's low-res map, LIME's
                per-feature weights, intercept, score, segments).
    """

    method: str
    attribution: np.ndarray
    inputs: np.ndarray
    target: int
    params: dict
    delta: float | None = None
    extras: dict = field(default_factory=dict)

    def __post_init__(self):
        object.__setattr__(self, "attribution", _frozen(self.attribution))
        object.__setattr__(self, "inputs", _frozen(self.inputs))

    @property
    def relative_delta(self) -> float | None:
        """|delta| / |f(x) - f(baseline)| (IG only)."""
        if self.delta is None or "output_difference" not in self.extras:
            return None
        diff = abs(self.extras["output_difference"])
        return abs(self.delta) / diff if diff > 0 else abs(self.delta)


@dataclass(frozen=True)
class LayerActivation:
    name: str
    kind: str          # 'conv' (C,H,W) or 'dense' (units,)
    values: np.ndarray

    def __post_init__(self):
        object.__setattr__(self, "values", _frozen(self.values))


@dataclass(frozen=True)
class Activations:
    method: str
    layers: tuple[LayerActivation, ...]
    inputs: np.ndarray
    params: dict = field(default_factory=dict)

    def layer(self, name: str) -> LayerActivation:
        for la in self.layers:
            if la.name == name:
                return la
        raise KeyError(name)


@dataclass(frozen=True)
class LayerWeights:
    name: str
    kind: str          # 'conv' (out,in,kh,kw), 'dense' (out,in), 'dense_image' (out,1,28,28)
    weights: np.ndarray
    bias: np.ndarray | None
    input_names: tuple[str, ...] = ()   # feature names for a tabular first layer

    def __post_init__(self):
        object.__setattr__(self, "weights", _frozen(self.weights))
        if self.bias is not None:
            object.__setattr__(self, "bias", _frozen(self.bias))


@dataclass(frozen=True)
class Weights:
    method: str
    layers: tuple[LayerWeights, ...]
    params: dict = field(default_factory=dict)


# ----------------------------------------------------------------------------- helpers
def as_batch(x, input_shape: tuple[int, ...] | None = None) -> torch.Tensor:
    """One sample (input_shape) or a batch (N, *input_shape) -> float32 batch tensor."""
    t = torch.as_tensor(np.asarray(x, dtype=np.float32)) if not torch.is_tensor(x) else x.detach().float()
    if input_shape is not None and tuple(t.shape) == tuple(input_shape):
        t = t.unsqueeze(0)
    elif input_shape is None and t.dim() in (1, 3):
        t = t.unsqueeze(0)
    return t


def output_size(model: nn.Module, x: torch.Tensor) -> int:
    with torch.no_grad():
        return int(model(x[:1]).shape[1])


def check_target(target, n_classes: int) -> int:
    """A target class index in 0..n_classes-1, or a TargetError saying what is allowed."""
    if isinstance(target, bool) or not isinstance(target, (int, np.integer)):
        raise TargetError(f"Target class must be an integer, got {target!r}")
    if not 0 <= int(target) < n_classes:
        raise TargetError(
            f"Target class {target} is out of range: the model has {n_classes} classes (0..{n_classes - 1})")
    return int(target)


def resolve_target(model: nn.Module, x: torch.Tensor, target: int | None) -> int:
    """Default target is the predicted class; a bad target is a TargetError."""
    with torch.no_grad():
        logits = model(x[:1])
    if target is None:
        return int(logits.argmax(1))
    return check_target(target, int(logits.shape[1]))


def check_param(name: str, value, lo=None, hi=None, kind=float):
    try:
        v = kind(value)
    except (TypeError, ValueError):
        raise ParameterError(f"{name} must be a {kind.__name__}, got {value!r}") from None
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        raise ParameterError(f"{name} must be between {lo} and {hi}, got {value!r}")
    return v


CHANNELS_LAST_MIN_ROWS = 32
_CHANNELS_LAST_FAILS: "weakref.WeakKeyDictionary[nn.Module, bool]" = weakref.WeakKeyDictionary()


def channels_last_ok(model: nn.Module, rows: torch.Tensor) -> bool:
    """Large image batches of conv nets go channels-last: on CPU their forward (+backward)
    costs 20-50% less per row (max-pool above all). The values agree to float32 rounding
    (~1e-6 of the logits), not bit for bit, so single samples keep the usual order. A
    model that cannot take it (one calling .view() on a conv output) is remembered."""
    return (rows.dim() == 4 and len(rows) >= CHANNELS_LAST_MIN_ROWS and not _CHANNELS_LAST_FAILS.get(model, False)
            and any(isinstance(m, nn.Conv2d) for m in model.modules()))


def forward_rows(model: nn.Module, X: torch.Tensor) -> torch.Tensor:
    """model(X) for a batch of perturbations (no gradients needed), channels-last when
    channels_last_ok says so."""
    if channels_last_ok(model, X):
        try:
            return model(X.contiguous(memory_format=torch.channels_last))
        except RuntimeError:
            _CHANNELS_LAST_FAILS[model] = True
    return model(X)


def batched_forward(model: nn.Module, X: torch.Tensor, batch_size: int = 256) -> torch.Tensor:
    """Model outputs for many inputs, `batch_size` at a time, without gradients."""
    outs = []
    with torch.no_grad():
        for i in range(0, len(X), batch_size):
            outs.append(model(X[i:i + batch_size]))
    return torch.cat(outs) if outs else torch.zeros(0)


@contextlib.contextmanager
def hooks(module_hooks: list[tuple[nn.Module, str, Callable]]) -> Iterator[None]:
    """Register forward / full-backward hooks and remove them on every exit path.

    module_hooks: (module, 'forward' | 'forward_pre' | 'backward', fn).
    Exceptions propagate unchanged (nothing is swallowed).
    """
    handles = []
    try:
        for module, kind, fn in module_hooks:
            if kind == "forward":
                handles.append(module.register_forward_hook(fn))
            elif kind == "forward_pre":
                handles.append(module.register_forward_pre_hook(fn))
            elif kind == "backward":
                handles.append(module.register_full_backward_hook(fn))
            else:
                raise ValueError(f"unknown hook kind {kind!r}")
        yield
    finally:
        for h in handles:
            h.remove()


def has_hooks(model: nn.Module) -> bool:
    """True when any module still carries a hook (the contract test uses this)."""
    for m in model.modules():
        if (m._forward_hooks or m._forward_pre_hooks or m._backward_hooks
                or getattr(m, "_backward_pre_hooks", None)):
            return True
    return False


def named_layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """Leaf modules worth showing, in registration order (forward order for our zoo)."""
    keep = (nn.Conv2d, nn.Linear, nn.ReLU, nn.MaxPool2d, nn.AvgPool2d, nn.Flatten)
    return [(n, m) for n, m in model.named_modules() if n and isinstance(m, keep)]


def conv_layers(model: nn.Module) -> list[str]:
    return [n for n, m in model.named_modules() if isinstance(m, nn.Conv2d)]


def to_numpy(t: torch.Tensor) -> np.ndarray:
    return t.detach().cpu().numpy().astype(np.float32, copy=False)


Params = dict[str, Any]

"""What every method shares: frozen results, input/target handling, owned hooks."""
from __future__ import annotations

import contextlib
import math
import threading
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
    kind: str          # 'conv' (out,in,kh,kw), 'dense' (out,in), 'dense_image' (out,C,H,W)
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
    t = as_whole(target)
    if t is None:
        raise TargetError(f"Target class must be a whole number 0..{n_classes - 1}, got {shown(target)}")
    if not 0 <= t < n_classes:
        raise TargetError(
            f"Target class {t} is out of range: the model has {n_classes} classes (0..{n_classes - 1})"
            if n_classes != 1 else f"Target {t} is out of range: the model has one output, target 0")
    return t


def resolve_target(model: nn.Module, x: torch.Tensor, target: int | None) -> int:
    """Default target is the predicted class; a bad target is a TargetError."""
    with torch.no_grad():
        logits = model(x[:1])
    if target is None:
        return int(logits.argmax(1))
    return check_target(target, int(logits.shape[1]))


def shown(value, limit: int = 40) -> str:
    """repr(value) cut to `limit` characters, for messages about a value someone sent."""
    r = repr(value)
    return r if len(r) <= limit else r[:limit - 3] + "..."


def as_finite(value) -> int | float | None:
    """A finite int or float; None for anything else: booleans, NaN, ±inf, text (even
    "50": a request carries numbers as numbers, and one spelling keeps one cache key),
    lists."""
    if isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)) and math.isfinite(value):
        return float(value)
    return None


def as_whole(value) -> int | None:
    """value as an int when it is a whole finite number (5 or 5.0), else None."""
    v = as_finite(value)
    if isinstance(v, float):
        return int(v) if v.is_integer() else None
    return v


def _allowed(lo, hi) -> str:
    def fmt(x):
        return f"{x:g}" if isinstance(x, float) else str(x)   # 1e+06, not 1000000.0
    if lo is not None and hi is not None:
        return f"between {fmt(lo)} and {fmt(hi)}"
    if lo is not None:
        return f"at least {fmt(lo)}"
    return f"at most {fmt(hi)}" if hi is not None else ""


def _kind_error(name: str, what: str, value, lo, hi) -> ParameterError:
    rng = _allowed(lo, hi)
    rng = f" {rng}" if rng.startswith("between") else (f" ({rng})" if rng else "")
    return ParameterError(f"{name} must be {what}{rng}, got {shown(value)}")


MAX_WHOLE = 2**53   # the largest whole numbers a float (and JSON) carries exactly


def check_param(name: str, value, lo=None, hi=None, kind=float):
    """A parameter as its canonical value (kind int: an int; kind float: a finite float;
    kind str: text), or a ParameterError naming it and what it allows. Booleans, text,
    NaN, ±inf, numbers beyond float range and whole-number parameters given a fraction
    are refused; 50 and 50.0 are one value (and one cache key)."""
    if kind is str:
        if not isinstance(value, str) or len(value) > 200:
            raise ParameterError(f"{name} must be a name (text), got {shown(value)}")
        return value
    v = as_whole(value) if kind is int else as_finite(value)
    what = "a whole number" if kind is int else "a finite number"
    if v is None:
        raise _kind_error(name, what, value, lo, hi)
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        raise ParameterError(f"{name} must be {_allowed(lo, hi)}, got {shown(value)}")
    if kind is int:
        if abs(v) > MAX_WHOLE:    # no bounds to stop it: a count past this is a typo or an attack
            raise _kind_error(name, what, value, lo, hi)
        return v
    try:
        return float(v) + 0.0   # + 0.0: -0.0 and 0.0 are one value
    except OverflowError:       # an int beyond float range and no bounds to stop it
        raise _kind_error(name, what, value, lo, hi) from None


# From this many rows on, channels-last is faster: forward+backward per row, 1 thread, channels-last
# over the usual order, measured: mnist-cnn 0.72 at 4 rows, 0.73 at 8, 0.72 at 26; the RGB shortcut CNN
# 0.91 at 4, 0.83 at 8, 0.68 at 26; digits-8x8 0.87 at 8 (a 25-draw SmoothGrad is 26 rows).
CHANNELS_LAST_MIN_ROWS = 8
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

    module_hooks: (module, 'forward' | 'forward_kwargs' | 'forward_pre' | 'backward', fn).
    Exceptions propagate unchanged (nothing is swallowed).
    Forward hooks fire only for forwards run by the thread that registered them: other
    threads (an integrated-gradients map of the same shared model) are neither seen by
    them nor changed. Full backward hooks change every caller's autograd graph: a method
    using them must have the model to itself.
    """
    handles = []
    try:
        for module, kind, fn in module_hooks:
            if kind == "forward":
                handles.append(module.register_forward_hook(_this_thread(fn)))
            elif kind == "forward_kwargs":     # fn(module, args, kwargs, output)
                handles.append(module.register_forward_hook(_this_thread(fn), with_kwargs=True))
            elif kind == "forward_pre":
                handles.append(module.register_forward_pre_hook(_this_thread(fn)))
            elif kind == "backward":
                handles.append(module.register_full_backward_hook(fn))
            else:
                raise ValueError(f"unknown hook kind {kind!r}")
        yield
    finally:
        for h in handles:
            h.remove()


def _this_thread(fn: Callable) -> Callable:
    owner = threading.get_ident()

    def hook(*args):
        if threading.get_ident() == owner:
            return fn(*args)
        return None
    return hook


def has_hooks(model: nn.Module) -> bool:
    """True when any module still carries a hook (the contract test uses this)."""
    for m in model.modules():
        if (m._forward_hooks or m._forward_pre_hooks or m._backward_hooks
                or getattr(m, "_backward_pre_hooks", None)):
            return True
    return False


def layer_type(m: nn.Module) -> str:
    """The class name a layer was built from: its own, or for a layer loaded from a model
    file the name recorded there (`glimpse_type`: a TorchScript submodule's original_name,
    the type a torch.export program noted for each of its submodules)."""
    return getattr(m, "glimpse_type", None) or type(m).__name__


def is_layer(m: nn.Module, cls: type | tuple[type, ...]) -> bool:
    """isinstance(m, cls), or a layer from a model file that was built as one of them."""
    classes = cls if isinstance(cls, tuple) else (cls,)
    return isinstance(m, classes) or layer_type(m) in {c.__name__ for c in classes}


def watched(m: nn.Module) -> bool:
    """False for a layer whose output no hook can see: it runs inside compiled code (a
    TorchScript forward that does more than call its layers in turn); see `glimpse_hidden`."""
    return not getattr(m, "glimpse_hidden", False)


def named_layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """Leaf modules worth showing, in registration order (forward order for our zoo)."""
    keep = (nn.Conv2d, nn.Linear, nn.ReLU, nn.MaxPool2d, nn.AvgPool2d, nn.Flatten)
    # an nn.MultiheadAttention's out_proj is a Linear its forward never calls as a module
    inside = tuple(f"{n}." for n, m in model.named_modules() if n and is_layer(m, nn.MultiheadAttention))
    return [(n, m) for n, m in model.named_modules()
            if n and is_layer(m, keep) and watched(m) and not (inside and n.startswith(inside))]


def conv_layers(model: nn.Module) -> list[str]:
    return [n for n, m in model.named_modules() if is_layer(m, nn.Conv2d) and watched(m)]


def to_numpy(t: torch.Tensor) -> np.ndarray:
    return t.detach().cpu().numpy().astype(np.float32, copy=False)


Params = dict[str, Any]

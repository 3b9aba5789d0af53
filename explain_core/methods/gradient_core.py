"""The gradient methods' shared helpers: one sample as a batch, a batch's input gradients
(one forward+backward, channels-last where it pays), a model's affine stem, targets and
the row ranges every batched method walks (methods/gradients.py, integrated.py)."""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..errors import TargetError
from ..models.architectures import AffineStem
from .base import _CHANNELS_LAST_FAILS, as_batch, batched_forward, channels_last_ok, check_param, check_target

# Rows per model call. A small CNN's forward+backward costs about half as much per row
# at 256-512 rows as at 2,048 on a 2-core CPU (the activations stay in cache): see
# docs/PERFORMANCE.md.
DEFAULT_ROWS = 512
IG_RULES = ("gausslegendre", "riemann_trapezoid", "riemann_left", "riemann_right", "riemann_middle")


# ---------------------------------------------------------------------------- helpers
def one_sample(x) -> torch.Tensor:
    """One sample (numpy or tensor, with or without a batch dim of 1) -> (1, *shape) float32."""
    t = torch.as_tensor(np.asarray(x, dtype=np.float32)) if not torch.is_tensor(x) else x.detach().float()
    if t.dim() in (1, 3):
        t = t.unsqueeze(0)
    if t.shape[0] != 1:
        raise ValueError(f"attribute() explains one sample; got a batch of shape {tuple(t.shape)}")
    return t.clone()


def _channels_last(model: nn.Module, rows: torch.Tensor) -> bool:
    """Image batches of conv nets go channels-last for their forward+backward (see
    base.channels_last_ok); single samples (saliency, gradient x input) keep the usual
    memory order and match Captum exactly."""
    return channels_last_ok(model, rows)


def _leaf(rows: torch.Tensor, channels_last: bool) -> torch.Tensor:
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    return rows.detach().clone(memory_format=fmt).requires_grad_(True)


def _forward(model: nn.Module, rows: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """model(fresh leaf copy of rows) -> (out, the leaf). A model that cannot take
    channels-last input (one calling .view() on a conv output) is remembered and run
    in the usual memory order."""
    if _channels_last(model, rows):
        X = _leaf(rows, True)
        try:
            return model(X), X
        except RuntimeError:
            _CHANNELS_LAST_FAILS[model] = True
    X = _leaf(rows, False)
    return model(X), X


def input_gradients(model: nn.Module, X: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """d logit[target_i] / d X_i for every row, in one forward/backward."""
    with torch.enable_grad():
        out, X = _forward(model, X)
        picked = out.gather(1, targets.view(-1, 1).to(torch.long))
        (grad,) = torch.autograd.grad(picked.sum(), X)
    return grad.detach().contiguous()


def fused_gradients(model: nn.Module, rows: torch.Tensor, n_grad: int, probe: int, target):
    """One forward over `rows` and one backward of the target logit summed over the first
    `n_grad` rows. The target (default: the prediction) is read from row `probe`, the
    sample itself, inside the same forward, so explaining one sample costs one model
    call instead of a separate prediction call plus the gradient call.
    -> (gradients of the first n_grad rows, logits of every row (detached), target)."""
    with torch.enable_grad():
        out, X = _forward(model, rows)
        t = int(out[probe].argmax()) if target is None else check_target(target, int(out.shape[1]))
        (grad,) = torch.autograd.grad(out[:n_grad, t].sum(), X)
    return grad[:n_grad].detach().contiguous(), out.detach(), t


def affine_stem(model: nn.Module) -> AffineStem | None:
    """The model's affine stem (see AffineStem), or None: TorchScript and other models
    take the general path."""
    get = getattr(type(model), "affine_stem", None)
    stem = get(model) if callable(get) and not isinstance(model, torch.jit.ScriptModule) else None
    return stem if isinstance(stem, AffineStem) else None


def _target_index(target) -> int:
    """A target's type and sign, checked before the model runs; its upper bound is
    checked on the logits (check_target), which say how many classes there are."""
    if isinstance(target, bool) or not isinstance(target, (int, np.integer)):
        return check_target(target, 1)      # raises the usual TargetError
    if int(target) < 0:
        raise TargetError(f"Target class {target} is out of range: classes are numbered from 0")
    return int(target)


def _batch_and_targets(model, X, targets, batch_size, resolve: bool = True):
    """X as a float batch and targets as a long tensor; targets None -> the predictions
    (or stays None with resolve=False, for paths that read them in their own forward)."""
    X = as_batch(X)
    if targets is None:
        if not resolve:
            return X, None
        targets = batched_forward(model, X, batch_size).argmax(1)
    targets = torch.as_tensor(np.asarray(targets), dtype=torch.long).view(-1)
    if len(targets) != len(X):
        raise ValueError(f"{len(X)} samples but {len(targets)} targets")
    if len(targets) and targets.min() < 0:
        raise ValueError("targets must be class indices (>= 0)")  # too large fails in gather
    return X, targets


def _rows(n_samples: int, per_sample: int, batch_size: int):
    """Flat row ranges over (sample, step) pairs, sample-major, batch_size rows each."""
    total = n_samples * per_sample
    for start in range(0, total, batch_size):
        r = torch.arange(start, min(start + batch_size, total))
        yield r // per_sample, r % per_sample


def _rows_param(batch_size) -> int:
    return DEFAULT_ROWS if batch_size is None else int(check_param("batch_size", batch_size, 1, None, int))

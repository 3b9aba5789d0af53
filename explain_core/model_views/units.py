"""Unit contributions (output-weight analysis, issue 9 view 7): how the last dense layer's
input units add up to the explained score, and what each unit responds to.

For the last nn.Linear of the model, z_j = Σ_i a_i W[j, i] + b_j, so with the explained
score s·z_j (s = −1 for the negative class of a one-output binary model, else 1) every
unit i contributes s·a_i·W[j, i] and the bias s·b_j: they sum to the score exactly.
(For a model that applies its own sigmoid, z is the logit before it.)

Two analyses: 'unit_contributions' for one sample and target (one hooked forward), and
'unit_responses' over the held-out set: each unit's top-activating held-out samples, read
from the shared held-out pass (ctx.held_out().activations) when the layer before the last
Linear is what feeds it, else from one hooked pass over the same rows.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ..errors import ParameterError
from ..methods.base import _frozen, check_param, check_target, hooks, is_layer, named_layers, watched
from . import register

TOP_K = 12       # top-activating held-out samples kept per unit
BATCH = 500


@dataclass(frozen=True)
class UnitContributions:
    layer: str                 # the last dense layer ('fc2')
    sample: int
    target: int
    activations: np.ndarray    # (units,) the layer's input for this sample
    weights: np.ndarray        # (units,) s·W[j, :]: each unit's outgoing weight to the explained score
    contributions: np.ndarray  # (units,) activations × weights
    bias: float                # s·b_j
    score: float               # Σ contributions + bias: s·z_j, from the layer's own output
    output: float              # the explained score the model gives (head.scores), for comparison
    direct: bool               # whether the layer's output is the model's output (score == output)
    logit: bool                # a model applying its own sigmoid: score is the logit before it

    def __post_init__(self):
        for name in ("activations", "weights", "contributions"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))


@dataclass(frozen=True)
class UnitResponses:
    layer: str                 # the last dense layer
    source: str                # 'held-out pass (relu3)' or 'hooked pass'
    ids: np.ndarray            # (m,) the held-out rows looked at
    top_ids: np.ndarray        # (units, k) row ids, most activating first
    top_values: np.ndarray     # (units, k) their activations
    mean: np.ndarray           # (units,) mean activation over the rows
    active: np.ndarray         # (units,) fraction of rows where the unit is > 0

    def __post_init__(self):
        for name in ("ids", "top_ids", "top_values", "mean", "active"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))


def last_dense(model: nn.Module) -> tuple[str, nn.Module]:
    """(name, module) of the model's last nn.Linear a hook can see, or a ParameterError."""
    found = [(n, m) for n, m in model.named_modules() if n and is_layer(m, nn.Linear) and watched(m)]
    if not found or not hasattr(found[-1][1], "weight"):
        raise ParameterError("Unit contributions need a model whose last layer is a dense (nn.Linear) layer "
                             "Glimpse can see; this model has none")
    return found[-1]


def column_and_sign(output: str, target: int) -> tuple[int, float]:
    """Which output of the last layer a target's score reads, and its sign (heads.Head.scores)."""
    if output == "logits":
        return target, 1.0
    if output in ("logit", "probability"):
        return 0, (1.0 if target == 1 else -1.0)
    return 0, 1.0


def target_scaler(model: nn.Module) -> tuple[float, float]:
    """(scale, shift) a regression model applies after its last layer to give the target's
    units (architectures.TabularMLP's target scaler), else (1, 0): contributions are then
    in the target's units and still add up to the prediction."""
    scale, mean = getattr(model, "target_scale", None), getattr(model, "target_mean", None)
    if isinstance(scale, torch.Tensor) and isinstance(mean, torch.Tensor) and scale.numel() == mean.numel() == 1:
        return float(scale), float(mean)
    return 1.0, 0.0


def layer_io(model: nn.Module, layer: nn.Module, X: torch.Tensor) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(the layer's input, its output, the model's output) for a batch, in one hooked forward."""
    seen = {}

    def keep(_m, inputs, output):
        seen["in"], seen["out"] = inputs[0].detach(), output.detach()
    with hooks([(layer, "forward", keep)]), torch.no_grad():
        model.eval()
        out = model(X)
    return (seen["in"].reshape(len(X), -1).double().numpy(), seen["out"].double().numpy(),
            out.reshape(len(X), -1).double().numpy())


def contributions(model: nn.Module, output: str, x: np.ndarray, target: int | None, sample: int = -1,
                  lock=None) -> UnitContributions:
    """The contributions for one input x (the input's shape); target None: the prediction."""
    name, layer = last_dense(model)
    X = torch.as_tensor(np.asarray(x, dtype=np.float32))[None]
    if lock is not None:
        with lock:
            a, z, out = layer_io(model, layer, X)
    else:
        a, z, out = layer_io(model, layer, X)
    a, z, out = a[0], z[0], out[0]
    n_classes = len(out) if output == "logits" else (2 if output != "value" else 1)
    if target is None:
        target = int(np.argmax(out)) if output == "logits" else (int(z[0] > 0) if output == "logit" else
                                                                 int(out[0] > 0.5) if output == "probability" else 0)
    target = check_target(target, n_classes)
    j, s = column_and_sign(output, target)
    w = s * layer.weight.detach().double().numpy()[j]
    bias = s * float(layer.bias.detach()[j]) if layer.bias is not None else 0.0
    score = s * float(z[j])
    scale, shift = target_scaler(model) if output == "value" else (1.0, 0.0)
    w, bias, score, z = w * scale, bias * scale + shift, score * scale + shift, z * scale + shift
    logit = output == "probability"
    model_score = out[j] * s if output != "probability" else (out[0] if target == 1 else 1 - out[0])
    direct = (np.allclose(out[:len(z)], z, rtol=1e-5, atol=1e-5) if output != "probability"
              else np.allclose(out[0], 1 / (1 + np.exp(-z[0])), rtol=1e-5, atol=1e-6)) and len(out) == len(z)
    return UnitContributions(name, int(sample), int(target), a, w, a * w, bias, score, float(model_score),
                             bool(direct), logit)


def top_activating(acts: np.ndarray, ids: np.ndarray, k: int = TOP_K) -> tuple[np.ndarray, np.ndarray]:
    """(units, k) row ids and activations of each unit's k largest activations, largest
    first (ties: the earlier row first)."""
    acts = np.asarray(acts, dtype=np.float64).reshape(len(acts), -1)
    k = min(k, len(acts))
    order = np.argsort(-acts, axis=0, kind="stable")[:k].T           # (units, k)
    return np.asarray(ids)[order], np.take_along_axis(acts.T, order, axis=1)


# ---------------------------------------------------------------------------- the analyses
def _unit_contributions(ctx, sample: int, target):
    return contributions(ctx.model, ctx.head.output, ctx.data.X[sample], target, sample, ctx.hook_lock)


def _sample_params(raw: dict, ctx) -> dict:
    sample = raw.pop("sample", None)
    target = raw.pop("target", None)
    if raw:
        raise ParameterError(f"Unit contributions take a sample and a target; got also {', '.join(sorted(raw))}")
    n = len(ctx.data.X)
    sample = check_param("sample", sample, 0, n - 1, int)
    if target is not None:
        target = check_target(target, len(ctx.data.class_names))
    last_dense(ctx.model)
    return {"sample": sample, "target": target}


def _feeding_layer(ctx, layer_name: str, units: int) -> str | None:
    """The named layer whose held-out activations are the last Linear's input (the one
    registered just before it, if its output has `units` values per row), else None."""
    names = [n for n, _ in named_layers(ctx.model)]
    if layer_name not in names or names.index(layer_name) == 0:
        return None
    before = names[names.index(layer_name) - 1]
    acts = ctx.held_out().activations.get(before)
    return before if acts is not None and acts[0].size == units else None


def _unit_responses(ctx):
    name, layer = last_dense(ctx.model)
    p = ctx.held_out()
    ids = p.act_ids
    units = int(layer.weight.shape[1])
    before = _feeding_layer(ctx, name, units)
    acts = None
    if before is not None and len(ids):
        acts = p.activations[before].reshape(len(ids), -1)
        with ctx.hook_lock:       # check on two rows that it is what the layer reads (not a functional op away)
            probe, _, _ = layer_io(ctx.model, layer, torch.as_tensor(ctx.data.X[ids[:2]]))
        if not np.allclose(probe, acts[:2], rtol=1e-4, atol=1e-5):
            acts = None
    source = f"held-out pass ({before})" if acts is not None else "hooked pass"
    if acts is None:
        chunks = []
        with ctx.hook_lock:
            for i in range(0, len(ids), BATCH):
                chunks.append(layer_io(ctx.model, layer, torch.as_tensor(ctx.data.X[ids[i:i + BATCH]]))[0])
        acts = np.concatenate(chunks) if chunks else np.zeros((0, units))
    top_ids, top_values = top_activating(acts, ids)
    return UnitResponses(name, source, np.asarray(ids), top_ids, top_values.astype(np.float32),
                         acts.mean(0).astype(np.float32), (acts > 0).mean(0).astype(np.float32))


register("unit_contributions", _unit_contributions, "Unit contributions (one sample)", params=_sample_params)
register("unit_responses", _unit_responses, "What each unit of the last dense layer responds to")

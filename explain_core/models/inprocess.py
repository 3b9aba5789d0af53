"""Models handed over in this process (glimpse.show, glimpse.explain): run on their data
with clear messages when they fail, their task told from their outputs, then registered
with the service like any other model.

Unlike an uploaded file, such a model is the caller's own code running in the caller's
process already: it is called directly, not in a sandbox.
"""
from __future__ import annotations

from collections import Counter

import numpy as np
import torch
from torch import nn

from ..errors import ModelError, ParameterError, UnsupportedError
from ..methods.base import layer_type
from .heads import MULTICLASS, REGRESSION, Head, binary_output
from .store import content_hash
from .zoo import ModelSpec, TrainedModel

TASKS = ("classification", "regression")
BATCH = 1000


def outputs(module: nn.Module, X: np.ndarray, batch_size: int = BATCH) -> np.ndarray:
    """The model's outputs (n, width) for the samples X, or a ModelError saying what went
    wrong: it raises (on a batch of two, then on all rows), returns something other than
    one tensor of shape (n, width), or returns NaN or infinite values."""
    if not isinstance(module, nn.Module):
        raise ModelError(f"The model must be a torch.nn.Module; got {type(module).__name__}.")
    module.eval()
    parts = []
    with torch.inference_mode():
        for i in range(0, len(X), batch_size):
            parts.append(_forward(module, X[i:i + batch_size], X.shape[1:]))
    out = np.concatenate(parts)
    bad = ~np.isfinite(out).all(axis=1)
    if bad.any():
        raise ModelError(f"The model returns NaN or infinite values for {int(bad.sum())} of {len(X)} samples "
                         f"(the first is sample {int(np.flatnonzero(bad)[0])}).")
    return out


def _forward(module: nn.Module, rows: np.ndarray, shape) -> np.ndarray:
    if not rows.flags.writeable:          # e.g. pandas 3's copy-on-write arrays: torch warns
        rows = rows.copy()
    try:
        out = module(torch.as_tensor(rows))
    except Exception as e:  # noqa: BLE001 - the caller's code: any failure becomes one clear message
        raise ModelError(f"The model fails on a batch of {len(rows)} inputs of shape {tuple(shape)} each "
                         f"({type(e).__name__}: {e}). Check that the data has the shape the model takes.") from e
    if not torch.is_tensor(out):
        raise ModelError(f"The model returns a {type(out).__name__}; it must return one tensor of outputs "
                         "of shape (batch, outputs).")
    if out.dim() == 1 and len(out) == len(rows):
        out = out.unsqueeze(1)            # (batch,): one output per sample
    if out.dim() != 2 or out.shape[0] != len(rows):
        raise ModelError(f"The model returns shape {tuple(out.shape)} for a batch of {len(rows)}; expected "
                         f"({len(rows)}, outputs): one row of outputs per sample.")
    return out.detach().float().cpu().numpy()


def infer_task(width: int, y=None, task: str | None = None) -> str:
    """'classification' or 'regression', from `task` or else from the output width and the
    labels: one output with labels that are not two classes is a regression. Regression
    takes one output."""
    if task is not None and task not in TASKS:
        raise ParameterError(f"task must be 'classification' or 'regression', got {task!r}")
    if task is None:
        task = "classification" if width > 1 or y is None or _looks_like_classes(y) else "regression"
    if task == "regression" and width != 1:
        raise UnsupportedError(f"A regression model must return one output per sample (the predicted value); "
                               f"this one returns {width}. Explain one output at a time, or use "
                               "task='classification' if these are class scores.")
    return task


def infer_head(outputs_: np.ndarray, task: str, output: str | None = None) -> Head:
    """The head for outputs (n, width) of a model of `task` (infer_task): multi-class logits,
    one logit or one probability (`output`, default binary_output: all outputs in 0..1 is a
    probability), or a regression value."""
    if output is not None and (output not in ("logit", "probability") or task != "classification"
                               or outputs_.shape[1] != 1):
        raise ParameterError(f"output={output!r}: say 'logit' or 'probability' for a classifier with one output "
                             f"(this model has {outputs_.shape[1]} outputs, task {task!r}).")
    if task == "regression":
        return REGRESSION
    if outputs_.shape[1] == 1:
        return Head(output or binary_output(outputs_))
    return MULTICLASS


def class_names_for(given, head: Head, width: int) -> tuple[str, ...]:
    """One name per output; two for one output over two classes (default negative, positive);
    for regression the target's name (default 'value')."""
    want = 1 if head.task == "regression" else (2 if head.binary else width)
    if given is None:
        if head.task == "regression":
            return ("value",)
        return ("negative", "positive") if head.binary else tuple(str(k) for k in range(width))
    given = (given,) if isinstance(given, str) and want == 1 else tuple(str(c) for c in given)
    if len(given) != want:
        what = ("one name: the target's (a regression)" if head.task == "regression" else
                "two names, negative class first, for a single-output binary classifier" if head.binary else
                "one name per output")
        raise ModelError(f"{len(given)} class names were given, but the model returns {width} output"
                         f"{'s' if width != 1 else ''} per sample: give {what}.")
    return given


def _looks_like_classes(y) -> bool:
    y = np.asarray(y).reshape(-1)
    if y.dtype.kind not in "iufb":
        return True                        # names
    return bool(np.isfinite(y).all() and (y == np.round(y)).all() and len(np.unique(y)) <= 2)


def describe(module: nn.Module) -> str:
    """'ResNetish: Conv2d×3, BatchNorm2d×2, Linear×1; 12,345 parameters'."""
    leaves = Counter(layer_type(m) for m in module.modules() if not list(m.children()) and m is not module)
    parts = ", ".join(f"{k}×{v}" for k, v in leaves.most_common(6))
    n = sum(p.numel() for p in module.parameters())
    return f"{layer_type(module)}: {parts + '; ' if parts else ''}{n:,} parameters"


def trained_model(module: nn.Module, data, model_id: str, title: str, source: str = "python",
                  logits: np.ndarray | None = None, labelled: bool = True,
                  head: Head | None = None) -> tuple[TrainedModel, np.ndarray]:
    """The model checked on every sample of `data` (a Dataset), ready to register, and its
    outputs for them (the sample table needs no second pass). labelled=False: data.y holds
    no true labels, so the accuracy is unknown (NaN). head: default told from the outputs
    and the data's task (infer_head)."""
    logits = outputs(module, data.X) if logits is None else logits
    head = head or infer_head(logits, data.task)
    if logits.shape[1] != (head.width or data.n_classes):
        raise ModelError(f"The model returns {logits.shape[1]} outputs per sample, but there are "
                         f"{data.n_classes} classes ({', '.join(data.class_names[:10])}): give one class name "
                         "per output (or two for a single-output binary classifier).")
    test = data.test_idx
    accuracy = float("nan")
    if labelled and head.task == "classification":
        from ..model_facts import answers
        accuracy = float((answers(head, logits[test])[0] == data.y[test]).mean())
    spec = ModelSpec(model_id, title, data.name, describe(module))
    return TrainedModel(spec, module, data, accuracy, content_hash(module), source=source, head=head), logits

"""What a model's outputs mean, and the view of them every method explains.

Three heads:

- multi-class logits (k ≥ 2 outputs, softmax): targets are the classes, as they always were;
- one output for two classes ('binary'): a logit (p = sigmoid(z)) or a probability p
  that the model computes itself. Classes are (negative, positive). The positive class
  explains the output itself, "towards positive"; the negative class explains the negated
  output (−z, or 1 − p): every attribution is the positive one with its sign flipped,
  only Grad-CAM (a ReLU of a weighted sum) and LIME's probability differ by more;
- regression: one continuous output; the only target is the predicted value.

Methods see `HeadView(module, head)`: a module whose outputs are one score per class
(`Head.scores`), so a target picks a column as with multi-class logits. `Head.link` says
how LIME and the sample table turn a score into the quantity they use: softmax over the
classes, sigmoid of the score, or the score itself.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

OUTPUTS = ("logits", "logit", "probability", "value")


@dataclass(frozen=True)
class Head:
    output: str = "logits"     # one of OUTPUTS

    def __post_init__(self):
        if self.output not in OUTPUTS:
            raise ValueError(f"unknown head output {self.output!r}")

    @property
    def task(self) -> str:
        return "regression" if self.output == "value" else "classification"

    @property
    def binary(self) -> bool:
        return self.output in ("logit", "probability")

    @property
    def width(self) -> int | None:
        """How many outputs the model itself returns (None: as many as classes)."""
        return None if self.output == "logits" else 1

    @property
    def link(self) -> str:
        """From a score to what LIME regresses and the table calls a probability."""
        return {"logits": "softmax", "logit": "sigmoid"}.get(self.output, "identity")

    @property
    def wraps(self) -> bool:
        """Whether methods need a HeadView (multi-class logits are their own scores)."""
        return self.output != "logits"

    def scores(self, out: torch.Tensor) -> torch.Tensor:
        """(n, classes) scores a target picks from: [−z, z] for a logit, [1 − p, p] for a
        probability, the output itself otherwise. A 1-D output is one column."""
        if out.dim() == 1:
            out = out.unsqueeze(1)
        if self.output == "logit":
            return torch.cat([-out, out], 1)
        if self.output == "probability":
            return torch.cat([1 - out, out], 1)
        return out

    def probabilities(self, scores: np.ndarray) -> np.ndarray:
        """Class probabilities (n, classes) from scores (classification heads)."""
        s = np.asarray(scores, dtype=np.float64)
        if self.link == "softmax":
            s = s - s.max(axis=1, keepdims=True)
            e = np.exp(s)
            return (e / e.sum(axis=1, keepdims=True)).astype(np.float32)
        if self.link == "sigmoid":
            return (1.0 / (1.0 + np.exp(-s))).astype(np.float32)
        return s.astype(np.float32)

    def describe(self, class_names=()) -> str:
        """One line for the model card: what the output is and what each target explains."""
        neg, pos = (tuple(class_names) + ("negative", "positive"))[:2] if len(class_names) == 2 \
            else ("negative", "positive")
        if self.output == "logit":
            return (f"one logit z, p({pos}) = sigmoid(z). '{pos}' explains z (towards {pos}); "
                    f"'{neg}' explains −z: the same maps with their signs flipped")
        if self.output == "probability":
            return (f"one probability p({pos}) (the model applies the sigmoid itself). '{pos}' explains p; "
                    f"'{neg}' explains 1 − p: the same maps with their signs flipped")
        if self.output == "value":
            return "one continuous output (regression): every method explains the predicted value"
        return "one logit per class (softmax)"


MULTICLASS = Head("logits")
REGRESSION = Head("value")


def binary_output(values: np.ndarray) -> str:
    """'probability' when every single output lies in 0..1 (a model that applies its own
    sigmoid), else 'logit'. A logit model whose outputs all fall in 0..1 would predict
    the positive class for every sample; say output= to override."""
    v = np.asarray(values, dtype=np.float64)
    return "probability" if v.size and float(v.min()) >= 0.0 and float(v.max()) <= 1.0 else "logit"


class HeadView(nn.Module):
    """`module` with its outputs turned into one score per class (Head.scores). Its layers
    keep their own names (named_modules is the wrapped module's), so layer activations,
    Grad-CAM's layer and hooks read as they do on the model itself."""

    def __init__(self, module: nn.Module, head: Head):
        super().__init__()
        self.inner = module
        self.head = head

    def forward(self, x):
        return self.head.scores(self.inner(x))

    def named_modules(self, memo=None, prefix: str = "", remove_duplicate: bool = True):
        return self.inner.named_modules(memo, prefix, remove_duplicate)

    def affine_stem(self):
        """The wrapped model's affine stem with the scores after its head (gradients.py)."""
        from ..methods.gradients import affine_stem
        from .architectures import AffineStem

        stem = affine_stem(self.inner)
        if stem is None:
            return None
        pooled = stem.pooled_head
        return AffineStem(stem.affine, lambda z: self.head.scores(stem.head(z)), stem.pool,
                          None if pooled is None else (lambda q: self.head.scores(pooled(q))))


def explained(module: nn.Module, head: Head) -> nn.Module:
    """What the methods run: the module itself for multi-class logits, else a HeadView."""
    return HeadView(module, head) if head.wraps else module


def head_of(module: nn.Module) -> Head:
    """The head of a module the methods were given (MULTICLASS unless a HeadView)."""
    return module.head if isinstance(module, HeadView) else MULTICLASS

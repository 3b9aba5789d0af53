"""One batched forward over a model's held-out rows, shared by every model-level view.

Predictions, probabilities and per-sample losses come for every held-out row (up to
ROWS_LIMIT, a seeded subset beyond it); the activations of every named layer, which are
large, for the first ACTIVATION_ROWS of them (every held-out row of the built-in models).
They are computed once per model content hash and kept in this process (the small
results computed from them go to the shared cache).
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from functools import cached_property

import numpy as np
import torch

from ..methods.base import named_layers, to_numpy
from ..model_facts import answers
from ..models.training import predict_logits

ROWS_LIMIT = 20_000
TRAIN_ROWS = 2_000
ACTIVATION_ROWS = 1_000
BATCH = 500


class HeldOutPass:
    """The model's answers on its held-out rows (or a sample of its training rows).

    ids: row ids into the data set; labels, logits (raw outputs), probabilities
    ((n, classes); for regression the predicted value as one column), predictions (class or
    value), loss (per row: cross-entropy of the true class, or squared error).
    `activations` (computed on first use): {layer name: array (m, *shape)} over `act_ids`,
    the first ACTIVATION_ROWS of ids, from one hooked forward.
    """

    def __init__(self, tm, ids: np.ndarray, hook_lock, subset: bool):
        self._tm, self._hook_lock, self._lock = tm, hook_lock, threading.Lock()
        self.ids = ids
        self.subset = subset             # True: a seeded sample of the rows, not all of them
        self.labels = tm.data.y[ids]
        self.logits = predict_logits(tm.module, tm.data.X[ids]) if len(ids) else np.zeros((0, 1), np.float32)
        self.predictions, self.probabilities = answers(tm.head, self.logits)
        self.task = tm.head.task
        self.loss = _loss(self.task, self.labels, self.predictions, self.probabilities)
        for a in (self.labels, self.logits, self.predictions, self.probabilities, self.loss):
            a.setflags(write=False)

    @property
    def X(self) -> np.ndarray:
        return self._tm.data.X[self.ids]

    @property
    def act_ids(self) -> np.ndarray:
        return self.ids[:ACTIVATION_ROWS]

    @cached_property
    def activations(self) -> dict[str, np.ndarray]:
        with self._lock:
            return _activations(self._tm.module, self._tm.data.X[self.act_ids], self._hook_lock)


def _loss(task: str, labels, predictions, probabilities) -> np.ndarray:
    if task == "regression":
        return ((predictions.astype(np.float64) - labels.astype(np.float64)) ** 2).astype(np.float32)
    p = probabilities[np.arange(len(labels)), labels.astype(np.int64)]
    return (-np.log(np.clip(p, 1e-12, 1.0))).astype(np.float32)


def _activations(module, X: np.ndarray, hook_lock) -> dict[str, np.ndarray]:
    layers = named_layers(module)
    out: dict[str, list] = {name: [] for name, _ in layers}
    with hook_lock:
        handles = [m.register_forward_hook(_keep(out[name])) for name, m in layers]
        try:
            module.eval()
            with torch.inference_mode():
                for i in range(0, len(X), BATCH):
                    module(torch.as_tensor(X[i:i + BATCH]))
        finally:
            for h in handles:
                h.remove()
    acts = {name: np.concatenate(chunks) for name, chunks in out.items() if chunks}
    for a in acts.values():
        a.setflags(write=False)
    return acts


def _keep(sink: list):
    def hook(_m, _inputs, output):
        if isinstance(output, torch.Tensor):
            sink.append(to_numpy(output).copy())
    return hook


def rows(data, train: bool, seed: int) -> tuple[np.ndarray, bool]:
    """(row ids, subset?) of the held-out split, or of up to TRAIN_ROWS training rows."""
    idx = np.asarray(data.train_idx if train else data.test_idx, dtype=np.int64)
    limit = TRAIN_ROWS if train else ROWS_LIMIT
    if len(idx) <= limit:
        return idx, False
    pick = np.random.default_rng(seed).choice(len(idx), size=limit, replace=False)
    return np.sort(idx[pick]), True


class PassCache:
    """The last few models' passes in this process, by (content hash, train)."""

    def __init__(self, keep: int = 3):
        self._keep, self._lock, self._passes = keep, threading.Lock(), OrderedDict()
        self._building: dict = {}

    def get(self, key, build):
        with self._lock:
            if key in self._passes:
                self._passes.move_to_end(key)
                return self._passes[key]
            gate = self._building.setdefault(key, threading.Lock())
        with gate:                       # one build per key; the others wait for it
            with self._lock:
                if key in self._passes:
                    return self._passes[key]
            value = build()
            with self._lock:
                self._passes[key] = value
                self._building.pop(key, None)
                while len(self._passes) > self._keep:
                    self._passes.popitem(last=False)
            return value

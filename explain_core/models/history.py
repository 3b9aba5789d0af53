"""What a model's training did, epoch by epoch: loss and accuracy on training and held-out
rows, and per-layer histograms of its weights, of its activations on a fixed held-out
batch and of the gradients of the loss on that batch. Recorded by HistoryRecorder (the
on_epoch hook of training.train) and stored beside the weights (store_history.py).

Training itself is untouched: the recorder runs in eval mode, takes gradients with
torch.autograd.grad (the parameters' .grad stays as the optimiser left it) and draws no
random numbers, so the trained weights are the same with or without it. What it costs is
kept small: the curves every epoch, the histograms at up to HISTOGRAM_EPOCHS epochs, and a
large layer's activations from an even sample of ACTIVATION_VALUES of its values
(python -m bench.history_overhead measures it).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from ..methods.base import is_layer, named_layers
from .histograms import FineHistogram, fine_histogram, shared_histograms
from .training import TrainProgress, _loss, predict_logits

HISTORY_VERSION = 1      # part of the zoo's store key: a store without histories retrains
FIXED_ROWS = 256         # the held-out batch activations and gradients are recorded on
TRAIN_ROWS = 500         # training rows scored at each epoch's end (evenly spread, fixed): 500 keep the
                         # CNN's overhead down (a forward of 1,000 digits costs 1/6 of an epoch)
HISTOGRAM_EPOCHS = 30    # histograms at up to this many epochs, evenly spread (first and last kept)
ACTIVATION_VALUES = 1 << 18   # a layer's activations beyond this many: an even 1-in-k sample of them
KINDS = ("weights", "activations", "gradients")
SCORE_BATCH = 256        # rows per forward when scoring: a third less CPU than 1,000 for the CNN


@dataclass(frozen=True)
class LayerSeries:
    """One layer's values of one kind over the epochs, on one set of bin edges."""
    layer: str
    kind: str               # 'weights', 'activations', 'gradients' (or 'biases' in a final state)
    edges: np.ndarray       # (bins + 1,)
    counts: np.ndarray      # (epochs, bins): each row sums to the epoch's number of values
    beyond: np.ndarray      # (epochs,): values beyond the edges (counted in the end bins)
    lo: np.ndarray          # (epochs,): the true smallest value
    hi: np.ndarray          # (epochs,): the true largest value
    epochs: np.ndarray | None = None   # (epochs,): which epochs the rows are (None: every epoch)


@dataclass(frozen=True)
class TrainingHistory:
    epochs: np.ndarray                      # (E,) 1..E
    metrics: dict                           # name -> (E,) float64 (see METRICS)
    series: tuple[LayerSeries, ...]
    task: str = "classification"
    weights_hash: str = ""                  # the weights at the end of training
    fixed_rows: int = FIXED_ROWS
    train_rows: int = TRAIN_ROWS
    record_seconds: float = 0.0             # what recording cost during training
    layers: tuple[tuple[str, str], ...] = field(default_factory=tuple)   # (name, type) in forward order

    def of(self, layer: str, kind: str) -> LayerSeries | None:
        return next((s for s in self.series if s.layer == layer and s.kind == kind), None)


def weight_layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    return [(n, m) for n, m in model.named_modules()
            if n and is_layer(m, (nn.Conv2d, nn.Linear)) and isinstance(getattr(m, "weight", None), torch.Tensor)]


def activation_layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """Layers whose outputs are recorded: all shown layers but Flatten (its input's values)."""
    return [(n, m) for n, m in named_layers(model) if not is_layer(m, nn.Flatten)]


def histogram_epochs(total: int, most: int = HISTOGRAM_EPOCHS) -> set[int]:
    """The epochs (1..total) whose histograms are recorded: all up to `most`, else `most`
    evenly spread with the first and the last. The curves are recorded every epoch."""
    return {int(e) for e in np.round(np.linspace(1, total, min(total, most)))}


def even_sample(t: torch.Tensor, most: int = ACTIVATION_VALUES) -> torch.Tensor:
    """Every value of t, or every k-th (k = ceil(size / most)): the same values each epoch,
    spread over every row and position of the batch."""
    flat = t.reshape(-1)
    step = -(-flat.numel() // most)
    return flat if step <= 1 else flat[::step]


def regression_scores(pred: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(MAE, R²) as scikit-learn computes them."""
    pred, y = np.asarray(pred, np.float64).reshape(-1), np.asarray(y, np.float64).reshape(-1)
    ss = float(((y - y.mean()) ** 2).sum())
    r2 = 1.0 - float(((y - pred) ** 2).sum()) / ss if ss > 0 else float("nan")
    return float(np.abs(y - pred).mean()), r2


class HistoryRecorder:
    """Call it after every epoch (train(on_epoch=...)); history() when training is done.

    loss: training's loss name ('cross_entropy', 'bce', 'mse'); y_train sets the MSE's scale
    as training does, so the recorded loss is the one training minimised."""

    def __init__(self, X_train, y_train, X_test, y_test, loss: str = "cross_entropy"):
        self.loss = loss
        y_dtype = np.int64 if loss == "cross_entropy" else np.float32
        self.loss_fn = _loss(loss, torch.as_tensor(np.asarray(y_train, dtype=y_dtype)))
        pick = np.unique(np.linspace(0, len(X_train) - 1, min(TRAIN_ROWS, len(X_train))).astype(int)) \
            if len(X_train) else np.zeros(0, int)
        self.sets = {"train": (np.asarray(X_train, np.float32)[pick], np.asarray(y_train)[pick]),
                     "test": (np.asarray(X_test, np.float32), np.asarray(y_test))}
        self.fixed = (torch.as_tensor(self.sets["test"][0][:FIXED_ROWS]),
                      torch.as_tensor(np.asarray(y_test[:FIXED_ROWS], dtype=y_dtype)))
        self.rows: list[dict] = []
        self.fines: dict[tuple[str, str], list[FineHistogram]] = {}
        self.histogram_epochs: list[int] = []
        self.seconds = 0.0
        self.layers: tuple[tuple[str, str], ...] = ()

    def __call__(self, model: nn.Module, progress: TrainProgress) -> None:
        start = time.perf_counter()
        was_training = model.training
        model.eval()
        try:
            row = {"epoch": progress.epoch, "train_loss_batches": progress.loss,
                   "train_accuracy_batches": progress.train_accuracy}
            for name, (X, y) in self.sets.items():
                row.update(self._scores(model, X, y, name))
            self.rows.append(row)
            if progress.epoch in histogram_epochs(progress.epochs):
                self.histogram_epochs.append(progress.epoch)
                for (layer, kind), fine in self._snapshot(model).items():
                    self.fines.setdefault((layer, kind), []).append(fine)
        finally:
            model.train(was_training)
        self.seconds += time.perf_counter() - start

    def _scores(self, model, X, y, prefix: str) -> dict:
        if len(X) == 0:
            return {}
        logits = predict_logits(model, X, SCORE_BATCH)
        out = torch.as_tensor(logits)
        y_t = torch.as_tensor(np.asarray(y, dtype=np.int64 if self.loss == "cross_entropy" else np.float32))
        scores = {f"{prefix}_loss": float(self.loss_fn(out, y_t))}
        if self.loss == "cross_entropy":
            scores[f"{prefix}_accuracy"] = float((logits.argmax(1) == y).mean())
        elif self.loss == "bce":
            scores[f"{prefix}_accuracy"] = float(((logits.reshape(-1) > 0) == (np.asarray(y) > 0.5)).mean())
        else:
            scores[f"{prefix}_mae"], scores[f"{prefix}_r2"] = regression_scores(logits, y)
        return scores

    def _snapshot(self, model: nn.Module) -> dict[tuple[str, str], FineHistogram]:
        weights = weight_layers(model)
        acts: dict[str, torch.Tensor] = {}
        hooks = [m.register_forward_hook(lambda _m, _i, o, n=n: acts.__setitem__(n, o.detach()))
                 for n, m in activation_layers(model)]
        try:
            xb, yb = self.fixed
            with torch.enable_grad():
                loss = self.loss_fn(model(xb), yb)
                params = [m.weight for _, m in weights]
                grads = torch.autograd.grad(loss, params, allow_unused=True) if params else ()
        finally:
            for h in hooks:
                h.remove()
        if not self.layers:
            self.layers = tuple((n, type(m).__name__) for n, m in named_layers(model))
        out = {}
        for (name, m), g in zip(weights, grads):
            out[(name, "weights")] = fine_histogram(m.weight)
            if g is not None:
                out[(name, "gradients")] = fine_histogram(g)
        for name, a in acts.items():
            if isinstance(a, torch.Tensor):
                out[(name, "activations")] = fine_histogram(even_sample(a))
        return out

    def history(self, weights_hash: str = "") -> TrainingHistory:
        names = sorted({k for row in self.rows for k in row if k != "epoch"})
        metrics = {k: np.array([row.get(k, np.nan) for row in self.rows], np.float64) for k in names}
        order = {n: i for i, (n, _) in enumerate(self.layers)}
        series = []
        for (layer, kind), fines in sorted(self.fines.items(), key=lambda kv: (order.get(kv[0][0], 1e9),
                                                                                   KINDS.index(kv[0][1]))):
            if len(fines) != len(self.histogram_epochs):
                continue    # a layer not seen at every recorded epoch: nothing to line up
            edges, counts, beyond = shared_histograms(fines)
            series.append(LayerSeries(layer, kind, edges, counts, beyond, np.array([f.lo for f in fines]),
                                      np.array([f.hi for f in fines]), np.array(self.histogram_epochs, np.int64)))
        task = "regression" if self.loss == "mse" else "classification"
        return TrainingHistory(np.array([r["epoch"] for r in self.rows], np.int64), metrics, tuple(series), task,
                               weights_hash, len(self.fixed[0]), len(self.sets["train"][0]), self.seconds,
                               self.layers)
